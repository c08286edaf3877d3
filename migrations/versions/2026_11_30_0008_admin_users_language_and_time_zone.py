"""admin users: language, time zone and last dashboard visit

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 08:00:36.647844
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("locale", sa.String(length=8), nullable=False, server_default="en")
        )
        batch_op.add_column(
            sa.Column("time_zone", sa.String(length=64), nullable=False, server_default="UTC")
        )
        batch_op.add_column(
            sa.Column("last_dashboard_at", sa.DateTime(timezone=True), nullable=True)
        )
    # The server defaults only filled the existing users; the application sets the values.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("locale", server_default=None)
        batch_op.alter_column("time_zone", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("last_dashboard_at")
        batch_op.drop_column("time_zone")
        batch_op.drop_column("locale")
