"""Every query that reaches a dynamic goes through the caller's membership.

``readable`` is where such a query starts: a statement over a dynamic-owned table already
*joined with* the caller's membership, so a row of a dynamic the caller is not in is never
loaded at all. Lists add their filters and paging to it; ``member_dynamic`` and
``member_owned`` load one object through it and answer 404 when it is not there, exactly as
for one that does not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Executable, ScalarSelect, bindparam, or_, update
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.accounts.models import User
from app.core.errors import not_found
from app.core.pagination import newest_first
from app.dynamics.models import Dynamic, DynamicPause, Membership
from app.sync import record as sync
from app.sync.models import Change

Owned = TypeVar("Owned", bound=SQLModel)


def readable(model: type[Owned], user_id: uuid.UUID) -> SelectOfScalar[Owned]:
    """``select(model)`` starting from the caller's memberships: only rows of the dynamics
    ``user_id`` is a member of can come back, whatever filters are added to it. ``model`` is
    ``Dynamic`` itself or a table with a ``dynamic_id``."""
    owner = col(Dynamic.id) if model is Dynamic else col(model.dynamic_id)  # type: ignore[attr-defined]
    return select(model).join(
        Membership,
        (col(Membership.dynamic_id) == owner) & (col(Membership.user_id) == user_id),
    )


async def member_dynamic(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> tuple[Dynamic, Membership]:
    stmt = readable(Dynamic, user_id).add_columns(Membership).where(col(Dynamic.id) == dynamic_id)
    if for_update:
        # Serialises state changes of one dynamic on PostgreSQL (red racing resume, say).
        stmt = stmt.with_for_update(of=Dynamic)
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise not_found("dynamic")
    return row[0], row[1]


def _last_change(stream: str) -> ScalarSelect[uuid.UUID]:
    # A change's id is never reused (unlike a counter, which a restored backup takes back).
    return (
        select(Change.id)
        .where(col(Change.stream) == bindparam(stream))
        .order_by(col(Change.seq).desc())
        .limit(1)
        .scalar_subquery()
    )


def _revision_of(*streams: str) -> Executable:
    return sa_select(*(_last_change(s) for s in streams)).where(
        col(Membership.dynamic_id) == bindparam("dynamic_id"),
        col(Membership.user_id) == bindparam("user_id"),
    )


# Built once: the statement every home and balance request runs first.
_REVISION = {False: _revision_of("dynamic_stream"), True: _revision_of("dynamic_stream", "own")}


async def member_revision(
    session: AsyncSession, dynamic_id: uuid.UUID, user_id: uuid.UUID, *, own: bool
) -> tuple[uuid.UUID | None, ...]:
    """In one statement: that the caller is a member (404 otherwise), and the last change
    recorded in the dynamic's stream (and, with ``own``, in the caller's own stream): what a
    computed view of the dynamic (``app.core.views``) is kept under."""
    params = {
        "dynamic_id": dynamic_id,
        "user_id": user_id,
        "dynamic_stream": sync.dynamic_stream(dynamic_id),
        "own": sync.user_stream(user_id),
    }
    row = (await session.execute(_REVISION[own], params)).one_or_none()
    if row is None:
        raise not_found("dynamic")
    return tuple(row)


# Built once: each dynamic of the caller, and the last change in its stream.
_DYNAMICS_REVISION = (
    sa_select(
        col(Membership.dynamic_id),
        select(Change.id)
        .where(col(Change.stream) == sync.DynamicStreamOf(col(Membership.dynamic_id)))
        .order_by(col(Change.seq).desc())
        .limit(1)
        .scalar_subquery(),
    )
    .where(col(Membership.user_id) == bindparam("user_id"))
    .order_by(col(Membership.dynamic_id))
)


async def dynamics_revision(session: AsyncSession, user_id: uuid.UUID) -> tuple[object, ...]:
    """What the caller's list of dynamics is kept under (``app.core.views``), in one statement:
    which dynamics they are in, and the last change recorded in each one's stream."""
    return tuple(
        tuple(row) for row in await session.execute(_DYNAMICS_REVISION, {"user_id": user_id})
    )


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
    stmt = (
        readable(model, user_id)
        .add_columns(Dynamic)
        .join(Dynamic, col(Dynamic.id) == col(model.dynamic_id))  # type: ignore[attr-defined]
        .where(col(model.id) == object_id)  # type: ignore[attr-defined]
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
    stmt = readable(Dynamic, user_id)
    if state is not None:
        stmt = stmt.where(col(Dynamic.state) == state)
    return await newest_first(
        session, stmt, Dynamic.created_at, Dynamic.id, cursor=cursor, limit=limit
    )


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
