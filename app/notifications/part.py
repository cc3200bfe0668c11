"""Notifications as a part: the inbox in the feed and the export, and the notices due (kept a
while after they went, then swept)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from pydantic import TypeAdapter
from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.declaration import Export, Part, Sweep, SyncEntity
from app.notifications import service
from app.notifications.models import NOTIFICATION, Notification, Reminder
from app.notifications.router import router
from app.notifications.schemas import NotificationPublic

DONE_REMINDERS_KEEP = timedelta(days=30)

_notifications = TypeAdapter(list[NotificationPublic])


async def _load(
    session: AsyncSession, reader: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, NotificationPublic]:
    """Only the reader's own: a notification is in its recipient's stream alone."""
    found = await session.execute(
        select(Notification).where(
            col(Notification.id).in_(ids), col(Notification.user_id) == reader
        )
    )
    return {n.id: NotificationPublic.model_validate(n) for n in found.scalars()}


async def _actor_gone(session: AsyncSession, user_id: uuid.UUID) -> None:
    """The partners' notifications about what the user did lose their actor."""
    told = await session.execute(
        select(Notification.user_id, Notification.id)
        .where(col(Notification.actor_id) == user_id, col(Notification.user_id) != user_id)
        .order_by(col(Notification.user_id), col(Notification.id))
    )
    for recipient_id, notification_id in told.all():
        await service.notification_changed(session, recipient_id, notification_id)


async def _export(session: AsyncSession, user_id: uuid.UUID) -> dict[str, object]:
    mine = [
        NotificationPublic.model_validate(n) for n in await service.export_for(session, user_id)
    ]
    return {"notifications": _notifications.dump_python(mine, mode="json")}


PART = Part(
    name="notifications",
    routers=(router,),
    models=(Notification, Reminder),
    sync=(SyncEntity(NOTIFICATION, _load, account_deleted=_actor_gone),),
    export=Export({"notifications": list[NotificationPublic]}, _export),
    sweeps=(
        Sweep(
            "reminders",
            Reminder,
            lambda now: and_(
                col(Reminder.state) != "pending", col(Reminder.due_at) < now - DONE_REMINDERS_KEEP
            ),
        ),
    ),
)
