from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from app.checkins.models import CheckIn
from app.core.errors import not_found
from app.core.pagination import newest_first
from app.dynamics.models import Dynamic, Membership
from app.dynamics.repository import member_owned, readable
from app.keys.repository import pair_key_exists


async def dynamic_to_check_in(
    session: AsyncSession, dynamic_id: uuid.UUID, user_id: uuid.UUID
) -> tuple[Dynamic, bool, list[uuid.UUID]]:
    """The caller's dynamic, whether its words are private, and the partners to tell: what a
    check-in asks, in one statement (one row per partner)."""
    partner = aliased(Membership)
    stmt = (
        readable(Dynamic, user_id)
        .add_columns(pair_key_exists(col(Dynamic.id)), col(partner.user_id))
        .outerjoin(
            partner,
            (col(partner.dynamic_id) == col(Dynamic.id))
            & col(partner.user_id).is_not(None)
            & (col(partner.user_id) != user_id),
        )
        .where(col(Dynamic.id) == dynamic_id)
    )
    rows = (await session.execute(stmt)).all()
    if not rows:
        raise not_found("dynamic")
    dynamic, private, _ = rows[0]
    return dynamic, bool(private), [row[2] for row in rows if row[2] is not None]


async def member_checkin(
    session: AsyncSession, checkin_id: uuid.UUID, user_id: uuid.UUID, *, for_update: bool = False
) -> tuple[CheckIn, Dynamic]:
    return await member_owned(
        session, CheckIn, checkin_id, user_id, what="check-in", for_update=for_update
    )


async def page(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    member: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[CheckIn], str | None]:
    stmt = readable(CheckIn, user_id).where(col(CheckIn.dynamic_id) == dynamic_id)
    if member is not None:
        stmt = stmt.where(col(CheckIn.user_id) == member)
    if since is not None:
        stmt = stmt.where(col(CheckIn.occurred_at) >= since)
    if until is not None:
        stmt = stmt.where(col(CheckIn.occurred_at) < until)
    return await newest_first(
        session, stmt, CheckIn.occurred_at, CheckIn.id, cursor=cursor, limit=limit
    )


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
