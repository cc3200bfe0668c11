"""Limits, second version: directions and conditions on answers, and reveals kept as facts

Existing answers become "either way" answers with no condition. Every pair of desires that the
first version already showed to both members (both said yes or maybe) becomes a reveal, dated
when the later of the two answers was saved: nothing is revealed that was not shown before.

Revision ID: b7c41e9d2f05
Revises: b7c41e0d9a52
Create Date: 2026-12-04 10:30:00.000000
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "b7c41e9d2f05"
down_revision: str | None = "b7c41e0d9a52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_answers = sa.table(
    "limit_answers",
    sa.column("dynamic_id", sa.Uuid()),
    sa.column("user_id", sa.Uuid()),
    sa.column("item", sa.String()),
    sa.column("answer", sa.String()),
    sa.column("role", sa.String()),
    sa.column("updated_at", app.core.db.UTCDateTime(timezone=True)),
)
_reveals = sa.table(
    "limit_reveals",
    sa.column("id", sa.Uuid()),
    sa.column("dynamic_id", sa.Uuid()),
    sa.column("item", sa.String()),
    sa.column("giver_id", sa.Uuid()),
    sa.column("receiver_id", sa.Uuid()),
    sa.column("revealed_at", app.core.db.UTCDateTime(timezone=True)),
)


def upgrade() -> None:
    with op.batch_alter_table("limit_answers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "role",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="both",
            )
        )
        batch_op.add_column(
            sa.Column("condition", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True)
        )
        batch_op.drop_constraint("uq_limit_answers_dynamic_id_user_id_item", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_limit_answers_dynamic_id_user_id_item_role"),
            ["dynamic_id", "user_id", "item", "role"],
        )
    with op.batch_alter_table("limit_answers", schema=None) as batch_op:
        batch_op.alter_column("role", server_default=None)

    op.create_table(
        "limit_reveals",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dynamic_id", sa.Uuid(), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("giver_id", sa.Uuid(), nullable=True),
        sa.Column("receiver_id", sa.Uuid(), nullable=True),
        sa.Column("revealed_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dynamic_id"],
            ["dynamics.id"],
            name=op.f("fk_limit_reveals_dynamic_id_dynamics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["giver_id"],
            ["users.id"],
            name=op.f("fk_limit_reveals_giver_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["receiver_id"],
            ["users.id"],
            name=op.f("fk_limit_reveals_receiver_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by"],
            ["users.id"],
            name=op.f("fk_limit_reveals_withdrawn_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_limit_reveals")),
    )
    with op.batch_alter_table("limit_reveals", schema=None) as batch_op:
        batch_op.create_index("ix_limit_reveals_dynamic_item", ["dynamic_id", "item"], unique=False)

    # What the first version showed both members: desires on the same item, by both.
    a, b = _answers.alias("a"), _answers.alias("b")
    desires = ("yes", "maybe")
    shown = op.get_bind().execute(
        sa.select(a.c.dynamic_id, a.c.item, a.c.updated_at, b.c.updated_at)
        .join(b, sa.and_(a.c.dynamic_id == b.c.dynamic_id, a.c.item == b.c.item))
        .where(a.c.user_id < b.c.user_id, a.c.answer.in_(desires), b.c.answer.in_(desires))
        .order_by(a.c.dynamic_id, a.c.item)
    )
    rows = [
        {
            "id": uuid.uuid4(),
            "dynamic_id": dynamic_id,
            "item": item,
            "giver_id": None,
            "receiver_id": None,
            "revealed_at": max(first, second),
        }
        for dynamic_id, item, first, second in shown
    ]
    if rows:
        op.bulk_insert(_reveals, rows)


def downgrade() -> None:
    # The first version knew no directions: answers for one direction only are dropped.
    op.execute(_answers.delete().where(_answers.c.role != "both"))
    with op.batch_alter_table("limit_reveals", schema=None) as batch_op:
        batch_op.drop_index("ix_limit_reveals_dynamic_item")
    op.drop_table("limit_reveals")
    with op.batch_alter_table("limit_answers", schema=None) as batch_op:
        batch_op.drop_constraint("uq_limit_answers_dynamic_id_user_id_item_role", type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_limit_answers_dynamic_id_user_id_item"),
            ["dynamic_id", "user_id", "item"],
        )
        batch_op.drop_column("condition")
        batch_op.drop_column("role")
