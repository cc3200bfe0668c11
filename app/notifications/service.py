"""The inbox. Other parts call ``notify`` with a ``NotificationKind``; nothing else writes here."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.db import utcnow
from app.core.pagination import newest_first
from app.notifications.models import NOTIFICATION, Notification, NotificationKind, Reminder
from app.sync import record as sync


async def notification_changed(
    session: AsyncSession, recipient_id: uuid.UUID, notification_id: uuid.UUID
) -> int:
    """Record in the recipient's own stream that the notification is new or changed."""
    return await sync.record(session, sync.user_stream(recipient_id), NOTIFICATION, notification_id)


async def notify(
    session: AsyncSession,
    *,
    recipients: Iterable[uuid.UUID],
    kind: NotificationKind,
    dynamic_id: uuid.UUID | None,
    actor_id: uuid.UUID | None,
    data: dict[str, Any] | None = None,
    push: bool = True,
) -> list[Notification]:
    """Tell each recipient something happened, in the inbox and (``push``) on their devices.

    Keep ``data`` to references and labels: the inbox may be pushed to a lock screen, so it
    never carries notes or check-in contents. The push is queued as a reminder due now, in
    this transaction, so it goes out once the change is committed, and never if it is not."""
    created = [
        Notification(
            user_id=recipient,
            kind=kind,
            dynamic_id=dynamic_id,
            actor_id=actor_id,
            data=dict(data or {}),
        )
        for recipient in recipients
        if recipient != actor_id
    ]
    session.add_all(created)
    for n in sorted(created, key=lambda n: str(n.user_id)):
        await notification_changed(session, n.user_id, n.id)
    if push:
        now = utcnow()
        session.add_all(
            Reminder(
                key=f"notification:{n.id}",
                kind="notification",
                user_id=n.user_id,
                dynamic_id=n.dynamic_id,
                notification_id=n.id,
                actor_id=actor_id,
                scheduled_for=now,
                due_at=now,
            )
            for n in created
        )
    return created


async def list_for(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    unread_only: bool,
    cursor: str | None,
    limit: int,
) -> tuple[list[Notification], str | None]:
    stmt = select(Notification).where(col(Notification.user_id) == user_id)
    if unread_only:
        stmt = stmt.where(col(Notification.read_at).is_(None))
    return await newest_first(
        session, stmt, Notification.created_at, Notification.id, cursor=cursor, limit=limit
    )


async def unread_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    result = await session.execute(
        select(func.count()).where(
            col(Notification.user_id) == user_id, col(Notification.read_at).is_(None)
        )
    )
    return int(result.scalar_one())


async def mark_read(
    session: AsyncSession, user_id: uuid.UUID, *, ids: list[uuid.UUID] | None
) -> int:
    stmt = (
        update(Notification)
        .where(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
        .values(read_at=utcnow())
    )
    if ids is not None:
        stmt = stmt.where(col(Notification.id).in_(ids))
    result = await session.execute(stmt.returning(col(Notification.id)))
    marked = sorted(result.scalars(), key=str)
    for notification_id in marked:
        await notification_changed(session, user_id, notification_id)
    return len(marked)


async def export_for(session: AsyncSession, user_id: uuid.UUID) -> list[Notification]:
    result = await session.execute(
        select(Notification)
        .where(col(Notification.user_id) == user_id)
        .order_by(col(Notification.created_at))
    )
    return list(result.scalars())
