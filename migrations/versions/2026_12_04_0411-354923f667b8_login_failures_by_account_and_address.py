"""Login failures name their account and their address

Each failed password check becomes one row naming both (keyed hashes), so that failures can be
counted per (account, address) pair as well as per account and per address. The rows are only
throttling state, kept a day: they are dropped rather than converted (a row of the old shape
names an account or an address, never both), which lifts any throttle in force at upgrade.

Revision ID: 354923f667b8
Revises: 93a7de210f7c
Create Date: 2026-12-04 04:11:50.777820
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "354923f667b8"
down_revision: str | None = "93a7de210f7c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM login_failures")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("account_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        )
        batch_op.add_column(
            sa.Column("address_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        )
        batch_op.drop_index("ix_login_failures_scope_key_at")
        batch_op.create_index(
            "ix_login_failures_account_address_at",
            ["account_hash", "address_hash", "at"],
            unique=False,
        )
        batch_op.create_index("ix_login_failures_address_at", ["address_hash", "at"], unique=False)
        batch_op.drop_column("scope")
        batch_op.drop_column("key_hash")


def downgrade() -> None:
    op.execute("DELETE FROM login_failures")
    with op.batch_alter_table("login_failures", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False)
        )
        batch_op.add_column(
            sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False)
        )
        batch_op.drop_index("ix_login_failures_address_at")
        batch_op.drop_index("ix_login_failures_account_address_at")
        batch_op.create_index(
            "ix_login_failures_scope_key_at", ["scope", "key_hash", "at"], unique=False
        )
        batch_op.drop_column("address_hash")
        batch_op.drop_column("account_hash")
