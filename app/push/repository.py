from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.push.models import PushSubscription


async def by_endpoint(session: AsyncSession, endpoint: str) -> PushSubscription | None:
    result = await session.execute(
        select(PushSubscription).where(col(PushSubscription.endpoint) == endpoint).with_for_update()
    )
    return result.scalar_one_or_none()


async def count_for(session: AsyncSession, user_id: uuid.UUID) -> int:
    result = await session.execute(
        select(func.count()).where(col(PushSubscription.user_id) == user_id)
    )
    return int(result.scalar_one())


async def delete_own(session: AsyncSession, user_id: uuid.UUID, endpoint: str) -> bool:
    result = await session.execute(
        delete(PushSubscription).where(
            col(PushSubscription.user_id) == user_id, col(PushSubscription.endpoint) == endpoint
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def for_user(session: AsyncSession, user_id: uuid.UUID) -> Sequence[PushSubscription]:
    return await for_users(session, [user_id])


async def for_users(
    session: AsyncSession, user_ids: Sequence[uuid.UUID]
) -> Sequence[PushSubscription]:
    if not user_ids:
        return []
    result = await session.execute(
        select(PushSubscription)
        .where(col(PushSubscription.user_id).in_(user_ids))
        .order_by(col(PushSubscription.created_at), col(PushSubscription.id))
    )
    return result.scalars().all()


# --- what a delivery changes (the sender, after the network is done) ---------------------------


async def mark_delivered(session: AsyncSession, ids: Sequence[uuid.UUID], at: datetime) -> None:
    if ids:
        await session.execute(
            update(PushSubscription)
            .where(col(PushSubscription.id).in_(ids))
            .values(last_success_at=at, failure_count=0)
        )


async def count_failure(session: AsyncSession, ids: Sequence[uuid.UUID], *, times: int = 1) -> None:
    if ids:
        await session.execute(
            update(PushSubscription)
            .where(col(PushSubscription.id).in_(ids))
            .values(failure_count=col(PushSubscription.failure_count) + times)
        )


async def delete_gone(session: AsyncSession, gone: Sequence[tuple[uuid.UUID, str]]) -> None:
    """Drop subscriptions the push service called gone, by id *and* endpoint: the endpoint is
    what died, whoever holds the row now."""
    for sub_id, endpoint in gone:
        await session.execute(
            delete(PushSubscription).where(
                col(PushSubscription.id) == sub_id, col(PushSubscription.endpoint) == endpoint
            )
        )


async def forget_devices(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Stop pushing to every device of the user (a disabled account)."""
    await session.execute(delete(PushSubscription).where(col(PushSubscription.user_id) == user_id))
