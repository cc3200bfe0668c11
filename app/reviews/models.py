from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, created_at_field, uuid_pk

# Their names in the change feed. A review is in the dynamic's stream (its state) and, while
# sealed, in its author's own stream (their answers); the schedule is keyed by the dynamic's id.
REVIEW = "review"
REVIEW_SCHEDULE = "review_schedule"


class ReviewSchedule(SQLModel, table=True):
    """How often a dynamic reviews (7, 14 or 28 days, or never) and when the next one is.

    One row per dynamic, set by either member; the next date moves on when a review starts."""

    __tablename__ = "review_schedules"

    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE", primary_key=True)
    every_days: int | None = None
    next_on: date | None = Field(default=None, index=True)
    updated_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    updated_at: datetime = created_at_field()


class Review(SQLModel, table=True):
    """One review: open (each answers privately), revealed (both submitted: answers side by
    side, and the agenda built from the data at that moment), closed (with a summary)."""

    __tablename__ = "reviews"
    __table_args__ = (
        Index("ix_reviews_dynamic_opened", "dynamic_id", "opened_at", "id"),
        # At most one review in progress per dynamic, whoever races to start one.
        Index(
            "uq_reviews_in_progress",
            "dynamic_id",
            unique=True,
            sqlite_where=text("state != 'closed'"),
            postgresql_where=text("state != 'closed'"),
        ),
    )

    id: uuid.UUID = uuid_pk()
    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE")
    state: str = Field(default="open", max_length=8)
    due_on: date
    opened_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    opened_at: datetime = created_at_field()
    # The agenda looks at what happened since the previous review (four weeks at most).
    since: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revealed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    agenda: list[dict[str, Any]] | None = Field(default=None, sa_type=JSON)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    # Words, or an envelope's JSON text (docs/e2ee.md): the length is checked on the way in.
    summary: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = created_at_field()


class ReviewAnswer(SQLModel, table=True):
    """One member's private answers to one review. Never shown to the partner before both
    members submitted."""

    __tablename__ = "review_answers"
    __table_args__ = (UniqueConstraint("review_id", "user_id"),)

    id: uuid.UUID = uuid_pk()
    review_id: uuid.UUID = Field(foreign_key="reviews.id", ondelete="CASCADE")
    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE", index=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    deal: int | None = None
    heard: int | None = None
    areas: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    protocols: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    # Words, or an envelope's JSON text (docs/e2ee.md): the length is checked on the way in.
    went_well: str | None = Field(default=None, sa_type=Text)
    wish: str | None = Field(default=None, sa_type=Text)
    note: str | None = Field(default=None, sa_type=Text)
    revision: int = 1  # bumped on every save: the ETag of these answers
    submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = created_at_field()
