from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Text
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, created_at_field, uuid_pk

# Their names in the change feed (both in the dynamic's stream).
CHECKIN = "checkin"
CHECKIN_RESPONSE = "checkin_response"


class CheckIn(SQLModel, table=True):
    """A member's quick state: how they are, what they need, what they gave and received."""

    __tablename__ = "checkins"
    __table_args__ = (
        # Every read is "this dynamic, this window": balance, today and the list stay bounded
        # by the window whatever the total history.
        Index("ix_checkins_dynamic_occurred", "dynamic_id", "occurred_at", "id"),
        # With the id, so "this member's latest" is one index probe on SQLite too (it has no
        # incremental sort and would otherwise walk the whole dynamic's history backwards).
        Index("ix_checkins_dynamic_user_occurred", "dynamic_id", "user_id", "occurred_at", "id"),
    )

    id: uuid.UUID = uuid_pk()
    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE")
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    mood: int
    energy: int | None = None
    # Fixed chips and custom needs as words, or custom needs as envelopes (objects).
    needs: list[str | dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    gave: int | None = None
    received: int | None = None
    deal: int | None = None
    # Words, or their envelope's JSON text (docs/e2ee.md): the length is checked on the way in.
    note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = created_at_field()
    # The partner's latest answer, kept here so lists and balance need no extra query.
    response_kind: str | None = Field(default=None, max_length=8)
    response_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The asker ended the needs themselves: "met" (they count as answered) or "not_needed"
    # (they no longer count as raised). Needs neither answered nor closed expire after 7 days.
    needs_closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    needs_closed_reason: str | None = Field(default=None, max_length=12)


class CheckInResponse(SQLModel, table=True):
    """The partner's answer to a check-in: seen, on it, done. Every answer is kept."""

    __tablename__ = "checkin_responses"
    __table_args__ = (Index("ix_checkin_responses_checkin_created", "checkin_id", "created_at"),)

    id: uuid.UUID = uuid_pk()
    checkin_id: uuid.UUID = Field(foreign_key="checkins.id", ondelete="CASCADE")
    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE", index=True)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    kind: str = Field(max_length=8)
    # Words, or their envelope's JSON text (docs/e2ee.md): the length is checked on the way in.
    note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = created_at_field()
