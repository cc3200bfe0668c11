"""Dispatching: claim what is due, decide, record, then push.

Exactly once: due reminders are claimed in one transaction (``FOR UPDATE SKIP LOCKED`` on
PostgreSQL, so two workers never take the same row; SQLite serialises writers), marked sent or
skipped in that same transaction, and only then pushed. A crash after the commit loses a push
(at most once), never doubles one.

Each reminder is checked again when it is due, against the state of that moment: nothing is
sent for a paused or ended dynamic, or for a protocol that is no longer active, no longer has
reminders on, or no longer has that time in its schedule. A reminder more than an hour late
(the app was down) is skipped, never sent in a burst. Quiet hours are applied again, so a
change of quiet hours moves what is already planned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.models import User
from app.core.db import Database, utcnow
from app.dynamics.models import Dynamic, DynamicState, Membership
from app.notifications.models import Notification, NotificationKind, Reminder
from app.notifications.service import notify
from app.protocols.models import Protocol, ProtocolVersion
from app.protocols.rules import Status
from app.push.sender import PushMessage, PushSender
from app.reminders import planner
from app.reminders.messages import message_for
from app.reminders.timing import defer_for_quiet
from app.reviews import repository as reviews_repository

log = logging.getLogger("accord.reminders")

BATCH = 200

# What the dispatcher reads the time from: ``utcnow`` in the app and the worker; a test hands in
# one it moves forward, so that a reminder is due without waiting for the wall clock.
Clock = Callable[[], datetime]


@dataclass
class Round:
    sent: int = 0
    skipped: int = 0
    moved: int = 0
    sent_kinds: Counter[str] = field(default_factory=Counter)
    pushes: list[tuple[uuid.UUID, PushMessage]] = field(default_factory=list)


async def dispatch_once(db: Database, sender: PushSender | None, now: datetime) -> Round:
    """Claim and settle one batch of reminders due at ``now``, then push them. Returns what
    happened."""
    outcome = Round()
    async with db.writer() as session:
        stmt = (
            select(Reminder)
            .where(col(Reminder.state) == "pending", col(Reminder.due_at) <= now)
            .order_by(col(Reminder.due_at), col(Reminder.id))
            .limit(BATCH)
        )
        if db.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        due = list((await session.execute(stmt)).scalars())
        # Held while settling: the session's identity map keeps only weak references.
        loaded = await _preload(session, due)
        for reminder in due:
            await _settle(session, reminder, now, outcome)
        del loaded
        await session.commit()
    if sender is not None and outcome.pushes:
        await _push_all(sender, outcome.pushes)
    return outcome


async def _preload(session: AsyncSession, due: list[Reminder]) -> list[object]:
    """The batch's users, notifications and their actors in up to three queries: each
    reminder's ``session.get`` then finds them in the session instead of asking one by one.
    The caller holds what is returned while it works, as the session's map only holds it
    weakly."""
    loaded: list[object] = []

    async def load(model: type[User] | type[Notification], ids: set[uuid.UUID]) -> list[Any]:
        if not ids:
            return []
        stmt = select(model).where(col(model.id).in_(list(ids)))
        rows = list((await session.execute(stmt)).scalars())
        loaded.extend(rows)
        return rows

    user_ids = {r.user_id for r in due}
    await load(User, user_ids)
    notes = await load(Notification, {r.notification_id for r in due if r.notification_id})
    await load(User, {n.actor_id for n in notes if n.actor_id is not None} - user_ids)
    return loaded


async def _push_all(sender: PushSender, pushes: list[tuple[uuid.UUID, PushMessage]]) -> None:
    # One read and one write for the whole batch, the sends concurrent on one connection pool,
    # each send settled exactly as it would be alone (PushSender.send_many).
    try:
        await sender.send_many(pushes)
    except Exception:  # the batch is settled already; the next round goes on
        log.exception("push delivery failed")


async def _settle(session: AsyncSession, reminder: Reminder, now: datetime, out: Round) -> None:
    def skip(reason: str) -> None:
        reminder.state = "skipped"
        reminder.outcome = reason
        out.skipped += 1

    user = await session.get(User, reminder.user_id)
    if user is None:
        return skip("no_user")
    # Quiet hours as they are now (they may have changed since planning).
    zone = ZoneInfo(user.timezone)
    wanted = defer_for_quiet(
        max(reminder.due_at, reminder.scheduled_for), zone, planner.quiet_of(user)
    )
    if wanted > now:
        reminder.due_at = wanted
        out.moved += 1
        return
    if now - reminder.due_at > planner.LATE_LIMIT:
        return skip("missed")
    reason = await _why_not(session, reminder, user)
    if reason is not None:
        return skip(reason)
    notification: Notification | None = None
    if reminder.kind == "notification":
        notification = (
            await session.get(Notification, reminder.notification_id)
            if reminder.notification_id
            else None
        )
        if notification is None:
            return skip("notification_gone")
        if not user.push_inbox:
            return skip("push_off")
    else:
        # A reminder is also kept in the inbox, so it is seen without push too.
        (notification,) = await notify(
            session,
            recipients=[user.id],
            kind=NotificationKind.reminder,
            dynamic_id=reminder.dynamic_id,
            actor_id=None,
            data={"reminder": reminder.kind, "protocol_id": str(reminder.protocol_id)}
            if reminder.protocol_id
            else {"reminder": reminder.kind},
            push=False,
        )
    reminder.state = "sent"
    reminder.sent_at = now
    out.sent += 1
    out.sent_kinds[reminder.kind] += 1
    out.pushes.append((user.id, await message_for(session, reminder, notification)))


async def _why_not(session: AsyncSession, reminder: Reminder, user: User) -> str | None:
    """Why this reminder must not be sent now, or None."""
    dynamic = await session.get(Dynamic, reminder.dynamic_id) if reminder.dynamic_id else None
    if reminder.kind == "notification":
        return None  # the inbox item exists; a red's own notice must reach the partner
    if dynamic is None or dynamic.state == DynamicState.ended:
        return "dynamic_ended"
    if dynamic.state == DynamicState.paused:
        return "dynamic_paused"
    member = (
        await session.execute(
            select(Membership.id).where(
                col(Membership.dynamic_id) == dynamic.id, col(Membership.user_id) == user.id
            )
        )
    ).first()
    if member is None:
        return "not_a_member"
    if reminder.zone is not None and reminder.zone != user.timezone:
        return "not_due_anymore"  # planned for another zone; the new zone has its own
    wall = datetime.strptime(reminder.wall, "%Y-%m-%dT%H:%M") if reminder.wall else None
    if reminder.kind == "review_due":  # still the next review's date (app/reviews)?
        next_on = await reviews_repository.next_review_on(session, dynamic.id)
        if next_on is None or reminder.key != planner.dynamic_review_key(
            dynamic.id, user.id, next_on
        ):
            return "not_due_anymore"
        return None
    if reminder.kind == "checkin":
        if wall is None or wall.strftime("%H:%M") != user.checkin_reminder_time:
            return "not_due_anymore"
        return None
    protocol = await session.get(Protocol, reminder.protocol_id) if reminder.protocol_id else None
    if protocol is None or protocol.status != Status.active or protocol.in_force_version is None:
        return "protocol_not_active"
    version = (
        await session.execute(
            select(ProtocolVersion).where(
                col(ProtocolVersion.protocol_id) == protocol.id,
                col(ProtocolVersion.number) == protocol.in_force_version,
            )
        )
    ).scalar_one()
    if reminder.kind == "review":
        expected = f"review:{protocol.id}:{user.id}:{version.review_on}"
        return None if reminder.key == expected else "not_due_anymore"
    # A protocol occurrence: still reminded, still this performer, this day and time?
    schedule = version.schedule or {}
    if (
        wall is None
        or not version.reminders
        or str(user.id) not in version.performer_ids
        or wall.strftime("%H:%M") not in schedule.get("times", [])
        or wall.weekday() not in schedule.get("weekdays", [])
    ):
        return "not_due_anymore"
    return None


async def run(
    db: Database,
    sender: PushSender | None,
    stop: asyncio.Event,
    *,
    interval: float = 15.0,
    plan: bool = True,
    clock: Clock = utcnow,
) -> None:
    """Plan and dispatch until ``stop`` is set: the in-app dispatcher and the worker's loop.
    Every round reads ``clock`` for the time it plans at and for each batch it dispatches."""
    while not stop.is_set():
        try:
            if plan:
                async with db.writer() as session:
                    await planner.plan(session, clock())
                    await session.commit()
            # Drain what is due, but stop between batches when asked (a SIGTERM must not wait
            # for a whole backlog; what is claimed is always pushed before stopping).
            while not stop.is_set():
                done = await dispatch_once(db, sender, clock())
                if done.sent + done.skipped + done.moved < BATCH:
                    break
        except Exception:  # keep dispatching; the next round retries
            log.exception("reminder round failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)
