"""Check-ins and the partner's responses

Revision ID: 5a6d9baf5ea3
Revises: 29d3e43d2a5f
Create Date: 2026-11-25 08:19:03.979679
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "5a6d9baf5ea3"
down_revision: str | None = "29d3e43d2a5f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkins",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dynamic_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("mood", sa.Integer(), nullable=False),
        sa.Column("energy", sa.Integer(), nullable=True),
        sa.Column("needs", sa.JSON(), nullable=False),
        sa.Column("gave", sa.Integer(), nullable=True),
        sa.Column("received", sa.Integer(), nullable=True),
        sa.Column("deal", sa.Integer(), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("response_kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("response_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dynamic_id"],
            ["dynamics.id"],
            name=op.f("fk_checkins_dynamic_id_dynamics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_checkins_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkins_dynamic_occurred", ["dynamic_id", "occurred_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_checkins_dynamic_user_occurred",
            ["dynamic_id", "user_id", "occurred_at", "id"],
            unique=False,
        )

    op.create_table(
        "checkin_responses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("checkin_id", sa.Uuid(), nullable=False),
        sa.Column("dynamic_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkin_id"],
            ["checkins.id"],
            name=op.f("fk_checkin_responses_checkin_id_checkins"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["dynamic_id"],
            ["dynamics.id"],
            name=op.f("fk_checkin_responses_dynamic_id_dynamics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_checkin_responses_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_responses")),
    )
    with op.batch_alter_table("checkin_responses", schema=None) as batch_op:
        batch_op.create_index(
            "ix_checkin_responses_checkin_created", ["checkin_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_checkin_responses_dynamic_id"), ["dynamic_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("checkin_responses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_responses_dynamic_id"))
        batch_op.drop_index("ix_checkin_responses_checkin_created")

    op.drop_table("checkin_responses")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_dynamic_user_occurred")
        batch_op.drop_index("ix_checkins_dynamic_occurred")

    op.drop_table("checkins")
