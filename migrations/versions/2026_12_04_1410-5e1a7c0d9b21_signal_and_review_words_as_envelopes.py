"""red, yellow and "I see you" notes and review texts as envelopes: text of any length (an envelope's JSON is
longer than the characters it holds; the length is checked on the way in)

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

# table -> (its columns, their length before)
COLUMNS = {
    "memberships": (("red_note", "yellow_note", "saw_note"), 500),
    "review_answers": (("went_well", "wish", "note"), 1000),
    "reviews": (("summary",), 1000),
}


def upgrade() -> None:
    for table, (columns, length) in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sqlmodel.sql.sqltypes.AutoString(length=length),
                    type_=sa.Text(),
                    existing_nullable=True,
                )


def downgrade() -> None:
    # On PostgreSQL this fails while an envelope longer than the old length is stored: a
    # downgrade must not cut words it cannot read.
    for table, (columns, length) in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.Text(),
                    type_=sqlmodel.sql.sqltypes.AutoString(length=length),
                    existing_nullable=True,
                )
