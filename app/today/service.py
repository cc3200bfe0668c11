"""The home screen in one call. Every part reads a bounded slice (today, the last week, the
balance window), so its cost does not grow with the dynamic's history."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.models import User
from app.balance.service import balance_from, completions_since
from app.balance.service import window as balance_window
from app.checkins import repository as checkins_repository
from app.checkins.models import CheckIn
from app.checkins.schemas import CheckInPublic, ResponseKind
from app.core.db import utcnow
from app.dynamics import repository as dynamics_repository
from app.dynamics import service as dynamics_service
from app.dynamics.models import DynamicState, Membership
from app.dynamics.schemas import DynamicPublic
from app.notifications.service import unread_count
from app.protocols.adherence import occurrences
from app.protocols.models import Completion, Protocol, ProtocolVersion
from app.protocols.rules import Status
from app.today.schemas import BalanceSummary, Occurrence, OpenNeed, TodayPublic

OPEN_NEEDS_DAYS = 7
BALANCE_DAYS = 28


async def today(session: AsyncSession, dynamic_id: uuid.UUID, user: User) -> TodayPublic:
    """Seven queries whatever the history: the dynamic, its members, one window of check-ins
    (the balance's 28 days and the last week of needs), one of completions, the protocols, and
    the unread count. Each part is then cut from what was loaded."""
    dynamic, _ = await dynamics_repository.member_dynamic(session, dynamic_id, user.id)
    now = utcnow()
    members = await dynamics_repository.members_with_users(session, [dynamic.id])
    (view,) = dynamics_service.views_of([dynamic], members)
    start, end = balance_window(dynamic, BALANCE_DAYS)
    needs_since = now - timedelta(days=OPEN_NEEDS_DAYS)
    # No upper bound: a check-in may be dated a few minutes ahead, and still be the latest.
    checkins = await checkins_repository.since(session, dynamic.id, min(start, needs_since))
    # Local days differ by at most a day either side of UTC's.
    completions = await completions_since(session, dynamic.id, min(start, now - timedelta(days=2)))
    summary = balance_from(dynamic, (BALANCE_DAYS, start, end), members, checkins, completions)
    return TodayPublic(
        dynamic=view,
        latest_checkins=[
            CheckInPublic.model_validate(c)
            for c in await _latest_of_each(session, dynamic.id, view, checkins)
        ],
        open_needs=[
            OpenNeed(
                checkin_id=c.id,
                user_id=c.user_id,
                needs=c.needs,
                occurred_at=c.occurred_at,
                response_kind=ResponseKind(c.response_kind) if c.response_kind else None,
            )
            for c in checkins  # newest first
            if c.occurred_at >= needs_since and c.needs and c.response_kind != ResponseKind.done
        ],
        # A red pauses everything: nothing is due while it stands, so nothing is shown as due.
        occurrences=[]
        if dynamic.state == DynamicState.paused
        else await _occurrences(session, dynamic.id, now, members, completions),
        balance=BalanceSummary(verdict=summary.verdict, reasons=summary.reasons),
        unread_notifications=await unread_count(session, user.id),
    )


async def _latest_of_each(
    session: AsyncSession, dynamic_id: uuid.UUID, view: DynamicPublic, loaded: list[CheckIn]
) -> list[CheckIn]:
    """Each member's latest check-in: from the loaded window (newest first) when they have one
    there, which is older than none of theirs outside it; else asked for on its own."""
    member_ids = sorted((m.user_id for m in view.members if m.user_id is not None), key=str)
    latest = []
    for member in member_ids:
        found = next((c for c in loaded if c.user_id == member), None)
        if found is None:
            found = await checkins_repository.latest_of(session, dynamic_id, member)
        if found is not None:
            latest.append(found)
    return latest


async def _occurrences(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    now: datetime,
    members: list[tuple[Membership, User | None]],
    completions: list[Completion],
) -> list[Occurrence]:
    rows = (
        await session.execute(
            select(Protocol, ProtocolVersion)
            .join(
                ProtocolVersion,
                (col(ProtocolVersion.protocol_id) == col(Protocol.id))
                & (col(ProtocolVersion.number) == col(Protocol.in_force_version)),
            )
            .where(col(Protocol.dynamic_id) == dynamic_id, col(Protocol.status) == Status.active)
        )
    ).all()
    scheduled = [(p, v) for p, v in rows if v.schedule]
    if not scheduled:
        return []
    zones = {u.id: ZoneInfo(u.timezone) for _, u in members if u is not None}
    done_by: Counter[tuple[uuid.UUID, uuid.UUID, date]] = Counter()
    result: list[Occurrence] = []
    for protocol, version in scheduled:
        for performer_text in version.performer_ids:
            performer = uuid.UUID(performer_text)
            zone = zones.get(performer)
            if zone is None:
                continue
            local_today = now.astimezone(zone).date()
            for c in completions:
                if c.protocol_id == protocol.id and c.user_id == performer:
                    day = c.occurred_at.astimezone(zone).date()
                    if day == local_today:
                        done_by[(protocol.id, performer, day)] += 1
            start = datetime.combine(local_today, time(0), zone)
            end = datetime.combine(local_today + timedelta(days=1), time(0), zone)
            schedule = version.schedule or {}
            moments = occurrences(
                schedule.get("times", []), schedule.get("weekdays", []), zone, start, end
            )
            finished = done_by[(protocol.id, performer, local_today)]
            for index, moment in enumerate(moments):
                result.append(
                    Occurrence(
                        protocol_id=protocol.id,
                        title=version.title,
                        performer_id=performer,
                        at=moment,
                        local_time=moment.astimezone(zone).strftime("%H:%M"),
                        done=index < finished,
                    )
                )
    return sorted(result, key=lambda o: (o.at, str(o.protocol_id), str(o.performer_id)))
