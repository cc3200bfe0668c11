"""Protocol queries. What a caller reads starts from their membership of the protocol's dynamic
(``member_owned``, ``readable``); the rest serve protocols already loaded that way, or the
reminder planner, which reads for every dynamic."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sqlmodel.sql.expression import Select

from app.accounts.models import User
from app.core.pagination import newest_first
from app.dynamics.models import Dynamic, Membership
from app.dynamics.repository import member_owned, readable
from app.protocols.models import (
    Completion,
    Protocol,
    ProtocolAgreement,
    ProtocolEvent,
    ProtocolVersion,
)
from app.protocols.rules import Status


async def member_protocol(
    session: AsyncSession, protocol_id: uuid.UUID, user_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Protocol, Dynamic]:
    # for_update: one change at a time per protocol on PostgreSQL, so an agree racing an edit
    # (or two agrees) sees the other's result instead of the same stale state.
    return await member_owned(
        session, Protocol, protocol_id, user_id, what="protocol", for_update=for_update
    )


async def member_completion(
    session: AsyncSession, completion_id: uuid.UUID, user_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Completion, Dynamic]:
    return await member_owned(
        session, Completion, completion_id, user_id, what="completion", for_update=for_update
    )


async def members(session: AsyncSession, dynamic_id: uuid.UUID) -> list[User]:
    result = await session.execute(
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(col(Membership.dynamic_id) == dynamic_id)
    )
    return list(result.scalars())


async def live_agreements(session: AsyncSession, protocol_id: uuid.UUID) -> list[ProtocolAgreement]:
    result = await session.execute(
        select(ProtocolAgreement).where(
            col(ProtocolAgreement.protocol_id) == protocol_id,
            col(ProtocolAgreement.withdrawn_at).is_(None),
        )
    )
    return list(result.scalars())


async def versions(
    session: AsyncSession, protocol_ids: Sequence[uuid.UUID], *, numbers: set[int] | None = None
) -> list[ProtocolVersion]:
    if not protocol_ids:
        return []
    stmt = select(ProtocolVersion).where(col(ProtocolVersion.protocol_id).in_(protocol_ids))
    if numbers is not None:
        stmt = stmt.where(col(ProtocolVersion.number).in_(numbers))
    result = await session.execute(stmt.order_by(col(ProtocolVersion.number)))
    return list(result.scalars())


def with_version(number: Any) -> Any:
    """Protocols each with one of their versions: `number` says which (the column
    `Protocol.in_force_version`, `Protocol.open_version`)."""
    return select(Protocol, ProtocolVersion).join(
        ProtocolVersion,
        (col(ProtocolVersion.protocol_id) == col(Protocol.id))
        & (col(ProtocolVersion.number) == number),
    )


def in_force_terms() -> Select[Protocol, ProtocolVersion]:
    """Each active protocol with the version in force: the terms that apply now. Add the
    filters (a dynamic, reminders on, …) to it."""
    return with_version(col(Protocol.in_force_version)).where(col(Protocol.status) == Status.active)


async def protocols_of(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    status: str | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[Protocol], str | None]:
    stmt = readable(Protocol, user_id).where(col(Protocol.dynamic_id) == dynamic_id)
    if status is not None:
        stmt = stmt.where(col(Protocol.status) == status)
    return await newest_first(
        session, stmt, Protocol.created_at, Protocol.id, cursor=cursor, limit=limit
    )


async def events(
    session: AsyncSession, protocol_ids: Sequence[uuid.UUID], *, actions: set[str] | None = None
) -> list[ProtocolEvent]:
    if not protocol_ids:
        return []
    stmt = select(ProtocolEvent).where(col(ProtocolEvent.protocol_id).in_(protocol_ids))
    if actions is not None:
        stmt = stmt.where(col(ProtocolEvent.action).in_(actions))
    result = await session.execute(stmt.order_by(col(ProtocolEvent.seq)))
    return list(result.scalars())


async def completions_since(
    session: AsyncSession, protocol_ids: Sequence[uuid.UUID], since: datetime
) -> list[Completion]:
    if not protocol_ids:
        return []
    result = await session.execute(
        select(Completion).where(
            col(Completion.protocol_id).in_(protocol_ids), col(Completion.occurred_at) >= since
        )
    )
    return list(result.scalars())


async def completions_page(
    session: AsyncSession,
    protocol_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[Completion], str | None]:
    stmt = readable(Completion, user_id).where(col(Completion.protocol_id) == protocol_id)
    return await newest_first(
        session, stmt, Completion.occurred_at, Completion.id, cursor=cursor, limit=limit
    )
