"""protocol words as envelopes: a version's title and description and an event's reason are text
of any length (an envelope's JSON is longer than the words it holds; the length is checked on
the way in)

Revision ID: a7c2e91f4b30
Revises: 5e1a7c0d9b21
Create Date: 2026-12-04 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a7c2e91f4b30"
down_revision: str | None = "5e1a7c0d9b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    ("protocol_versions", "title", 120, False),
    ("protocol_versions", "description", 4000, False),
    ("protocol_events", "reason", 500, True),
)


def upgrade() -> None:
    for table, column, length, nullable in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sqlmodel.sql.sqltypes.AutoString(length=length),
                type_=sa.Text(),
                existing_nullable=nullable,
            )


def downgrade() -> None:
    # On PostgreSQL this fails while a longer envelope is stored: a downgrade must not cut words
    # it cannot read.
    for table, column, length, nullable in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.Text(),
                type_=sqlmodel.sql.sqltypes.AutoString(length=length),
                existing_nullable=nullable,
            )
