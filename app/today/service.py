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
from app.balance.service import balance_of
from app.checkins import repository as checkins_repository
from app.checkins.models import CheckIn
from app.checkins.schemas import NEEDS_EXPIRE_DAYS, CheckInPublic, ResponseKind
from app.core.views import Computed, ViewCache
from app.dynamics import repository as dynamics_repository
from app.dynamics import service as dynamics_service
from app.dynamics.models import DynamicState, Membership
from app.notifications.service import unread_count
from app.protocols import repository as protocols_repository
from app.protocols.adherence import occurrences
from app.protocols.models import Completion, Protocol
from app.today.schemas import (
    BalanceSummary,
    Occurrence,
    OpenNeed,
    TodayPublic,
    WaitingCount,
    WaitingCounts,
)
from app.today.waiting import leaves_at, open_needs_of, waiting

BALANCE_DAYS = 28


async def today_json(
    session: AsyncSession, views: ViewCache, dynamic_id: uuid.UUID, user: User, *, now: datetime
) -> bytes:
    """Home as the bytes sent, kept while nothing it shows can have changed (``app.core.views``):
    it reads the dynamic's stream and, for the unread count, the caller's own."""
    revision = await dynamics_repository.member_revision(session, dynamic_id, user.id, own=True)

    async def compute() -> Computed:
        view, horizon = await _today(session, dynamic_id, user, now=now)
        return view.model_dump_json().encode(), horizon

    return await views.through(("today", dynamic_id, user.id), revision, now, compute)


async def today(
    session: AsyncSession, dynamic_id: uuid.UUID, user: User, *, now: datetime
) -> TodayPublic:
    return (await _today(session, dynamic_id, user, now=now))[0]


async def _today(
    session: AsyncSession, dynamic_id: uuid.UUID, user: User, *, now: datetime
) -> tuple[TodayPublic, datetime | None]:
    """Home, and the first moment it could read differently with no write (its horizon)."""
    dynamic, _ = await dynamics_repository.member_dynamic(session, dynamic_id, user.id)
    view = await dynamics_service.view(session, dynamic)
    member_ids = sorted((m.user_id for m in view.members if m.user_id is not None), key=str)
    latest = [
        c
        for c in [await checkins_repository.latest_of(session, dynamic.id, m) for m in member_ids]
        if c is not None
    ]
    recent = list(
        (
            await session.execute(
                select(CheckIn)
                .where(
                    col(CheckIn.dynamic_id) == dynamic.id,
                    col(CheckIn.occurred_at) >= now - timedelta(days=NEEDS_EXPIRE_DAYS),
                )
                .order_by(col(CheckIn.occurred_at).desc(), col(CheckIn.id).desc())
            )
        ).scalars()
    )
    open_needs = [
        OpenNeed(
            checkin_id=c.id,
            user_id=c.user_id,
            needs=c.needs,
            occurred_at=c.occurred_at,
            response_kind=ResponseKind(c.response_kind) if c.response_kind else None,
            expires_at=c.occurred_at + timedelta(days=NEEDS_EXPIRE_DAYS),
        )
        for c in open_needs_of(recent, now)
    ]
    summary = await balance_of(session, dynamic, days=BALANCE_DAYS, now=now)
    # A red pauses everything: nothing is due while it stands, so nothing is shown as due.
    occurrences, midnights = (
        ([], [])
        if dynamic.state == DynamicState.paused
        else await _occurrences(session, dynamic.id, now)
    )
    home = TodayPublic(
        dynamic=view,
        latest_checkins=[CheckInPublic.model_validate(c) for c in latest],
        open_needs=open_needs,
        occurrences=occurrences,
        balance=BalanceSummary(
            verdict=summary.verdict, reasons=summary.reasons, next_step=summary.next_step
        ),
        unread_notifications=await unread_count(session, user.id),
        waiting=await waiting(session, dynamic, view.members, user.id, recent, now),
    )
    # What changes by time alone: the balance's window moves on, a performer's day ends, a need
    # expires, an item leaves the waiting list. Whatever else home shows changes by a write.
    moments = [summary.end, *midnights, *(n.expires_at for n in open_needs)]
    moments += [at for item in home.waiting if (at := leaves_at(item)) is not None]
    return home, min((m for m in moments if m > now), default=None)


