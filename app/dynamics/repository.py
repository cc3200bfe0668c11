"""Every query that reaches a dynamic goes through the caller's membership.

``member_dynamic`` is the scope helper the other parts use: it loads a dynamic *joined with*
the caller's membership, so a dynamic the caller is not in is never loaded at all and answers
404 exactly like one that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col, select

from app.accounts.models import User
from app.core.errors import not_found
from app.core.pagination import newest_first_after, page_of
from app.dynamics.models import Dynamic, DynamicPause, Membership

Owned = TypeVar("Owned", bound=SQLModel)


async def member_dynamic(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> tuple[Dynamic, Membership]:
    stmt = (
        select(Dynamic, Membership)
        .join(Membership, col(Membership.dynamic_id) == col(Dynamic.id))
        .where(col(Dynamic.id) == dynamic_id, col(Membership.user_id) == user_id)
    )
    if for_update:
        # Serialises state changes of one dynamic on PostgreSQL (red racing resume, say).
        stmt = stmt.with_for_update(of=Dynamic)
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise not_found("dynamic")
    return row[0], row[1]


async def member_owned(
    session: AsyncSession,
    model: type[Owned],
    object_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    what: str,
    for_update: bool = False,
) -> tuple[Owned, Dynamic]:
    """Load an object owned by a dynamic (a protocol, a check-in, …) *through* the caller's
    membership of that dynamic: another dynamic's object is never loaded, and is a 404."""
    owner = col(model.dynamic_id)  # type: ignore[attr-defined]
    stmt = (
        select(model, Dynamic)
        .join(Dynamic, col(Dynamic.id) == owner)
        .join(Membership, col(Membership.dynamic_id) == owner)
        .where(col(model.id) == object_id, col(Membership.user_id) == user_id)  # type: ignore[attr-defined]
    )
    if for_update:
        stmt = stmt.with_for_update(of=model)
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise not_found(what)
    return row[0], row[1]


async def members_with_users(
    session: AsyncSession, dynamic_ids: Sequence[uuid.UUID]
) -> list[tuple[Membership, User | None]]:
    if not dynamic_ids:
        return []
    result = await session.execute(
        select(Membership, User)
        .outerjoin(User, col(User.id) == col(Membership.user_id))
        .where(col(Membership.dynamic_id).in_(dynamic_ids))
        .order_by(col(Membership.joined_at), col(Membership.id))
    )
    return [(m, u) for m, u in result.all()]


async def dynamics_of(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    state: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Dynamic], str | None]:
    stmt = (
        select(Dynamic)
        .join(Membership, col(Membership.dynamic_id) == col(Dynamic.id))
        .where(col(Membership.user_id) == user_id)
    )
    if state is not None:
        stmt = stmt.where(col(Dynamic.state) == state)
    after = newest_first_after(col(Dynamic.created_at), col(Dynamic.id), cursor)
    if after is not None:
        stmt = stmt.where(after)
    stmt = stmt.order_by(col(Dynamic.created_at).desc(), col(Dynamic.id).desc())
    rows = list((await session.execute(stmt.limit(limit + 1))).scalars())
    return page_of(rows, limit, lambda d: (d.created_at, d.id))


async def dynamic_ids_of(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    """Every dynamic the user is or was a member of, in a stable order (by id as text)."""
    rows = await session.execute(
        select(Membership.dynamic_id).where(col(Membership.user_id) == user_id)
    )
    return sorted(set(rows.scalars()), key=str)


async def open_dynamic_between(session: AsyncSession, pair_key: str) -> Dynamic | None:
    result = await session.execute(
        select(Dynamic).where(col(Dynamic.pair_key) == pair_key, col(Dynamic.state) != "ended")
    )
    return result.scalar_one_or_none()


async def partner_ids(
    session: AsyncSession, dynamic_id: uuid.UUID, user_id: uuid.UUID
) -> list[uuid.UUID]:
    result = await session.execute(
        select(Membership.user_id).where(
            col(Membership.dynamic_id) == dynamic_id,
            col(Membership.user_id).is_not(None),
            col(Membership.user_id) != user_id,
        )
    )
    return [uid for uid in result.scalars() if uid is not None]


async def partner_memberships(
    session: AsyncSession, dynamic_id: uuid.UUID, user_id: uuid.UUID, *, for_update: bool = False
) -> list[Membership]:
    stmt = select(Membership).where(
        col(Membership.dynamic_id) == dynamic_id,
        col(Membership.user_id).is_not(None),
        col(Membership.user_id) != user_id,
    )
    if for_update:
        stmt = stmt.with_for_update()
    return list((await session.execute(stmt)).scalars())


async def close_pause(session: AsyncSession, dynamic_id: uuid.UUID, at: datetime) -> None:
    await session.execute(
        update(DynamicPause)
        .where(col(DynamicPause.dynamic_id) == dynamic_id, col(DynamicPause.ended_at).is_(None))
        .values(ended_at=at)
    )


async def pause_intervals(
    session: AsyncSession, dynamic_id: uuid.UUID, *, since: datetime
) -> list[tuple[datetime, datetime | None]]:
    """The spans during which a red stood, overlapping ``since`` or later (open: None)."""
    result = await session.execute(
        select(DynamicPause.started_at, DynamicPause.ended_at)
        .where(
            col(DynamicPause.dynamic_id) == dynamic_id,
            or_(col(DynamicPause.ended_at).is_(None), col(DynamicPause.ended_at) >= since),
        )
        .order_by(col(DynamicPause.started_at))
    )
    return [(start, end) for start, end in result.all()]
