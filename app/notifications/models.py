from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, created_at_field, uuid_pk


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
