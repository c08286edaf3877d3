"""deadline offsets, solicitation flags, import run warnings and interruptions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 02:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing deadlines keep no offset (they read back in UTC, as before), are not date-only
    # and carry no flags; rows imported from now on keep how their source stated them.
    with op.batch_alter_table("solicitations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response_deadline_offset", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "response_deadline_date_only",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
        batch_op.add_column(sa.Column("flags", sa.JSON(), nullable=False, server_default="[]"))

    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("warnings", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(
            sa.Column("interruptions", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.drop_column("interruptions")
        batch_op.drop_column("warnings")

    with op.batch_alter_table("solicitations", schema=None) as batch_op:
        batch_op.drop_column("flags")
        batch_op.drop_column("response_deadline_date_only")
        batch_op.drop_column("response_deadline_offset")
