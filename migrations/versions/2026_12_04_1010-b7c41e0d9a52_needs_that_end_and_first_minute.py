"""Needs that end (the asker closes them: met / not needed) and the first minute after pairing

Revision ID: b7c41e0d9a52
Revises: 6a83d14e1b93
Create Date: 2026-12-04 10:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "b7c41e0d9a52"
down_revision: str | None = "6a83d14e1b93"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("needs_closed_at", app.core.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "needs_closed_reason",
                sqlmodel.sql.sqltypes.AutoString(length=12),
                nullable=True,
            )
        )
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("introduced_at", app.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        batch_op.drop_column("introduced_at")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_column("needs_closed_reason")
        batch_op.drop_column("needs_closed_at")
