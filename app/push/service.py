"""Devices that receive Web Push: subscribe (or refresh, or take over) and unsubscribe."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.accounts.repository import lock_user
from app.core.config import Settings
from app.core.errors import conflict, not_found
from app.push import repository
from app.push.models import PushSubscription
from app.push.rules import b64url_encode, check_endpoint, decode_auth, decode_p256dh
from app.push.schemas import SubscriptionIn

MAX_DEVICES_PER_USER = 20


async def subscribe(
    session: AsyncSession, settings: Settings, user: User, body: SubscriptionIn
) -> tuple[PushSubscription, bool]:
    """Store the device for ``user``; True when it is new to them.

    The same endpoint again refreshes its keys (a browser may rotate them). An endpoint held by
    another user moves to this one: an endpoint is one browser profile, and the person who
    subscribes it now is the one using it (a device that changed hands, a shared tablet).
    """
    endpoint = check_endpoint(body.endpoint, allow_insecure=settings.push_allow_insecure_endpoints)
    # Stored in one canonical spelling (base64url, no padding), checked before anything is kept.
    p256dh = b64url_encode(decode_p256dh(body.keys.p256dh))
    auth = b64url_encode(decode_auth(body.keys.auth))
    # Serialises this user's subscribes, so two at once cannot both pass the device count.
    await lock_user(session, user.id)
    existing = await repository.by_endpoint(session, endpoint)
    if existing is not None and existing.user_id == user.id:
        existing.p256dh, existing.auth, existing.failure_count = p256dh, auth, 0
        session.add(existing)
        await session.flush()
        return existing, False
    if await repository.count_for(session, user.id) >= MAX_DEVICES_PER_USER:
        raise conflict(
            "too_many_devices",
            f"at most {MAX_DEVICES_PER_USER} devices receive notifications; "
            "unsubscribe one you no longer use",
        )
    if existing is not None:
        # Another user's device until now: it starts afresh (new id, no delivery history).
        await session.delete(existing)
        await session.flush()
    subscription = PushSubscription(user_id=user.id, endpoint=endpoint, p256dh=p256dh, auth=auth)
    session.add(subscription)
    await session.flush()
    return subscription, True


async def unsubscribe(session: AsyncSession, user: User, endpoint: str) -> None:
    """Only your own device; someone else's endpoint is a 404 like one that does not exist."""
    if not await repository.delete_own(session, user.id, endpoint):
        raise not_found("push subscription")
