"""The reviews' queries. Every review is reached through the caller's membership."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.checkins import repository as checkins_repository
from app.checkins.models import CheckIn
from app.core.pagination import newest_first
from app.dynamics.models import Dynamic, DynamicState, Membership
from app.dynamics.repository import member_owned, readable
from app.limits.models import LimitAnswer
from app.reviews.models import Review, ReviewAnswer, ReviewSchedule


async def member_review(
    session: AsyncSession, review_id: uuid.UUID, user_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Review, Dynamic]:
    return await member_owned(
        session, Review, review_id, user_id, what="review", for_update=for_update
    )


async def schedule_of(session: AsyncSession, dynamic_id: uuid.UUID) -> ReviewSchedule | None:
    return await session.get(ReviewSchedule, dynamic_id)


async def in_progress(session: AsyncSession, dynamic_id: uuid.UUID) -> Review | None:
    result = await session.execute(
        select(Review).where(col(Review.dynamic_id) == dynamic_id, col(Review.state) != "closed")
    )
    return result.scalar_one_or_none()


async def last_revealed(session: AsyncSession, dynamic_id: uuid.UUID) -> datetime | None:
    result = await session.execute(
        select(func.max(Review.revealed_at)).where(col(Review.dynamic_id) == dynamic_id)
    )
    return result.scalar_one_or_none()


async def page(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[Review], str | None]:
    stmt = readable(Review, user_id).where(col(Review.dynamic_id) == dynamic_id)
    return await newest_first(
        session, stmt, Review.opened_at, Review.id, cursor=cursor, limit=limit
    )


async def answers_to(
    session: AsyncSession, review_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ReviewAnswer]]:
    found: dict[uuid.UUID, list[ReviewAnswer]] = {rid: [] for rid in review_ids}
    if not review_ids:
        return found
    result = await session.execute(
        select(ReviewAnswer).where(col(ReviewAnswer.review_id).in_(review_ids))
    )
    for answer in result.scalars():
        found[answer.review_id].append(answer)
    return found


async def answer_of(
    session: AsyncSession, review_id: uuid.UUID, user_id: uuid.UUID
) -> ReviewAnswer | None:
    result = await session.execute(
        select(ReviewAnswer).where(
            col(ReviewAnswer.review_id) == review_id, col(ReviewAnswer.user_id) == user_id
        )
    )
    return result.scalar_one_or_none()


async def member_ids(session: AsyncSession, dynamic_id: uuid.UUID) -> list[uuid.UUID]:
    result = await session.execute(
        select(Membership.user_id).where(
            col(Membership.dynamic_id) == dynamic_id, col(Membership.user_id).is_not(None)
        )
    )
    return sorted((uid for uid in result.scalars() if uid is not None), key=str)


async def waiting_needs(
    session: AsyncSession, dynamic_id: uuid.UUID, since: datetime, until: datetime
) -> list[CheckIn]:
    """Check-ins in the window that raised needs the partner has not answered "done"."""
    checkins = await checkins_repository.in_window(session, dynamic_id, since, until)
    return [c for c in checkins if c.needs and c.response_kind != "done"]


async def limits_changed(
    session: AsyncSession, dynamic_id: uuid.UUID, since: datetime
) -> dict[uuid.UUID, int]:
    """How many limit answers each member changed since then (how many, never which)."""
    result = await session.execute(
        select(LimitAnswer.user_id, func.count())
        .where(col(LimitAnswer.dynamic_id) == dynamic_id, col(LimitAnswer.updated_at) >= since)
        .group_by(col(LimitAnswer.user_id))
    )
    return {uid: int(n) for uid, n in result.all()}


async def reminders_between(
    session: AsyncSession, first: date, last: date
) -> list[tuple[uuid.UUID, date, uuid.UUID]]:
    """(dynamic, next review date, member) for active dynamics whose next review falls in the
    span: what the reminder planner asks."""
    result = await session.execute(
        select(col(ReviewSchedule.dynamic_id), col(ReviewSchedule.next_on), col(Membership.user_id))
        .join(Dynamic, col(Dynamic.id) == col(ReviewSchedule.dynamic_id))
        .join(Membership, col(Membership.dynamic_id) == col(ReviewSchedule.dynamic_id))
        .where(
            col(Dynamic.state) == DynamicState.active,
            col(ReviewSchedule.next_on).is_not(None),
            col(ReviewSchedule.next_on) >= first,
            col(ReviewSchedule.next_on) <= last,
            col(Membership.user_id).is_not(None),
        )
    )
    return [(d, n, u) for d, n, u in result.all() if n is not None and u is not None]


async def next_review_on(session: AsyncSession, dynamic_id: uuid.UUID) -> date | None:
    schedule = await schedule_of(session, dynamic_id)
    return schedule.next_on if schedule else None
