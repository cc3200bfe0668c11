from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.models import User
from app.core.db import utcnow
from app.core.errors import AppError, conflict, not_found
from app.dynamics import repository as dynamics_repository
from app.dynamics.models import DynamicState
from app.dynamics.service import ensure_open
from app.notifications.models import Notification, NotificationKind, Reminder
from app.notifications.service import notify
from app.reminders.planner import LATE_LIMIT

NUDGE_EVERY = timedelta(days=1)
UPCOMING_KINDS = ("protocol", "checkin", "review")


async def upcoming(
    session: AsyncSession, user: User, *, limit: int, now: datetime | None = None
) -> list[Reminder]:
    now = now or utcnow()
    result = await session.execute(
        select(Reminder)
        .where(
            col(Reminder.user_id) == user.id,
            col(Reminder.state) == "pending",
            col(Reminder.kind).in_(UPCOMING_KINDS),
            col(Reminder.due_at) >= now - LATE_LIMIT,
        )
        .order_by(col(Reminder.due_at), col(Reminder.id))
        .limit(limit)
    )
    return list(result.scalars())


async def snooze(
    session: AsyncSession, reminder_id: uuid.UUID, user: User, minutes: int
) -> Reminder:
    reminder = (
        await session.execute(
            select(Reminder)
            .where(col(Reminder.id) == reminder_id, col(Reminder.user_id) == user.id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if reminder is None or reminder.kind not in UPCOMING_KINDS:
        raise not_found("reminder")
    if reminder.state != "pending":
        raise conflict("reminder_done", f"this reminder was already {reminder.state}")
    now = utcnow()
    reminder.due_at = max(reminder.due_at, now) + timedelta(minutes=minutes)
    # Snoozing moves the sending; the lateness limit counts from the new time.
    reminder.scheduled_for = max(reminder.scheduled_for, reminder.due_at)
    reminder.outcome = "snoozed"
    session.add(reminder)
    await session.flush()
    return reminder


async def nudge(
    session: AsyncSession, dynamic_id: uuid.UUID, user: User
) -> tuple[Notification, datetime]:
    """A gentle "thinking of you" for the partner: one a day in each direction."""
    dynamic, _ = await dynamics_repository.member_dynamic(
        session, dynamic_id, user.id, for_update=True
    )
    ensure_open(dynamic)
    if dynamic.state == DynamicState.paused:
        raise conflict("dynamic_paused", "a red is standing; nothing is sent until it is lifted")
    partners = await dynamics_repository.partner_ids(session, dynamic.id, user.id)
    if not partners:
        raise conflict("no_partner", "there is nobody to nudge in this dynamic")
    now = utcnow()
    last = (
        await session.execute(
            select(Notification.created_at)
            .where(
                col(Notification.dynamic_id) == dynamic.id,
                col(Notification.kind) == NotificationKind.nudge,
                col(Notification.actor_id) == user.id,
                col(Notification.created_at) > now - NUDGE_EVERY,
            )
            .order_by(col(Notification.created_at).desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    if last is not None:
        wait = max(1, math.ceil((last + NUDGE_EVERY - now).total_seconds()))
        raise AppError(
            429,
            "nudge_limit",
            "one nudge a day: your partner already has today's",
            headers={"Retry-After": str(wait)},
        )
    (sent,) = await notify(
        session,
        recipients=partners[:1],
        kind=NotificationKind.nudge,
        dynamic_id=dynamic.id,
        actor_id=user.id,
        data={"actor_name": user.display_name},
    )
    return sent, now + NUDGE_EVERY
