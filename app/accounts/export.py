"""The full export of a user's data: each part of the product contributes its own."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.accounts.schemas import SessionPublic, UserPublic
from app.accounts.service import list_sessions
from app.checkins.schemas import CheckInPublic, ResponsePublic
from app.checkins.service import export_for as export_checkins
from app.core.db import utcnow
from app.dynamics.schemas import DynamicPublic
from app.dynamics.service import export_for as export_dynamics
from app.limits.service import export_for as export_limits
from app.notifications.schemas import NotificationPublic
from app.notifications.service import export_for as export_notifications
from app.protocols.schemas import CompletionPublic, ProtocolHistory, ProtocolPublic
from app.protocols.service import export_for as export_protocols
from app.push.repository import for_user as push_devices
from app.push.schemas import SubscriptionPublic
from app.reviews.schemas import ReviewPublic  # part: reviews
from app.reviews.service import export_for as export_reviews  # part: reviews

_sessions = TypeAdapter(list[SessionPublic])
_notifications = TypeAdapter(list[NotificationPublic])


class ExportedInvite(BaseModel):
    code: str
    created_at: datetime
    expires_at: datetime
    state: str
    dynamic_id: uuid.UUID | None


class ExportedLimit(BaseModel):
    dynamic_id: uuid.UUID
    item: str
    answer: str


class ExportedProtocol(ProtocolPublic):
    history: ProtocolHistory
    completions: list[CompletionPublic]


class ExportedCheckIn(CheckInPublic):
    responses: list[ResponsePublic]


class AccountExport(BaseModel):
    """Everything Accord holds about you: your profile and devices, your dynamics (ended ones
    too) with their protocols, your check-ins and answers, your reviews, your limits and your
    inbox. Your partner's private limit answers are not yours and are not in it, nor are their
    review answers before you both submitted."""

    format: Literal["accord-export/1"]
    exported_at: datetime
    user: UserPublic
    sessions: list[SessionPublic]
    dynamics: list[DynamicPublic]
    invites: list[ExportedInvite]
    limits: list[ExportedLimit]
    protocols: list[ExportedProtocol]
    checkins: list[ExportedCheckIn]
    responses_given: list[ResponsePublic]
    reviews: list[ReviewPublic]  # part: reviews (the partner's answers only once revealed)
    notifications: list[NotificationPublic]
    push_devices: list[SubscriptionPublic]


async def export_user(session: AsyncSession, user: User) -> dict[str, Any]:
    return {
        "format": "accord-export/1",
        "exported_at": utcnow().isoformat(),
        "user": UserPublic.model_validate(user).model_dump(mode="json"),
        "sessions": _sessions.dump_python(
            [SessionPublic.model_validate(s) for s in await list_sessions(session, user.id)],
            mode="json",
        ),
        **await export_dynamics(session, user),
        "limits": await export_limits(session, user),
        "protocols": await export_protocols(session, user),
        **await export_checkins(session, user),
        "reviews": await export_reviews(session, user),  # part: reviews
        "notifications": _notifications.dump_python(
            [
                NotificationPublic.model_validate(n)
                for n in await export_notifications(session, user.id)
            ],
            mode="json",
        ),
        # Devices subscribed to push, as the API shows them (never their keys).
        "push_devices": [
            SubscriptionPublic.model_validate(d).model_dump(mode="json")
            for d in await push_devices(session, user.id)
        ],
    }
