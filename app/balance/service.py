from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.models import User
from app.balance.compute import CheckInFact, CompletionFact, compute
from app.balance.schemas import (
    BalancePublic,
    DayMember,
    DayPublic,
    GapPublic,
    MemberBalance,
    Verdict,
)
from app.checkins import repository as checkins_repository
from app.checkins.models import CheckIn
from app.core.db import utcnow
from app.dynamics import repository as dynamics_repository
from app.dynamics.models import Dynamic, Membership
from app.dynamics.service import FORMER_MEMBER
from app.protocols.models import Completion


async def balance(
    session: AsyncSession, dynamic_id: uuid.UUID, user: User, *, days: int
) -> BalancePublic:
    dynamic, _ = await dynamics_repository.member_dynamic(session, dynamic_id, user.id)
    return await balance_of(session, dynamic, days=days)


async def balance_of(session: AsyncSession, dynamic: Dynamic, *, days: int) -> BalancePublic:
    start, end = window(dynamic, days)
    rows = await dynamics_repository.members_with_users(session, [dynamic.id])
    checkins = await checkins_repository.in_window(session, dynamic.id, start, end)
    completions = await completions_since(session, dynamic.id, start, until=end)
    return balance_from(dynamic, (days, start, end), rows, checkins, completions)


def window(dynamic: Dynamic, days: int) -> tuple[datetime, datetime]:
    """Whole UTC days, ending with today (or the day the dynamic ended): both members asking on
    the same day get the same window, so the same answer to the byte."""
    last = (dynamic.ended_at or utcnow()).date()
    end = datetime.combine(last + timedelta(days=1), time(0), UTC)
    return end - timedelta(days=days), end


async def completions_since(
    session: AsyncSession, dynamic_id: uuid.UUID, since: datetime, *, until: datetime | None = None
) -> list[Completion]:
    stmt = select(Completion).where(
        col(Completion.dynamic_id) == dynamic_id, col(Completion.occurred_at) >= since
    )
    if until is not None:
        stmt = stmt.where(col(Completion.occurred_at) < until)
    return list((await session.execute(stmt)).scalars())


def balance_from(
    dynamic: Dynamic,
    span: tuple[int, datetime, datetime],
    rows: list[tuple[Membership, User | None]],
    checkins: Iterable[CheckIn],
    completions: Iterable[Completion],
) -> BalancePublic:
    """The balance over ``span`` (its days, and their ``window``) from what was loaded for it:
    the members with their users, and check-ins and completions at least of the window (others
    are left out here)."""
    days, start, end = span
    # A deleted member keeps a stable place under their membership's id.
    members = sorted(((m.user_id or m.id), u) for m, u in rows)
    ids = (members[0][0], members[1][0])
    names = {mid: (u.display_name if u else FORMER_MEMBER) for mid, u in members}
    checkins = sorted(
        (c for c in checkins if start <= c.occurred_at < end), key=lambda c: (c.occurred_at, c.id)
    )
    completions = [c for c in completions if start <= c.occurred_at < end]
    result = compute(
        ids,
        [
            CheckInFact(
                user_id=c.user_id,
                occurred_at=c.occurred_at,
                mood=c.mood,
                energy=c.energy,
                gave=c.gave,
                received=c.received,
                deal=c.deal,
                needs=len(c.needs),
                answered=c.response_kind == "done",
            )
            for c in checkins
        ],
        [
            CompletionFact(
                user_id=c.user_id,
                occurred_at=c.occurred_at,
                acknowledged=c.acknowledged_at is not None,
            )
            for c in completions
            if c.user_id is not None
        ],
        start=start,
        end=end,
        names=names,
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
    )
