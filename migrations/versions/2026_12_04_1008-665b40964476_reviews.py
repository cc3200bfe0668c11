"""Reviews: a cadence per dynamic, reviews, and each member's private answers

Revision ID: 665b40964476
Revises: b7c41e9d2f05
Create Date: 2026-12-04 10:08:16.899627
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.core.db

revision: str = "665b40964476"
down_revision: str | None = "b7c41e9d2f05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "review_schedules",
        sa.Column("dynamic_id", sa.Uuid(), nullable=False),
        sa.Column("every_days", sa.Integer(), nullable=True),
        sa.Column("next_on", sa.Date(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dynamic_id"],
            ["dynamics.id"],
            name=op.f("fk_review_schedules_dynamic_id_dynamics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_review_schedules_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("dynamic_id", name=op.f("pk_review_schedules")),
    )
    with op.batch_alter_table("review_schedules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_schedules_next_on"), ["next_on"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dynamic_id", sa.Uuid(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("opened_by", sa.Uuid(), nullable=True),
        sa.Column("opened_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("since", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revealed_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("agenda", sa.JSON(), nullable=True),
        sa.Column("closed_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Uuid(), nullable=True),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["closed_by"],
            ["users.id"],
            name=op.f("fk_reviews_closed_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["dynamic_id"],
            ["dynamics.id"],
            name=op.f("fk_reviews_dynamic_id_dynamics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opened_by"],
            ["users.id"],
            name=op.f("fk_reviews_opened_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reviews_dynamic_opened", ["dynamic_id", "opened_at", "id"], unique=False
        )
        batch_op.create_index(
            "uq_reviews_in_progress",
            ["dynamic_id"],
            unique=True,
            sqlite_where=sa.text("state != 'closed'"),
            postgresql_where=sa.text("state != 'closed'"),
        )

    op.create_table(
        "review_answers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("dynamic_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("deal", sa.Integer(), nullable=True),
        sa.Column("heard", sa.Integer(), nullable=True),
        sa.Column("areas", sa.JSON(), nullable=False),
        sa.Column("protocols", sa.JSON(), nullable=False),
        sa.Column("went_well", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("wish", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("submitted_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dynamic_id"],
            ["dynamics.id"],
            name=op.f("fk_review_answers_dynamic_id_dynamics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["reviews.id"],
            name=op.f("fk_review_answers_review_id_reviews"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_review_answers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_answers")),
        sa.UniqueConstraint(
            "review_id", "user_id", name=op.f("uq_review_answers_review_id_user_id")
        ),
    )
    with op.batch_alter_table("review_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_answers_dynamic_id"), ["dynamic_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_review_answers_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_answers_user_id"))
        batch_op.drop_index(batch_op.f("ix_review_answers_dynamic_id"))

    op.drop_table("review_answers")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_reviews_in_progress",
            sqlite_where=sa.text("state != 'closed'"),
            postgresql_where=sa.text("state != 'closed'"),
        )
        batch_op.drop_index("ix_reviews_dynamic_opened")

    op.drop_table("reviews")
    with op.batch_alter_table("review_schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_schedules_next_on"))

    op.drop_table("review_schedules")
