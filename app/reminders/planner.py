"""Planning: turn schedules into reminder rows for the next hours.

Idempotent by construction: every reminder has a unique key naming its occurrence, so planning
the same hours again (by this process, after a restart, or by a second worker at the same
moment) inserts nothing new.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.models import User
from app.core.db import insert_new, metadata
from app.dynamics.models import Dynamic, DynamicState, Membership
from app.notifications.models import Reminder
from app.protocols.models import Protocol, ProtocolVersion
from app.protocols.repository import in_force_terms
from app.reminders.timing import Due, QuietHours, daily, on_date, scheduled
from app.reviews import repository as reviews_repository

HORIZON = timedelta(hours=26)
LATE_LIMIT = timedelta(hours=1)  # after downtime: sent once if less late than this, else skipped
REVIEW_TIME = "10:00"
REMINDERS = metadata.tables[Reminder.__tablename__]


def quiet_of(user: User) -> QuietHours | None:
    return QuietHours.parse(user.quiet_hours_start, user.quiet_hours_end)


def protocol_key(protocol_id: uuid.UUID, user: User, due: Due) -> str:
    return f"protocol:{protocol_id}:{user.id}:{user.timezone}:{due.key}"


def checkin_key(dynamic_id: uuid.UUID, user: User, due: Due) -> str:
    return f"checkin:{dynamic_id}:{user.id}:{user.timezone}:{due.key}"


def review_key(protocol_id: uuid.UUID, user_id: uuid.UUID, due: Due) -> str:
    return f"review:{protocol_id}:{user_id}:{due.key[:10]}"


def dynamic_review_key(dynamic_id: uuid.UUID, user_id: uuid.UUID, next_on: date) -> str:
    return f"review_due:{dynamic_id}:{user_id}:{next_on.isoformat()}"


def _row(
    key: str,
    kind: str,
    user: User,
    due: Due,
    *,
    dynamic_id: uuid.UUID,
    protocol_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "key": key,
        "kind": kind,
        "user_id": user.id,
        "dynamic_id": dynamic_id,
        "protocol_id": protocol_id,
        "zone": user.timezone,
        "wall": due.key,
        "scheduled_for": due.scheduled,
        "due_at": due.at,
        "state": "pending",
    }


async def plan(session: AsyncSession, now: datetime, horizon: timedelta = HORIZON) -> int:
    start, end = now - LATE_LIMIT, now + horizon
    rows: list[dict[str, Any]] = []
    rows += await _protocol_rows(session, start, end)
    rows += await _checkin_rows(session, start, end)
    rows += await _review_rows(session, now)
    rows += await _dynamic_review_rows(session, now)
    for row in rows:
        row["created_at"] = now  # planned at the planner's now, the clock the caller reads
    created = 0
    for chunk in range(0, len(rows), 500):
        created += await insert_new(session, REMINDERS, rows[chunk : chunk + 500], unique=["key"])
    return created


async def _protocol_rows(
    session: AsyncSession, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    found = (
        await session.execute(
            in_force_terms()
            .join(Dynamic, col(Dynamic.id) == col(Protocol.dynamic_id))
            .where(
                col(Dynamic.state) == DynamicState.active,
                col(ProtocolVersion.reminders).is_(True),
                col(ProtocolVersion.schedule).is_not(None),
            )
        )
    ).all()
    performer_ids = {uuid.UUID(p) for _, v in found for p in v.performer_ids}
    users = await _users(session, performer_ids)
    rows = []
    for protocol, version in found:
        schedule = version.schedule or {}
        for performer in version.performer_ids:
            user = users.get(uuid.UUID(performer))
            if user is None:
                continue
            zone = ZoneInfo(user.timezone)
            for due in scheduled(
                schedule.get("times", []),
                schedule.get("weekdays", []),
                zone,
                quiet_of(user),
                start,
                end,
            ):
                rows.append(
                    _row(
                        protocol_key(protocol.id, user, due),
                        "protocol",
                        user,
                        due,
                        dynamic_id=protocol.dynamic_id,
                        protocol_id=protocol.id,
                    )
                )
    return rows


async def _checkin_rows(
    session: AsyncSession, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    found = (
        await session.execute(
            select(User, Membership.dynamic_id)
            .join(Membership, col(Membership.user_id) == col(User.id))
            .join(Dynamic, col(Dynamic.id) == col(Membership.dynamic_id))
            .where(
                col(User.checkin_reminder_time).is_not(None),
                col(Dynamic.state) == DynamicState.active,
            )
        )
    ).all()
    rows = []
    for user, dynamic_id in found:
        assert user.checkin_reminder_time is not None
        for due in daily(
            user.checkin_reminder_time, ZoneInfo(user.timezone), quiet_of(user), start, end
        ):
            rows.append(
                _row(
                    checkin_key(dynamic_id, user, due), "checkin", user, due, dynamic_id=dynamic_id
                )
            )
    return rows


async def _review_rows(session: AsyncSession, now: datetime) -> list[dict[str, Any]]:
    """A protocol's review date reminds both members once, on that day."""
    soon = now.date() + timedelta(days=2)
    found = (
        await session.execute(
            in_force_terms()
            .add_columns(col(Membership.user_id))
            .join(Dynamic, col(Dynamic.id) == col(Protocol.dynamic_id))
            .join(Membership, col(Membership.dynamic_id) == col(Protocol.dynamic_id))
            .where(
                col(Dynamic.state) == DynamicState.active,
                col(ProtocolVersion.review_on).is_not(None),
                col(ProtocolVersion.review_on) >= now.date() - timedelta(days=1),
                col(ProtocolVersion.review_on) <= soon,
            )
        )
    ).all()
    users = await _users(session, {uid for _, _, uid in found if uid is not None})
    rows = []
    for protocol, version, user_id in found:
        user = users.get(user_id) if user_id else None
        if user is None or version.review_on is None:
            continue
        due = on_date(version.review_on, REVIEW_TIME, ZoneInfo(user.timezone), quiet_of(user))
        if now - LATE_LIMIT <= due.scheduled:
            rows.append(
                _row(
                    review_key(protocol.id, user.id, due),
                    "review",
                    user,
                    due,
                    dynamic_id=protocol.dynamic_id,
                    protocol_id=protocol.id,
                )
            )
    return rows


async def _dynamic_review_rows(session: AsyncSession, now: datetime) -> list[dict[str, Any]]:
    """The day before a dynamic's next review (its cadence, app.reviews), both members are
    reminded once, at the review-reminder time of their own day."""
    found = await reviews_repository.reminders_between(
        session, now.date(), now.date() + timedelta(days=3)
    )
    users = await _users(session, {uid for _, _, uid in found})
    rows = []
    for dynamic_id, next_on, user_id in found:
        user = users.get(user_id)
        if user is None:
            continue
        due = on_date(
            next_on - timedelta(days=1), REVIEW_TIME, ZoneInfo(user.timezone), quiet_of(user)
        )
        if now - LATE_LIMIT <= due.scheduled:
            rows.append(
                _row(
                    dynamic_review_key(dynamic_id, user.id, next_on),
                    "review_due",
                    user,
                    due,
                    dynamic_id=dynamic_id,
                )
            )
    return rows


async def _users(session: AsyncSession, ids: set[uuid.UUID]) -> dict[uuid.UUID, User]:
    if not ids:
        return {}
    result = await session.execute(select(User).where(col(User.id).in_(ids)))
    return {u.id: u for u in result.scalars()}
