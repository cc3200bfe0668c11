"""Limits' words as envelopes: a custom item's words sealed beside its blind index (``label``,
on answers and reveals), and a maybe's condition of any length (an envelope's JSON is longer
than the characters it holds; the length is checked on the way in)

Revision ID: d41b7e5a9c10
Revises: c3d9f0a4b6e2
Create Date: 2026-12-04 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "d41b7e5a9c10"
down_revision: str | None = "c3d9f0a4b6e2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("limit_answers", schema=None) as batch_op:
        batch_op.alter_column(
            "condition",
            existing_type=sqlmodel.sql.sqltypes.AutoString(length=120),
            type_=sa.Text(),
            existing_nullable=True,
        )
        batch_op.add_column(sa.Column("label", sa.Text(), nullable=True))
    with op.batch_alter_table("limit_reveals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("label", sa.Text(), nullable=True))


def downgrade() -> None:
    # On PostgreSQL this fails while an envelope longer than the old length is stored: a
    # downgrade must not cut words it cannot read.
    with op.batch_alter_table("limit_reveals", schema=None) as batch_op:
        batch_op.drop_column("label")
    with op.batch_alter_table("limit_answers", schema=None) as batch_op:
        batch_op.drop_column("label")
        batch_op.alter_column(
            "condition",
            existing_type=sa.Text(),
            type_=sqlmodel.sql.sqltypes.AutoString(length=120),
            existing_nullable=True,
        )
