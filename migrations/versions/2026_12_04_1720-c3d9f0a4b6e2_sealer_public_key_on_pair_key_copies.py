"""a pair key copy keeps its sealer's id and public key: the copy still opens after the sealer
deleted their account (their key set goes with it); filled in for the copies already sealed

Revision ID: c3d9f0a4b6e2
Revises: a7c2e91f4b30
Create Date: 2026-12-04 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "c3d9f0a4b6e2"
down_revision: str | None = "a7c2e91f4b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sealed_pair_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealer_id", sa.Uuid(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "sealer_public_key", sqlmodel.sql.sqltypes.AutoString(length=43), nullable=True
            )
        )
    op.execute(
        "UPDATE sealed_pair_keys SET sealer_id = sealed_by, sealer_public_key = (SELECT public_key"
        " FROM account_keys WHERE account_keys.user_id = sealed_pair_keys.sealed_by)"
        " WHERE sealed_by IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("sealed_pair_keys", schema=None) as batch_op:
        batch_op.drop_column("sealer_public_key")
        batch_op.drop_column("sealer_id")
