"""organization minimum fit and version

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing organizations follow the platform default minimum (NULL) and start at version 1.
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("min_fit", sa.Double(), nullable=True))
        batch_op.add_column(
            sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.create_check_constraint(
            op.f("ck_organizations_min_fit_range"),
            "min_fit IS NULL OR (min_fit >= 0 AND min_fit <= 1)",
        )
    # The server default only filled the existing rows; the application sets the version.
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.alter_column("version", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("organizations", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_organizations_min_fit_range"), type_="check")
        batch_op.drop_column("version")
        batch_op.drop_column("min_fit")
