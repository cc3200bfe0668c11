"""The queries of keys. A dynamic's keys are read only through the caller's membership
(``member_dynamic``), so another dynamic's keys are a 404 like a dynamic that does not exist."""

from __future__ import annotations

import uuid

from sqlalchemy import exists
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import SQLCoreOperations
from sqlalchemy.sql.selectable import Exists
from sqlmodel import col, select

from app.accounts.models import User
from app.dynamics.models import Membership
from app.keys.models import AccountKeys, SealedPairKey


async def keys_of(session: AsyncSession, user_id: uuid.UUID) -> AccountKeys | None:
    return await session.get(AccountKeys, user_id)


async def user_and_keys_by_email(
    session: AsyncSession, email: str
) -> tuple[User | None, AccountKeys | None]:
    row = (
        await session.execute(
            select(User, AccountKeys)
            .outerjoin(AccountKeys, col(AccountKeys.user_id) == col(User.id))
            .where(col(User.email) == email)
        )
    ).one_or_none()
    return (row[0], row[1]) if row is not None else (None, None)


async def member_public_keys(
    session: AsyncSession, dynamic_id: uuid.UUID
) -> list[tuple[uuid.UUID, str | None]]:
    """Every present member of a dynamic, in joining order, with their public key (or None)."""
    result = await session.execute(
        select(Membership.user_id, AccountKeys.public_key)
        .outerjoin(AccountKeys, col(AccountKeys.user_id) == col(Membership.user_id))
        .where(col(Membership.dynamic_id) == dynamic_id, col(Membership.user_id).is_not(None))
        .order_by(col(Membership.joined_at), col(Membership.id))
    )
    return [(uid, key) for uid, key in result.all() if uid is not None]


async def sealed_copies(session: AsyncSession, dynamic_id: uuid.UUID) -> list[SealedPairKey]:
    result = await session.execute(
        select(SealedPairKey).where(col(SealedPairKey.dynamic_id) == dynamic_id)
    )
    return list(result.scalars())


async def copies_of(session: AsyncSession, user_id: uuid.UUID) -> list[SealedPairKey]:
    """The user's own sealed copies, in every dynamic they are or were in."""
    result = await session.execute(
        select(SealedPairKey)
        .where(col(SealedPairKey.user_id) == user_id)
        .order_by(col(SealedPairKey.created_at), col(SealedPairKey.id))
    )
    return list(result.scalars())


def pair_key_exists(dynamic_id: uuid.UUID | SQLCoreOperations[uuid.UUID]) -> Exists:
    """Whether the dynamic's words are private, as a clause a statement of one's own can hold:
    a pair key was sealed to its members."""
    return exists().where(col(SealedPairKey.dynamic_id) == dynamic_id)


async def has_pair_key(session: AsyncSession, dynamic_id: uuid.UUID) -> bool:
    """Whether the dynamic's words are private: a pair key was sealed to its members."""
    return bool(await session.scalar(select(pair_key_exists(dynamic_id))))
