"""The inbox (``Notification``) and the notices due to be sent (``Reminder``).

A reminder is a push waiting for its time: ``notify`` queues one due at once for each new
notification, and ``app.reminders`` plans the others (protocols, check-ins, reviews) and sends
them all when they are due. The table lives here, below both, so that ``notify`` can queue a
push without knowing the planner.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, created_at_field, uuid_pk

# A notification's name in the change feed (in its recipient's own stream).
NOTIFICATION = "notification"


class NotificationKind(StrEnum):
    """Every kind of notification there is. What a push says for each is in
    ``app/reminders/messages.py``."""

    # The dynamic: linking, the signals, leaving.
    partner_linked = "partner_linked"
    red = "red"
    yellow = "yellow"
    seen = "seen"
    resumed = "resumed"
    partner_left = "partner_left"
    # Check-ins.
    partner_checked_in = "partner_checked_in"
    checkin_answered = "checkin_answered"
    # Protocols: negotiation and follow-through.
    protocol_proposed = "protocol_proposed"
    protocol_renegotiated = "protocol_renegotiated"
    protocol_agreed = "protocol_agreed"
    protocol_active = "protocol_active"
    protocol_declined = "protocol_declined"
    protocol_withdrawn = "protocol_withdrawn"
    protocol_retired = "protocol_retired"
    completion_recorded = "completion_recorded"
    completion_acknowledged = "completion_acknowledged"
    # Reviews (app/reviews): each carries the review's id only, never an answer.
    review_started = "review_started"
    review_answered = "review_answered"
    review_revealed = "review_revealed"
    review_closed = "review_closed"
    # Limits, nudges, and a reminder kept in the inbox.
    limits_updated = "limits_updated"
    nudge = "nudge"
    reminder = "reminder"


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_created", "user_id", "created_at", "id"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    dynamic_id: uuid.UUID | None = Field(
        default=None, foreign_key="dynamics.id", ondelete="CASCADE", index=True
    )
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    kind: str = Field(max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = created_at_field()
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Reminder(SQLModel, table=True):
    """A due notice for one person. ``key`` names the occurrence (what, for whom, which local
    wall time), and is unique: however often it is planned, it exists, and is sent, once."""

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_state_due", "state", "due_at"),
        Index("ix_reminders_user_state_due", "user_id", "state", "due_at"),
    )

    id: uuid.UUID = uuid_pk()
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=16)  # protocol | checkin | review | nudge | notification
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    dynamic_id: uuid.UUID | None = Field(
        default=None, foreign_key="dynamics.id", ondelete="CASCADE", index=True
    )
    protocol_id: uuid.UUID | None = Field(
        default=None, foreign_key="protocols.id", ondelete="CASCADE", index=True
    )
    notification_id: uuid.UUID | None = Field(
        default=None, foreign_key="notifications.id", ondelete="CASCADE"
    )
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    zone: str | None = Field(default=None, max_length=64)  # the recipient's zone when planned
    wall: str | None = Field(default=None, max_length=16)  # local "YYYY-MM-DDTHH:MM" it stands for
    scheduled_for: datetime = Field(sa_type=UTCDateTime, nullable=False)  # before quiet hours
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    state: str = Field(default="pending", max_length=10)  # pending | sent | skipped
    outcome: str | None = Field(default=None, max_length=24)  # why skipped, or push result
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = created_at_field()
