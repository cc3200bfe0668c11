from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, created_at_field, uuid_pk

# Push services hand out endpoints well under this; the limit keeps one row bounded.
MAX_ENDPOINT_LENGTH = 2048


class PushSubscription(SQLModel, table=True):
    """One device that receives Web Push for a user: the browser's ``PushSubscription``.

    The endpoint is unique across users: it names one browser profile, so when a device changes
    hands it moves to whoever subscribed it last. ``p256dh`` and ``auth`` are the device's
    public key and secret (base64url), needed to encrypt for it; the API never returns them.
    """

    __tablename__ = "push_subscriptions"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    endpoint: str = Field(max_length=MAX_ENDPOINT_LENGTH, unique=True)
    p256dh: str = Field(max_length=100)  # 65 bytes, base64url: 87 characters
    auth: str = Field(max_length=40)  # 16 bytes, base64url: 22 characters
    created_at: datetime = created_at_field()
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failure_count: int = Field(default=0)
