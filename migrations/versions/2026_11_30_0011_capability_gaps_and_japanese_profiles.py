"""Capability gaps (weekly coverage snapshots) and Japanese-language profiles

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 13:19:16.052127
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from matching.language import profile_language

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "insight_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("area_slug", sa.String(length=64), nullable=False),
        sa.Column("open_solicitations", sa.Integer(), nullable=False),
        sa.Column("vetted_partners", sa.Integer(), nullable=False),
        sa.Column("eligible_partners", sa.Integer(), nullable=False),
        sa.Column("median_best_score", sa.Double(), nullable=True),
        sa.Column("uncovered_share", sa.Double(), nullable=True),
        sa.Column("authorization_locked_share", sa.Double(), nullable=True),
        sa.Column("min_score", sa.Double(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_insight_snapshots_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_snapshots")),
        sa.UniqueConstraint(
            "organization_id",
            "week_start",
            "area_slug",
            name=op.f("uq_insight_snapshots_organization_id_week_start_area_slug"),
        ),
    )
    with op.batch_alter_table("insight_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_insight_snapshots_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_insight_snapshots_week_start"), ["week_start"], unique=False
        )

    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("narrative_ja", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("profile_language", sa.String(length=8), nullable=False, server_default="en")
        )
        batch_op.create_index(
            batch_op.f("ix_companies_profile_language"), ["profile_language"], unique=False
        )

    # Profiles already written in Japanese are found by the same rule new ones are.
    companies = sa.table(
        "companies",
        sa.column("id", sa.Integer()),
        sa.column("narrative", sa.Text()),
        sa.column("keywords", sa.JSON()),
        sa.column("profile_language", sa.String()),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(companies.c.id, companies.c.narrative, companies.c.keywords))
    for company_id, narrative, keywords in rows.all():
        language = profile_language([narrative or "", *(keywords or [])])
        if language != "en":
            bind.execute(
                companies.update()
                .where(companies.c.id == company_id)
                .values(profile_language=language)
            )

    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.alter_column("narrative_ja", server_default=None)
        batch_op.alter_column("profile_language", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_companies_profile_language"))
        batch_op.drop_column("profile_language")
        batch_op.drop_column("narrative_ja")

    with op.batch_alter_table("insight_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_insight_snapshots_week_start"))
        batch_op.drop_index(batch_op.f("ix_insight_snapshots_organization_id"))

    op.drop_table("insight_snapshots")
