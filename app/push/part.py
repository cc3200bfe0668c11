"""Push as a part: the devices that take Web Push, in the export (never their keys), forgotten
when an account is disabled, and swept once they have been failing for a long while."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.core.declaration import Export, Part, Sweep
from app.push import repository
from app.push.models import PushSubscription
from app.push.router import router
from app.push.schemas import SubscriptionPublic

# A device that has failed this often and not taken a push for this long is gone for good.
DEAD_DEVICE_FAILURES = 10
DEAD_DEVICE_SILENCE = timedelta(days=30)


async def _export(session: AsyncSession, user_id: uuid.UUID) -> dict[str, object]:
    return {
        "push_devices": [
            SubscriptionPublic.model_validate(d).model_dump(mode="json")
            for d in await repository.for_user(session, user_id)
        ]
    }


def _dead(now: datetime) -> ColumnElement[bool]:
    silent_since = now - DEAD_DEVICE_SILENCE
    return and_(
        col(PushSubscription.failure_count) >= DEAD_DEVICE_FAILURES,
        col(PushSubscription.created_at) < silent_since,
        or_(
            col(PushSubscription.last_success_at).is_(None),
            col(PushSubscription.last_success_at) < silent_since,
        ),
    )


PART = Part(
    name="push",
    routers=(router,),
    models=(PushSubscription,),
    export=Export({"push_devices": list[SubscriptionPublic]}, _export),
    disable=repository.forget_devices,
    sweeps=(Sweep("push_subscriptions", PushSubscription, _dead),),
)
