from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.checkins.models import CheckIn
from app.core.pagination import newest_first_after, page_of
from app.dynamics.models import Dynamic
from app.dynamics.repository import member_owned


async def member_checkin(
    session: AsyncSession, checkin_id: uuid.UUID, user_id: uuid.UUID, *, for_update: bool = False
) -> tuple[CheckIn, Dynamic]:
    return await member_owned(
        session, CheckIn, checkin_id, user_id, what="check-in", for_update=for_update
    )


async def page(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    *,
    member: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[CheckIn], str | None]:
    stmt = select(CheckIn).where(col(CheckIn.dynamic_id) == dynamic_id)
    if member is not None:
        stmt = stmt.where(col(CheckIn.user_id) == member)
    if since is not None:
        stmt = stmt.where(col(CheckIn.occurred_at) >= since)
    if until is not None:
        stmt = stmt.where(col(CheckIn.occurred_at) < until)
    after = newest_first_after(col(CheckIn.occurred_at), col(CheckIn.id), cursor)
    if after is not None:
        stmt = stmt.where(after)
    stmt = stmt.order_by(col(CheckIn.occurred_at).desc(), col(CheckIn.id).desc())
    rows = list((await session.execute(stmt.limit(limit + 1))).scalars())
    return page_of(rows, limit, lambda c: (c.occurred_at, c.id))


async def in_window(
    session: AsyncSession, dynamic_id: uuid.UUID, since: datetime, until: datetime
) -> list[CheckIn]:
    result = await session.execute(
        select(CheckIn)
        .where(
            col(CheckIn.dynamic_id) == dynamic_id,
            col(CheckIn.occurred_at) >= since,
            col(CheckIn.occurred_at) < until,
        )
        .order_by(col(CheckIn.occurred_at), col(CheckIn.id))
    )
    return list(result.scalars())


async def latest_of(
    session: AsyncSession, dynamic_id: uuid.UUID, user_id: uuid.UUID
) -> CheckIn | None:
    result = await session.execute(
        select(CheckIn)
        .where(col(CheckIn.dynamic_id) == dynamic_id, col(CheckIn.user_id) == user_id)
        .order_by(col(CheckIn.occurred_at).desc(), col(CheckIn.id).desc())
        .limit(1)
    )
    return result.scalar_one_or_none()


async def since(session: AsyncSession, dynamic_id: uuid.UUID, start: datetime) -> list[CheckIn]:
    """The dynamic's check-ins from ``start`` on, newest first (future-dated ones too)."""
    result = await session.execute(
        select(CheckIn)
        .where(col(CheckIn.dynamic_id) == dynamic_id, col(CheckIn.occurred_at) >= start)
        .order_by(col(CheckIn.occurred_at).desc(), col(CheckIn.id).desc())
    )
    return list(result.scalars())
