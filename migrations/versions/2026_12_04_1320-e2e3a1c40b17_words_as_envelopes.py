"""check-in and completion words as envelopes: notes are text of any length (an envelope's
JSON is longer than the 1000 characters it holds; the length is checked on the way in)

Revision ID: e2e3a1c40b17
Revises: ce940e67d6e5
Create Date: 2026-12-04 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "e2e3a1c40b17"
down_revision: str | None = "ce940e67d6e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("checkins", "note"),
    ("checkin_responses", "note"),
    ("completions", "note"),
    ("completions", "acknowledgement_note"),
)


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=1000),
                type_=sa.Text(),
                existing_nullable=True,
            )


def downgrade() -> None:
    # On PostgreSQL this fails while an envelope longer than 1000 characters is stored: a
    # downgrade must not cut words it cannot read.
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sqlmodel.sql.sqltypes.AutoString(length=1000),
                existing_nullable=True,
            )
