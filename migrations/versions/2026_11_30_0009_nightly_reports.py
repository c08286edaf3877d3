"""nightly reports: recipients, the outbox, each organization's send time and zone; companies
listed by name through an index

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 10:02:09.292837
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("technology_areas", sa.JSON(), nullable=False),
        sa.Column("min_fit", sa.Double(), nullable=True),
        sa.Column("max_matches", sa.Integer(), nullable=False),
        sa.Column(
            "when_nothing_new",
            sa.Enum("one_line", "no_mail", name="when_nothing_new", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("opted_out_by", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "max_matches >= 1 AND max_matches <= 50",
            name=op.f("ck_report_recipients_max_matches_range"),
        ),
        sa.CheckConstraint(
            "min_fit IS NULL OR (min_fit >= 0 AND min_fit <= 1)",
            name=op.f("ck_report_recipients_min_fit_range"),
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_report_recipients_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_recipients")),
        sa.UniqueConstraint(
            "organization_id", "email", name=op.f("uq_report_recipients_organization_id_email")
        ),
    )
    with op.batch_alter_table("report_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_recipients_organization_id"), ["organization_id"], unique=False
        )

    op.create_table(
        "report_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("report_date", sa.Date(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("mime", sa.Text(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sending",
                "sent",
                "failed",
                "skipped",
                "cancelled",
                name="report_status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("claimed_by", sa.String(length=128), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_report_messages_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["report_recipients.id"],
            name=op.f("fk_report_messages_recipient_id_report_recipients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_messages")),
        sa.UniqueConstraint("message_id", name=op.f("uq_report_messages_message_id")),
        sa.UniqueConstraint(
            "recipient_id", "report_date", name=op.f("uq_report_messages_recipient_id_report_date")
        ),
    )
    with op.batch_alter_table("report_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_report_messages_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_report_messages_recipient_id"), ["recipient_id"], unique=False
        )
        batch_op.create_index(
            "ix_report_messages_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )

    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.create_index("ix_companies_name_id", ["name", "id"], unique=False)

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "report_send_time", sa.String(length=5), nullable=False, server_default="07:00"
            )
        )
        batch_op.add_column(
            sa.Column(
                "report_time_zone", sa.String(length=64), nullable=False, server_default="UTC"
            )
        )
    # The server defaults only filled the existing organizations; the application sets them.
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.alter_column("report_send_time", server_default=None)
        batch_op.alter_column("report_time_zone", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_index("ix_companies_name_id")

    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_column("report_time_zone")
        batch_op.drop_column("report_send_time")

    with op.batch_alter_table("report_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_report_messages_status_next_attempt_at")
        batch_op.drop_index(batch_op.f("ix_report_messages_recipient_id"))
        batch_op.drop_index(batch_op.f("ix_report_messages_organization_id"))

    op.drop_table("report_messages")
    with op.batch_alter_table("report_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_recipients_organization_id"))

    op.drop_table("report_recipients")
