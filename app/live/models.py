from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, created_at_field, uuid_pk


class LiveTicket(SQLModel, table=True):
    """A single-use pass for ``GET /api/events?ticket=``: a browser's ``EventSource`` cannot
    send an ``Authorization`` header. Only the ticket's hash is stored."""

    __tablename__ = "live_tickets"

    id: uuid.UUID = uuid_pk()
    ticket_hash: str = Field(max_length=64, unique=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    session_id: uuid.UUID = Field(foreign_key="auth_sessions.id", ondelete="CASCADE")
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
