from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class PublicKeyOut(BaseModel):
    public_key: str = Field(
        description="the server's VAPID public key (uncompressed P-256 point, base64url): "
        "pass it as applicationServerKey to pushManager.subscribe"
    )


class SubscriptionKeys(BaseModel):
    # A record in the Push API (PushSubscriptionJSON.keys): keys other than these two are
    # ignored rather than refused, so a browser that adds one does not break subscribing.
    model_config = ConfigDict(extra="ignore")

    p256dh: str = Field(max_length=200, description="the device's P-256 public key, base64url")
    auth: str = Field(max_length=100, description="the device's 16-byte auth secret, base64url")


class SubscriptionIn(BaseModel):
    """The browser's ``PushSubscription.toJSON()``, as is."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    endpoint: str = Field(max_length=4096, description="the push service URL for this device")
    keys: SubscriptionKeys
    expiration_time: float | None = Field(
        default=None, alias="expirationTime", description="accepted and ignored"
    )


class UnsubscribeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    endpoint: str = Field(max_length=4096)


class SubscriptionPublic(BaseModel):
    """A device as the API shows it: never its keys."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    endpoint: str
    created_at: datetime
