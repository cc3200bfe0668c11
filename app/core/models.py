from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, created_at_field, uuid_pk


class IdempotencyRecord(SQLModel, table=True):
    """A POST made with an ``Idempotency-Key``: claimed while in flight, then its response."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    key: str = Field(max_length=255)
    fingerprint: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    response_status: int | None = None
    response_headers: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    response_body: bytes | None = Field(default=None, sa_type=LargeBinary)
