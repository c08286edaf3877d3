"""intermediary workflow: reviews, follows and changes, distributions, outcomes, ranking models

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 07:03:09.652845
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ranking_models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("embedding_model_id", sa.String(length=200), nullable=False),
        sa.Column("feature_names", sa.JSON(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("training_pairs", sa.Integer(), nullable=False),
        sa.Column("positives", sa.Integer(), nullable=False),
        sa.Column("negatives", sa.Integer(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("adopted", sa.Boolean(), nullable=False),
        sa.Column("verdict", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ranking_models")),
        sa.UniqueConstraint("version", name=op.f("uq_ranking_models_version")),
    )
    op.create_table(
        "distributions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("solicitation_id", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "email",
                "report",
                "manual",
                name="distribution_channel",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_distributions_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["solicitation_id"],
            ["solicitations.id"],
            name=op.f("fk_distributions_solicitation_id_solicitations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distributions")),
    )
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_distributions_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_distributions_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_distributions_solicitation_id"), ["solicitation_id"], unique=False
        )

    op.create_table(
        "match_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("solicitation_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "interested",
                "declined",
                "not_a_fit",
                "teamed",
                "awarded",
                name="outcome_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_match_outcomes_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_match_outcomes_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["solicitation_id"],
            ["solicitations.id"],
            name=op.f("fk_match_outcomes_solicitation_id_solicitations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_outcomes")),
    )
    with op.batch_alter_table("match_outcomes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_match_outcomes_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            "ix_match_outcomes_pair",
            ["organization_id", "solicitation_id", "company_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_match_outcomes_recorded_at"), ["recorded_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_match_outcomes_solicitation_id"), ["solicitation_id"], unique=False
        )

    op.create_table(
        "match_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("solicitation_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column(
            "hidden_reason",
            sa.Enum(
                "not_a_fit",
                "already_engaged",
                "no_capacity",
                "conflict_of_interest",
                "other",
                name="hide_reason",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("hidden_detail", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_match_reviews_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_match_reviews_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["solicitation_id"],
            ["solicitations.id"],
            name=op.f("fk_match_reviews_solicitation_id_solicitations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_reviews")),
        sa.UniqueConstraint(
            "organization_id",
            "solicitation_id",
            "company_id",
            name=op.f("uq_match_reviews_organization_id_solicitation_id_company_id"),
        ),
    )
    with op.batch_alter_table("match_reviews", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_match_reviews_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_match_reviews_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_match_reviews_solicitation_id"), ["solicitation_id"], unique=False
        )

    op.create_table(
        "solicitation_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("solicitation_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "amended",
                "deadline_moved",
                "closed",
                "reopened",
                name="change_kind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["solicitation_id"],
            ["solicitations.id"],
            name=op.f("fk_solicitation_changes_solicitation_id_solicitations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solicitation_changes")),
    )
    with op.batch_alter_table("solicitation_changes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_solicitation_changes_at", ["solicitation_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_solicitation_changes_occurred_at"), ["occurred_at"], unique=False
        )

    op.create_table(
        "solicitation_follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("solicitation_id", sa.Integer(), nullable=False),
        sa.Column("followed_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_solicitation_follows_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["solicitation_id"],
            ["solicitations.id"],
            name=op.f("fk_solicitation_follows_solicitation_id_solicitations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_solicitation_follows")),
        sa.UniqueConstraint(
            "organization_id",
            "solicitation_id",
            name=op.f("uq_solicitation_follows_organization_id_solicitation_id"),
        ),
    )
    with op.batch_alter_table("solicitation_follows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_solicitation_follows_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_solicitation_follows_solicitation_id"), ["solicitation_id"], unique=False
        )

    op.create_table(
        "distribution_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("distribution_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("solicitation_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "sent",
                "viewed",
                "interested",
                "declined",
                "no_response",
                name="recipient_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.Text(), nullable=False),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("withheld_reason", sa.Text(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("viewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_distribution_recipients_company_id_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["distribution_id"],
            ["distributions.id"],
            name=op.f("fk_distribution_recipients_distribution_id_distributions"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_distribution_recipients_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["solicitation_id"],
            ["solicitations.id"],
            name=op.f("fk_distribution_recipients_solicitation_id_solicitations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_distribution_recipients")),
        sa.UniqueConstraint(
            "distribution_id",
            "company_id",
            name=op.f("uq_distribution_recipients_distribution_id_company_id"),
        ),
        sa.UniqueConstraint("token_hash", name=op.f("uq_distribution_recipients_token_hash")),
    )
    with op.batch_alter_table("distribution_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_distribution_recipients_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_distribution_recipients_distribution_id"),
            ["distribution_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_distribution_recipients_org_status", ["organization_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_distribution_recipients_solicitation_id"),
            ["solicitation_id"],
            unique=False,
        )

    op.create_table(
        "recipient_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "sent",
                "viewed",
                "interested",
                "declined",
                "no_response",
                name="recipient_status",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "sent",
                "viewed",
                "interested",
                "declined",
                "no_response",
                name="recipient_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["distribution_recipients.id"],
            name=op.f("fk_recipient_status_changes_recipient_id_distribution_recipients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipient_status_changes")),
    )
    with op.batch_alter_table("recipient_status_changes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recipient_status_changes_recipient_id"), ["recipient_id"], unique=False
        )

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "no_response_days", sa.Integer(), nullable=False, server_default=sa.text("14")
            )
        )
        batch_op.create_check_constraint(
            op.f("ck_organizations_no_response_days_range"),
            "no_response_days >= 1 AND no_response_days <= 365",
        )
    # The server default only filled the existing rows; the application sets the value.
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.alter_column("no_response_days", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_organizations_no_response_days_range"), type_="check")
        batch_op.drop_column("no_response_days")

    with op.batch_alter_table("recipient_status_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recipient_status_changes_recipient_id"))

    op.drop_table("recipient_status_changes")
    with op.batch_alter_table("distribution_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_distribution_recipients_solicitation_id"))
        batch_op.drop_index("ix_distribution_recipients_org_status")
        batch_op.drop_index(batch_op.f("ix_distribution_recipients_distribution_id"))
        batch_op.drop_index(batch_op.f("ix_distribution_recipients_company_id"))

    op.drop_table("distribution_recipients")
    with op.batch_alter_table("solicitation_follows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_solicitation_follows_solicitation_id"))
        batch_op.drop_index(batch_op.f("ix_solicitation_follows_organization_id"))

    op.drop_table("solicitation_follows")
    with op.batch_alter_table("solicitation_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_solicitation_changes_occurred_at"))
        batch_op.drop_index("ix_solicitation_changes_at")

    op.drop_table("solicitation_changes")
    with op.batch_alter_table("match_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_reviews_solicitation_id"))
        batch_op.drop_index(batch_op.f("ix_match_reviews_organization_id"))
        batch_op.drop_index(batch_op.f("ix_match_reviews_company_id"))

    op.drop_table("match_reviews")
    with op.batch_alter_table("match_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_outcomes_solicitation_id"))
        batch_op.drop_index(batch_op.f("ix_match_outcomes_recorded_at"))
        batch_op.drop_index("ix_match_outcomes_pair")
        batch_op.drop_index(batch_op.f("ix_match_outcomes_company_id"))

    op.drop_table("match_outcomes")
    with op.batch_alter_table("distributions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_distributions_solicitation_id"))
        batch_op.drop_index(batch_op.f("ix_distributions_organization_id"))
        batch_op.drop_index(batch_op.f("ix_distributions_created_at"))

    op.drop_table("distributions")
    op.drop_table("ranking_models")
