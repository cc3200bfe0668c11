from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import bindparam, func, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.models import AuthSession, LoginFailure, PasswordReset, SignUpAttempt, User
from app.core.db import utcnow
from app.core.errors import not_found
from app.core.security import AccessClaims

# Built once: every signed-in request runs it.
_SIGNED_IN_USER = (
    select(User)
    .join(AuthSession, col(AuthSession.user_id) == col(User.id))
    .where(
        col(User.id) == bindparam("user_id"),
        col(AuthSession.id) == bindparam("session_id"),
        col(AuthSession.revoked_at).is_(None),
        col(AuthSession.expires_at) > bindparam("now"),
        col(User.disabled_at).is_(None),
    )
)


async def load_signed_in_user(
    session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID
) -> User | None:
    params = {"user_id": user_id, "session_id": session_id, "now": utcnow()}
    return (await session.execute(_SIGNED_IN_USER, params)).scalar_one_or_none()


async def signed_in_user(session: AsyncSession, claims: AccessClaims) -> User | None:
    """The user behind an access token whose device session is still live: what a keyed
    request's idempotency lookup asks first (authentication then takes its answer)."""
    return await load_signed_in_user(session, claims.user_id, claims.session_id)


async def account(session: AsyncSession, user_id: uuid.UUID) -> User:
    """The user an account hook or an export is about (the parts' hooks speak in ids)."""
    user = await session.get(User, user_id)
    if user is None:
        raise not_found("account")
    return user


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.execute(select(User).where(col(User.email) == email))
    return result.scalar_one_or_none()


async def lock_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    """Load a user with a row lock (PostgreSQL), serialising that user's competing writes."""
    result = await session.execute(select(User).where(col(User.id) == user_id).with_for_update())
    return result.scalar_one_or_none()


async def queue_behind_sign_ins(session: AsyncSession, key_hash: str) -> None:
    """Wait for any other sign-in (or sign-up) of this throttle key until its transaction ends.

    Without this, parallel guesses on PostgreSQL would all count the failures before any of them
    committed one, and get far more tries than the limit. SQLite needs nothing: a writer's
    ``BEGIN IMMEDIATE`` already serialises them. The lock is released at commit or rollback.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    lock_id = int.from_bytes(bytes.fromhex(key_hash[:16]), "big", signed=True)
    await session.execute(select(func.pg_advisory_xact_lock(lock_id)))


async def recent_failures(
    session: AsyncSession,
    since: datetime,
    *,
    account_hash: str | None = None,
    address_hash: str | None = None,
) -> tuple[int, datetime | None, datetime | None]:
    """Failures since then of an account, an address or the pair: count, oldest, newest."""
    stmt = select(func.count(), func.min(LoginFailure.at), func.max(LoginFailure.at)).where(
        col(LoginFailure.at) > since
    )
    if account_hash is not None:
        stmt = stmt.where(col(LoginFailure.account_hash) == account_hash)
    if address_hash is not None:
        stmt = stmt.where(col(LoginFailure.address_hash) == address_hash)
    count, oldest, newest = (await session.execute(stmt)).one()
    return int(count), oldest, newest


async def recent_sign_ups(
    session: AsyncSession, key_hash: str, since: datetime
) -> tuple[int, datetime | None]:
    result = await session.execute(
        select(func.count(), func.min(SignUpAttempt.at)).where(
            col(SignUpAttempt.key_hash) == key_hash, col(SignUpAttempt.at) > since
        )
    )
    count, oldest = result.one()
    return int(count), oldest


async def revoke_sessions(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    reason: str,
    except_session: uuid.UUID | None = None,
    only_session: uuid.UUID | None = None,
) -> None:
    stmt = (
        update(AuthSession)
        .where(col(AuthSession.user_id) == user_id, col(AuthSession.revoked_at).is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )
    if except_session is not None:
        stmt = stmt.where(col(AuthSession.id) != except_session)
    if only_session is not None:
        stmt = stmt.where(col(AuthSession.id) == only_session)
    await session.execute(stmt)


async def password_reset(session: AsyncSession, token_hash: str) -> PasswordReset | None:
    result = await session.execute(
        select(PasswordReset).where(col(PasswordReset.token_hash) == token_hash)
    )
    return result.scalar_one_or_none()
