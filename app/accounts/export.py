"""The full export of a user's data: each part of the product contributes its own."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.accounts.schemas import SessionPublic, UserPublic
from app.accounts.service import list_sessions
from app.core.db import utcnow
from app.dynamics.service import export_for as export_dynamics
from app.limits.service import export_for as export_limits
from app.notifications.schemas import NotificationPublic
from app.notifications.service import export_for as export_notifications

_sessions = TypeAdapter(list[SessionPublic])
_notifications = TypeAdapter(list[NotificationPublic])


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
        "notifications": _notifications.dump_python(
            [
                NotificationPublic.model_validate(n)
                for n in await export_notifications(session, user.id)
            ],
            mode="json",
        ),
    }
