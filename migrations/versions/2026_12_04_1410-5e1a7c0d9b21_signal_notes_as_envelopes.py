"""red, yellow and "I see you" notes as envelopes: text of any length (an envelope's JSON is
longer than the 500 characters it holds; the length is checked on the way in)

Revision ID: 5e1a7c0d9b21
Revises: e2e3a1c40b17
Create Date: 2026-12-04 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5e1a7c0d9b21"
down_revision: str | None = "e2e3a1c40b17"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("red_note", "yellow_note", "saw_note")


def upgrade() -> None:
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.alter_column(
                column,
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=500),
                type_=sa.Text(),
                existing_nullable=True,
            )


def downgrade() -> None:
    # On PostgreSQL this fails while an envelope longer than 500 characters is stored: a
    # downgrade must not cut words it cannot read.
    with op.batch_alter_table("memberships", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sqlmodel.sql.sqltypes.AutoString(length=500),
                existing_nullable=True,
            )
