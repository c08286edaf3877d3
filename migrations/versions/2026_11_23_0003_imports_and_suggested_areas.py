"""imports and suggested areas

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:53:05.110894
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=True),
        sa.Column("filename", sa.String(length=300), nullable=True),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "running", "finished", "failed", name="import_status", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_import_runs_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_runs")),
    )
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_import_runs_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "duplicate_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("other_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("import_run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_run_id"],
            ["import_runs.id"],
            name=op.f("fk_duplicate_flags_import_run_id_import_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_flags")),
    )
    with op.batch_alter_table("duplicate_flags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duplicate_flags_entity_id"), ["entity_id"], unique=False
        )

    with op.batch_alter_table("companies", schema=None) as batch_op:
        # Existing rows get an empty list; new rows get theirs from the application.
        batch_op.add_column(
            sa.Column("suggested_areas", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_column("suggested_areas")

    with op.batch_alter_table("duplicate_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_flags_entity_id"))

    op.drop_table("duplicate_flags")
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_runs_organization_id"))

    op.drop_table("import_runs")