async def waiting_counts(session: AsyncSession, user: User, *, now: datetime) -> WaitingCounts:
    """How many things wait for this person in each of their open dynamics: the switcher's
    badges. A few queries per dynamic; a person has one dynamic per partner."""
    dynamics, _ = await dynamics_repository.dynamics_of(
        session, user.id, state=None, cursor=None, limit=100
    )
    counts = []
    for dynamic in dynamics:
        if dynamic.state == DynamicState.ended:
            continue
        view = await dynamics_service.view(session, dynamic)
        recent = await checkins_repository.in_window(
            session, dynamic.id, now - timedelta(days=NEEDS_EXPIRE_DAYS), now + timedelta(days=1)
        )
        items = await waiting(session, dynamic, view.members, user.id, recent, now)
        counts.append(WaitingCount(dynamic_id=dynamic.id, count=len(items)))
    return WaitingCounts(dynamics=counts)


async def _zones(session: AsyncSession, dynamic_id: uuid.UUID) -> dict[uuid.UUID, ZoneInfo]:
    members = await session.execute(
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(col(Membership.dynamic_id) == dynamic_id)
    )
    return {m.id: ZoneInfo(m.timezone) for m in members.scalars()}


async def _occurrences(
    session: AsyncSession, dynamic_id: uuid.UUID, now: datetime
) -> tuple[list[Occurrence], list[datetime]]:
    """Today's moments in each performer's own day, and when those days end."""
    rows = (
        await session.execute(
            protocols_repository.in_force_terms().where(col(Protocol.dynamic_id) == dynamic_id)
        )
    ).all()
    scheduled = [(p, v) for p, v in rows if v.schedule]
    if not scheduled:
        return [], []
    # A moment before the version came in force was never due (follow-through agrees): today
    # shows it as not due, and a later completion marks the next due moment done, not it.
    in_force_since: dict[uuid.UUID, datetime] = {}
    for event in await protocols_repository.events(
        session, [p.id for p, _ in scheduled], actions={"activated", "reactivated"}
    ):
        in_force_since[event.protocol_id] = event.at  # events come in order: the last wins
    zones = await _zones(session, dynamic_id)
    # Local days differ by at most a day either side of UTC's.
    done = (
        await session.execute(
            select(Completion).where(
                col(Completion.dynamic_id) == dynamic_id,
                col(Completion.occurred_at) >= now - timedelta(days=2),
            )
        )
    ).scalars()
    done_by: Counter[tuple[uuid.UUID, uuid.UUID, date]] = Counter()
    completions = list(done)
    result: list[Occurrence] = []
    midnights: set[datetime] = set()
    for protocol, version in scheduled:
        for performer_text in version.performer_ids:
            performer = uuid.UUID(performer_text)
            zone = zones.get(performer)
            if zone is None:
                continue
            local_today = now.astimezone(zone).date()
            since = in_force_since.get(protocol.id)
            for c in completions:
                if since is not None and c.occurred_at < since:
                    continue
                if c.protocol_id == protocol.id and c.user_id == performer:
                    day = c.occurred_at.astimezone(zone).date()
                    if day == local_today:
                        done_by[(protocol.id, performer, day)] += 1
            start = datetime.combine(local_today, time(0), zone)
            end = datetime.combine(local_today + timedelta(days=1), time(0), zone)
            midnights.add(end)
            schedule = version.schedule or {}
            moments = occurrences(
                schedule.get("times", []), schedule.get("weekdays", []), zone, start, end
            )
            finished = done_by[(protocol.id, performer, local_today)]
            due = [since is None or moment >= since for moment in moments]
            for index, moment in enumerate(moments):
                result.append(
                    Occurrence(
                        protocol_id=protocol.id,
                        version_id=version.id,
                        title=version.title,
                        performer_id=performer,
                        at=moment,
                        local_time=moment.astimezone(zone).strftime("%H:%M"),
                        due=due[index],
                        done=due[index] and sum(due[: index + 1]) <= finished,
                    )
                )
    ordered = sorted(result, key=lambda o: (o.at, str(o.protocol_id), str(o.performer_id)))
    return ordered, sorted(midnights)
