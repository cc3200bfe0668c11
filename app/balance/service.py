from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.models import User
from app.balance.compute import WEEK, CheckInFact, CompletionFact, NextStep, compute
from app.balance.compute import trend as trend_of
from app.balance.schemas import (
    BalancePublic,
    DayMember,
    DayPublic,
    GapPublic,
    MemberBalance,
    NextStepPublic,
    TrendMemberName,
    TrendPublic,
    Verdict,
    WeekMember,
    WeekPublic,
)
from app.checkins import repository as checkins_repository
from app.checkins.models import CheckIn
from app.checkins.schemas import CloseReason, ResponseKind
from app.core.db import utcnow
from app.core.views import Computed, ViewCache
from app.dynamics import repository as dynamics_repository
from app.dynamics.models import Dynamic
from app.dynamics.service import FORMER_MEMBER
from app.protocols.models import Completion


def _checkin_fact(c: CheckIn) -> CheckInFact:
    # Needs the asker closed as met count as answered; closed as no longer needed, they no
    # longer count at all; expired ones (neither) stay raised and unanswered.
    return CheckInFact(
        user_id=c.user_id,
        occurred_at=c.occurred_at,
        mood=c.mood,
        energy=c.energy,
        gave=c.gave,
        received=c.received,
        deal=c.deal,
        needs=0 if c.needs_closed_reason == CloseReason.not_needed else len(c.needs),
        answered=c.response_kind == ResponseKind.done or c.needs_closed_reason == CloseReason.met,
    )


def _completion_facts(completions: Iterable[Completion]) -> list[CompletionFact]:
    return [
        CompletionFact(
            user_id=c.user_id,
            occurred_at=c.occurred_at,
            acknowledged=c.acknowledged_at is not None,
        )
        for c in completions
        if c.user_id is not None
    ]


async def balance(
    session: AsyncSession, dynamic_id: uuid.UUID, user: User, *, days: int
) -> BalancePublic:
    dynamic, _ = await dynamics_repository.member_dynamic(session, dynamic_id, user.id)
    return await balance_of(session, dynamic, days=days)


async def balance_json(
    session: AsyncSession,
    views: ViewCache,
    dynamic_id: uuid.UUID,
    user: User,
    *,
    days: int,
    now: datetime,
) -> bytes:
    """The balance as the bytes sent, kept while nothing it shows can have changed
    (``app.core.views``). It reads the dynamic's stream only and is the same for both
    members, so they share one entry: the identical balance, to the byte."""
    revision = await dynamics_repository.member_revision(session, dynamic_id, user.id, own=False)

    async def compute() -> Computed:
        dynamic, _ = await dynamics_repository.member_dynamic(session, dynamic_id, user.id)
        result = await balance_of(session, dynamic, days=days, now=now)
        # Its window moves on at midnight UTC, unless the dynamic ended (then it never does).
        return result.model_dump_json().encode(), result.end if result.end > now else None

    return await views.through(("balance", dynamic_id, days), revision, now, compute)


@dataclass(frozen=True)
class _Facts:
    members: tuple[uuid.UUID, uuid.UUID]
    names: dict[uuid.UUID, str]
    checkins: list[CheckInFact]
    completions: list[CompletionFact]


def _last_day_end(dynamic: Dynamic, now: datetime) -> datetime:
    """Midnight UTC after today (or after the day the dynamic ended): whole UTC days, so both
    members asking on the same day get the same window, and the same answer to the byte."""
    last = (dynamic.ended_at or now).date()
    return datetime.combine(last + timedelta(days=1), time(0), UTC)


async def _facts(session: AsyncSession, dynamic: Dynamic, start: datetime, end: datetime) -> _Facts:
    """Both members and their facts in [start, end): three queries, whatever the span."""
    rows = await dynamics_repository.members_with_users(session, [dynamic.id])
    # A deleted member keeps a stable place under their membership's id.
    members = sorted(((m.user_id or m.id), u) for m, u in rows)
    names = {mid: (u.display_name if u else FORMER_MEMBER) for mid, u in members}
    checkins = await checkins_repository.in_window(session, dynamic.id, start, end)
    completions = (
        await session.execute(
            select(Completion).where(
                col(Completion.dynamic_id) == dynamic.id,
                col(Completion.occurred_at) >= start,
                col(Completion.occurred_at) < end,
            )
        )
    ).scalars()
    return _Facts(
        members=(members[0][0], members[1][0]),
        names=names,
        checkins=[_checkin_fact(c) for c in checkins],
        completions=_completion_facts(completions),
    )


async def balance_of(
    session: AsyncSession, dynamic: Dynamic, *, days: int, now: datetime | None = None
) -> BalancePublic:
    end = _last_day_end(dynamic, now or utcnow())
    start = end - timedelta(days=days)
    facts = await _facts(session, dynamic, start, end)
    names = facts.names
    result = compute(
        facts.members, facts.checkins, facts.completions, start=start, end=end, names=names
    )
    return BalancePublic(
        dynamic_id=dynamic.id,
        days=days,
        start=start,
        end=end,
        members=[
            MemberBalance(display_name=names[m.user_id], **m.__dict__) for m in result.members
        ],
        equity_gap=GapPublic(value=result.equity.value, parts=result.equity.parts),
        importance_gap=GapPublic(value=result.importance.value, parts=result.importance.parts),
        under_benefited=result.under_benefited,
        over_benefited=result.over_benefited,
        verdict=Verdict(result.verdict),
        reasons=list(result.reasons),
        series=[
            DayPublic(date=d.date, members=[DayMember(**s.__dict__) for s in d.members])
            for d in result.series
        ],
        next_step=_step(result.next_step),
    )


def _step(step: NextStep | None) -> NextStepPublic | None:
    return None if step is None else NextStepPublic(kind=step.kind, member=step.member)


async def trend(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    user: User,
    *,
    weeks: int,
    now: datetime,
) -> TrendPublic:
    dynamic, _ = await dynamics_repository.member_dynamic(session, dynamic_id, user.id)
    end = _last_day_end(dynamic, now)
    facts = await _facts(session, dynamic, end - weeks * WEEK, end)
    return TrendPublic(
        dynamic_id=dynamic.id,
        members=[TrendMemberName(user_id=m, display_name=facts.names[m]) for m in facts.members],
        weeks=[
            WeekPublic(
                start=week.start,
                end=week.end,
                equity_gap=week.balance.equity.value,
                importance_gap=week.balance.importance.value,
                verdict=Verdict(week.balance.verdict),
                members=[
                    WeekMember(
                        user_id=m.user_id,
                        mean_mood=m.mean_mood,
                        mean_gave=m.mean_gave,
                        mean_received=m.mean_received,
                        checkins=m.checkins,
                    )
                    for m in week.balance.members
                ],
            )
            for week in trend_of(
                facts.members,
                facts.checkins,
                facts.completions,
                end=end,
                weeks=weeks,
                names=facts.names,
            )
        ],
    )
