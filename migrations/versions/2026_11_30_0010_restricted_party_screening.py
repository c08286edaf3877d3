"""restricted-party screening: list snapshots, their entries, hits, and each company's hold

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 10:11:44.805300
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "screening_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "list_name",
            sa.Enum("csl", "meti_eul", name="screening_list", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("added_count", sa.Integer(), nullable=False),
        sa.Column("removed_count", sa.Integer(), nullable=False),
        sa.Column("changed_count", sa.Integer(), nullable=False),
        sa.Column("loaded_by", sa.String(length=128), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_snapshots")),
    )
    with op.batch_alter_table("screening_snapshots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screening_snapshots_list_name"), ["list_name"], unique=False
        )

    op.create_table(
        "screening_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column(
            "list_name",
            sa.Enum("csl", "meti_eul", name="screening_list", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("entry_key", sa.String(length=200), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("entry_type", sa.String(length=64), nullable=True),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("addresses", sa.JSON(), nullable=False),
        sa.Column("countries", sa.JSON(), nullable=False),
        sa.Column("programs", sa.JSON(), nullable=False),
        sa.Column("remarks", sa.Text(), nullable=False),
        sa.Column("source_list_url", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["screening_snapshots.id"],
            name=op.f("fk_screening_entries_snapshot_id_screening_snapshots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_entries")),
        sa.UniqueConstraint(
            "snapshot_id", "entry_key", name=op.f("uq_screening_entries_snapshot_id_entry_key")
        ),
    )
    with op.batch_alter_table("screening_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_screening_entries_list_name_entry_key", ["list_name", "entry_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_screening_entries_snapshot_id"), ["snapshot_id"], unique=False
        )

    op.create_table(
        "screening_hits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column(
            "list_name",
            sa.Enum("csl", "meti_eul", name="screening_list", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("entry_key", sa.String(length=200), nullable=False),
        sa.Column("entry_hash", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("entry_name", sa.String(length=500), nullable=False),
        sa.Column("company_name", sa.String(length=500), nullable=False),
        sa.Column("score", sa.Double(), nullable=False),
        sa.Column("matched_fields", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open", "cleared", "confirmed", name="hit_status", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=128), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_screening_hits_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["screening_entries.id"],
            name=op.f("fk_screening_hits_entry_id_screening_entries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["screening_snapshots.id"],
            name=op.f("fk_screening_hits_snapshot_id_screening_snapshots"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening_hits")),
        sa.UniqueConstraint(
            "company_id",
            "list_name",
            "entry_key",
            "entry_hash",
            name=op.f("uq_screening_hits_company_id_list_name_entry_key_entry_hash"),
        ),
    )
    with op.batch_alter_table("screening_hits", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_screening_hits_company_id"), ["company_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_screening_hits_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_screening_hits_status"), ["status"], unique=False)

    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("screening_status", sa.String(length=16), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_companies_screening_status"), ["screening_status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_companies_screening_status"))
        batch_op.drop_column("screening_status")

    with op.batch_alter_table("screening_hits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_hits_status"))
        batch_op.drop_index(batch_op.f("ix_screening_hits_created_at"))
        batch_op.drop_index(batch_op.f("ix_screening_hits_company_id"))

    op.drop_table("screening_hits")
    with op.batch_alter_table("screening_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_entries_snapshot_id"))
        batch_op.drop_index("ix_screening_entries_list_name_entry_key")

    op.drop_table("screening_entries")
    with op.batch_alter_table("screening_snapshots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_snapshots_list_name"))

    op.drop_table("screening_snapshots")
