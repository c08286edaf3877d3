"""Models and migrations agree, and the chain goes down and up again cleanly."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import app.models  # noqa: F401
from app.cli import alembic_config
from app.db import Base


def test_models_match_migrations(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_downgrade_and_upgrade(database_url: str) -> None:
    config = alembic_config()
    command.downgrade(config, "base")
    engine = create_engine(database_url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert {
        "companies",
        "solicitations",
        "vetting_decisions",
        "export_authorizations",
        "audit_events",
        "api_keys",
        "organizations",
        "jobs",
        "embeddings",
    } <= tables
