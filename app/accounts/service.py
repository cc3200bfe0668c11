"""Accounts and device sessions: the rules, with no HTTP in them.

Services never commit: the request's unit of work commits once (see ``app.core.requests``).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts import repository
from app.accounts.erasure import erase_account
from app.accounts.models import (
    LOGIN_FAILURE_MEMORY,
    PASSWORD_RESET_LIFETIME,
    AuthSession,
    LoginFailure,
    PasswordReset,
    RefreshToken,
    SignUpAttempt,
    User,
)
from app.accounts.schemas import MeUpdate, RegisterIn
from app.core.config import Settings
from app.core.db import Database, utcnow
from app.core.declaration import Parts, tell
from app.core.errors import AppError, not_found
from app.core.requests import keep_writes_on_error
from app.core.security import Passwords, create_access_token, hash_token, new_refresh_token


@dataclass(frozen=True)
class IssuedTokens:
    user: User
    access_token: str
    refresh_token: str
    expires_in: int


def normalize_email(email: str) -> str:
    return email.strip().lower()


def invalid_credentials() -> AppError:
    return AppError(401, "invalid_credentials", "email or password is incorrect")


def account_disabled() -> AppError:
    return AppError(
        401,
        "account_disabled",
        "this account has been disabled by the server's operator",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def _issue(
    session: AsyncSession,
    settings: Settings,
    user: User,
    *,
    auth_session: AuthSession | None = None,
    user_agent: str | None = None,
) -> IssuedTokens:
    now = utcnow()
    if auth_session is None:
        auth_session = AuthSession(
            user_id=user.id,
            expires_at=now + timedelta(days=settings.session_days),
            user_agent=(user_agent or None) and user_agent[:200],
        )
        session.add(auth_session)
    auth_session.last_used_at = now
    token = new_refresh_token()
    session.add(RefreshToken(session_id=auth_session.id, token_hash=hash_token(token)))
    await session.flush()
    return IssuedTokens(
        user=user,
        access_token=create_access_token(
            settings, user_id=user.id, session_id=auth_session.id, now=now
        ),
        refresh_token=token,
        expires_in=settings.access_token_minutes * 60,
    )


SIGN_UP_WINDOW = timedelta(hours=1)


async def register(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    passwords: Passwords,
    data: RegisterIn,
    *,
    address: str,
    user_agent: str | None,
) -> IssuedTokens:
    await _count_sign_up(db, settings, address=address)
    # Hash before touching the database, so the write transaction stays short.
    password_hash = await passwords.hash(data.password)
    email = normalize_email(str(data.email))
    if await repository.user_by_email(session, email) is not None:
        raise AppError(409, "email_taken", "an account with this email already exists")
    user = User(
        email=email,
        password_hash=password_hash,
        display_name=data.display_name,
        pronouns=data.pronouns or None,
        timezone=data.timezone,
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        raise AppError(409, "email_taken", "an account with this email already exists") from None
    return await _issue(session, settings, user, user_agent=user_agent)


# --- throttling -----------------------------------------------------------------------------


def _throttle_key(settings: Settings, value: str) -> str:
    # Keyed hash: the table never holds an email or an address that could be read back.
    return hmac.new(settings.secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()


async def _count_sign_up(db: Database, settings: Settings, *, address: str) -> None:
    """Count a sign-up attempt against its address, or refuse it (429) past the hourly limit.

    Counted in its own transaction, committed before the password is hashed: attempts from one
    address queue behind each other (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock), so
    no more than the limit are ever hashed, and an attempt refused later (email taken) still
    counts, as it cost a hash too.
    """
    key = _throttle_key(settings, "sign-up\0" + address)
    now = utcnow()
    async with db.writer() as writer:
        await repository.queue_behind_sign_ins(writer, key)
        count, oldest = await repository.recent_sign_ups(writer, key, now - SIGN_UP_WINDOW)
        if count >= settings.register_max_per_address_per_hour and oldest is not None:
            wait = max(1, math.ceil((oldest + SIGN_UP_WINDOW - now).total_seconds()))
            raise AppError(
                429,
                "too_many_sign_ups",
                f"too many new accounts from this address; try again in {wait} seconds",
                headers={"Retry-After": str(wait)},
            )
        writer.add(SignUpAttempt(key_hash=key))
        await writer.commit()


# Failed password checks are throttled three ways (OWASP ASVS V2.2), so that a stranger who
# knows an email cannot lock its owner out, yet guessing stays bounded:
# - per account *from one address*: a few free tries (login_max_failures_per_pair), then each
#   next try waits a window after the last failure, then two, four… (remembered for a day). A
#   stranger's guesses make the stranger wait, not the owner on her own device and network;
# - per address, any account: login_max_failures_per_address in a window (spraying);
# - per account, all addresses: login_max_failures_per_account in a window, a ceiling well
#   above what one person mistypes, against guessing spread over many addresses.
# Past any of them, even the right password is refused until the wait is over.


def _pair_backoff(settings: Settings, failures: int) -> timedelta:
    window = timedelta(seconds=settings.login_window_seconds)
    doublings = min(failures - settings.login_max_failures_per_pair, 16)
    return min(window * 2**doublings, LOGIN_FAILURE_MEMORY)


async def _check_throttle(
    session: AsyncSession, settings: Settings, *, email: str, address: str, queue: bool
) -> None:
    now = utcnow()
    window = timedelta(seconds=settings.login_window_seconds)
    account, source = _throttle_key(settings, email), _throttle_key(settings, address)
    # One account's sign-ins queue behind each other (not one address's: many people can share
    # an address, and its looser limit tolerates a small overshoot).
    if queue:
        await repository.queue_behind_sign_ins(session, account)
    until: list[datetime] = []
    count, _, newest = await repository.recent_failures(
        session, now - LOGIN_FAILURE_MEMORY, account_hash=account, address_hash=source
    )
    if count >= settings.login_max_failures_per_pair and newest is not None:
        until.append(newest + _pair_backoff(settings, count))
    for limit, keys in (
        (settings.login_max_failures_per_address, {"address_hash": source}),
        (settings.login_max_failures_per_account, {"account_hash": account}),
    ):
        count, oldest, _ = await repository.recent_failures(session, now - window, **keys)
        if count >= limit and oldest is not None:
            until.append(oldest + window)
    if until and max(until) > now:
        raise _too_many_attempts(max(until) - now)


def _too_many_attempts(wait_for: timedelta) -> AppError:
    wait = max(1, math.ceil(wait_for.total_seconds()))
    return AppError(
        429,
        "too_many_attempts",
        f"too many failed sign-ins; try again in {wait} seconds",
        headers={"Retry-After": str(wait)},
    )


# A password check runs in two phases so that the slow hash never holds a write lock (on
# SQLite, the one lock every writer in the app waits for):
# 1. read: the throttle check and the account lookup on a reader session, then the hash;
# 2. settle: in the request's writer transaction, the throttle is checked again (now serialised:
#    SQLite's BEGIN IMMEDIATE, PostgreSQL's per-account advisory lock), then the attempt is
#    recorded. Parallel guesses may all be hashed, but no more than the limit are ever answered.


async def _read_attempt(
    db: Database,
    settings: Settings,
    passwords: Passwords,
    *,
    email: str,
    address: str,
    password: str,
    stored_hash: str | None = None,
) -> tuple[User | None, bool]:
    async with db.reader() as reader:
        await _check_throttle(reader, settings, email=email, address=address, queue=False)
        user = await repository.user_by_email(reader, email) if stored_hash is None else None
    if stored_hash is None:
        stored_hash = user.password_hash if user else None
    # Always verify against a hash, a dummy one for an unknown email: the same work either way.
    return user, await passwords.verify(stored_hash, password)


async def _settle_attempt(
    session: AsyncSession, settings: Settings, *, email: str, address: str, ok: bool
) -> None:
    await _check_throttle(session, settings, email=email, address=address, queue=True)
    account, source = _throttle_key(settings, email), _throttle_key(settings, address)
    if ok:
        # The right password forgives this address's mistakes, not anybody else's guesses.
        await session.execute(
            delete(LoginFailure).where(
                col(LoginFailure.account_hash) == account,
                col(LoginFailure.address_hash) == source,
            )
        )
        return
    session.add(LoginFailure(account_hash=account, address_hash=source))
    keep_writes_on_error(session)


async def login(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    passwords: Passwords,
    *,
    email: str,
    password: str,
    address: str,
    user_agent: str | None,
) -> IssuedTokens:
    email = normalize_email(email)
    found, ok = await _read_attempt(
        db, settings, passwords, email=email, address=address, password=password
    )
    ok = ok and found is not None
    await _settle_attempt(session, settings, email=email, address=address, ok=ok)
    user = await session.get(User, found.id) if ok and found is not None else None
    if user is None:
        raise invalid_credentials()
    # Said only to someone who knows the password, so it tells a guesser nothing.
    if user.disabled_at is not None:
        raise account_disabled()
    return await _issue(session, settings, user, user_agent=user_agent)


async def check_sign_in_throttle(
    reader: AsyncSession, settings: Settings, *, email: str, address: str
) -> None:
    """The read phase's throttle check for a secret other than the password that proves an
    account (a recovery kit): 429 while sign-ins to it from there are held back."""
    await _check_throttle(reader, settings, email=email, address=address, queue=False)


async def settle_sign_in(
    session: AsyncSession, settings: Settings, *, email: str, address: str, ok: bool
) -> None:
    """Record such a check like a sign-in, so that wrong guesses are throttled the same way."""
    await _settle_attempt(session, settings, email=email, address=address, ok=ok)


async def check_password(
    db: Database,
    settings: Settings,
    passwords: Passwords,
    user: User,
    password: str,
    *,
    address: str,
) -> bool:
    """The read phase of a signed-in user's password check (see ``settle_password``)."""
    _, ok = await _read_attempt(
        db,
        settings,
        passwords,
        email=user.email,
        address=address,
        password=password,
        stored_hash=user.password_hash,
    )
    return ok


async def settle_password(
    session: AsyncSession, settings: Settings, user: User, *, address: str, ok: bool
) -> None:
    """Record the check and refuse a wrong password (403), throttled like sign-ins."""
    await _settle_attempt(session, settings, email=user.email, address=address, ok=ok)
    if not ok:
        raise AppError(403, "wrong_password", "the password is incorrect")


async def confirm_password(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    passwords: Passwords,
    user: User,
    password: str,
    *,
    address: str,
) -> None:
    """Check the password of a signed-in user before a sensitive change (throttled too)."""
    ok = await check_password(db, settings, passwords, user, password, address=address)
    await settle_password(session, settings, user, address=address, ok=ok)


# --- refresh and logout ---------------------------------------------------------------------


def _refresh_refused(detail: str) -> AppError:
    return AppError(401, "invalid_refresh_token", detail, headers={"WWW-Authenticate": "Bearer"})


async def refresh(session: AsyncSession, settings: Settings, token: str) -> IssuedTokens:
    now = utcnow()
    found = (
        await session.execute(
            select(RefreshToken, AuthSession)
            .join(AuthSession, col(AuthSession.id) == col(RefreshToken.session_id))
            .where(col(RefreshToken.token_hash) == hash_token(token))
        )
    ).one_or_none()
    if found is None:
        raise _refresh_refused("unknown refresh token")
    stored, auth_session = found
    user = await session.get(User, auth_session.user_id)
    if user is not None and user.disabled_at is not None:
        raise account_disabled()
    if not auth_session.is_live(now):
        raise _refresh_refused("this session has ended; sign in again")
    # Spend the token atomically: of two concurrent uses, exactly one succeeds.
    spent = await session.execute(
        update(RefreshToken)
        .where(col(RefreshToken.id) == stored.id, col(RefreshToken.used_at).is_(None))
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        # A spent token came back: it was copied. End the whole family, whoever holds it.
        await repository.revoke_sessions(
            session, auth_session.user_id, reason="refresh_reuse", only_session=auth_session.id
        )
        keep_writes_on_error(session)
        raise _refresh_refused("refresh token already used; the session was ended for safety")
    if user is None:
        raise _refresh_refused("account no longer exists")
    return await _issue(session, settings, user, auth_session=auth_session)


async def logout(
    session: AsyncSession,
    *,
    caller: tuple[uuid.UUID, uuid.UUID] | None,
    refresh_token: str | None,
) -> None:
    if caller is not None:
        user_id, session_id = caller
        await repository.revoke_sessions(session, user_id, reason="logout", only_session=session_id)
    if refresh_token is not None:
        found = (
            await session.execute(
                select(AuthSession)
                .join(RefreshToken, col(AuthSession.id) == col(RefreshToken.session_id))
                .where(col(RefreshToken.token_hash) == hash_token(refresh_token))
            )
        ).scalar_one_or_none()
        if found is not None:
            await repository.revoke_sessions(
                session, found.user_id, reason="logout", only_session=found.id
            )


# --- profile ----------------------------------------------------------------------------------

_PROFILE_FIELDS = (
    "display_name",
    "pronouns",
    "timezone",
    "quiet_hours_start",
    "quiet_hours_end",
    "checkin_reminder_time",
    "discreet_notifications",
    "push_inbox",
)


async def update_me(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    passwords: Passwords,
    user: User,
    data: MeUpdate,
    *,
    current_session: uuid.UUID,
    address: str,
    parts: Parts,
) -> User:
    new_hash = None
    if data.current_password is not None and (data.email or data.new_password):
        ok = await check_password(
            db, settings, passwords, user, data.current_password, address=address
        )
        # Hash the new password before the write transaction starts, too.
        if ok and data.new_password is not None:
            new_hash = await passwords.hash(data.new_password)
        await settle_password(session, settings, user, address=address, ok=ok)
    for name in _PROFILE_FIELDS:
        if name in data.model_fields_set:
            setattr(user, name, getattr(data, name))
    if "pronouns" in data.model_fields_set:
        user.pronouns = data.pronouns or None  # blank clears, as at registration
    if data.email is not None:
        email = normalize_email(str(data.email))
        if email != user.email:
            if await repository.user_by_email(session, email) is not None:
                raise AppError(409, "email_taken", "an account with this email already exists")
            user.email = email
    if new_hash is not None:
        user.password_hash = new_hash
        user.password_changed_at = utcnow()
        # Whoever else holds a session may be why the password changed.
        await repository.revoke_sessions(
            session, user.id, reason="password_changed", except_session=current_session
        )
    user.updated_at = utcnow()
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        raise AppError(409, "email_taken", "an account with this email already exists") from None
    if {"display_name", "pronouns", "timezone"} & data.model_fields_set:
        # Shown in every dynamic the user is in (the time zone as the local day of the moments
        # on home): the parts that show it say so, and the views kept of them are recomputed.
        await tell(parts, lambda part: part.profile_changed, session, user.id)
    return user


async def delete_account(
    session: AsyncSession, settings: Settings, user: User, parts: Parts
) -> None:
    """Remove the user and their personal data; the partner keeps the shared history."""
    await erase_account(session, user.id, parts)
    await session.execute(
        delete(LoginFailure).where(
            col(LoginFailure.account_hash) == _throttle_key(settings, user.email)
        )
    )
    # Sessions, tokens, invites, notifications and idempotency records go by ON DELETE CASCADE;
    # memberships keep their place in the partner's history with the user set to NULL.
    await session.execute(delete(User).where(col(User.id) == user.id))


async def list_sessions(session: AsyncSession, user_id: uuid.UUID) -> list[AuthSession]:
    result = await session.execute(
        select(AuthSession)
        .where(col(AuthSession.user_id) == user_id)
        .order_by(col(AuthSession.created_at).desc())
    )
    return list(result.scalars())


async def end_session(session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
    found = await session.get(AuthSession, session_id)
    if found is None or found.user_id != user_id:
        raise not_found("session")
    await repository.revoke_sessions(session, user_id, reason="signed_out", only_session=found.id)


# --- password reset links and disabled accounts (the operator's command) ---------------------
# Accord sends no e-mail: the server's operator makes a one-time link (python -m app.admin
# reset-password) and hands it to the person. Only the token's hash is stored.

# A wrong reset token counts as a failed sign-in from its address (per-address limit), under an
# account key no e-mail address can have.
_RESET_ACCOUNT = "password-reset\0"


def _reset_refused(found: PasswordReset | None, now: datetime) -> AppError | None:
    if found is None:
        return AppError(404, "invalid_reset_token", "this reset link is unknown; ask for a new one")
    if found.used_at is not None:
        return AppError(410, "reset_used", "this reset link was used already; ask for a new one")
    if found.expires_at <= now:
        return AppError(410, "reset_expired", "this reset link has expired; ask for a new one")
    return None


async def _check_address_throttle(
    session: AsyncSession, settings: Settings, *, address: str
) -> None:
    now = utcnow()
    window = timedelta(seconds=settings.login_window_seconds)
    count, oldest, _ = await repository.recent_failures(
        session, now - window, address_hash=_throttle_key(settings, address)
    )
    if count >= settings.login_max_failures_per_address and oldest is not None:
        raise _too_many_attempts(oldest + window - now)


async def issue_password_reset(session: AsyncSession, user: User) -> tuple[str, datetime]:
    """A new one-time reset token for the user, valid an hour; earlier unused ones stop working.

    Returns the token (shown once, never stored) and when it expires."""
    if user.disabled_at is not None:
        raise AppError(409, "account_disabled", "this account is disabled; enable it first")
    await session.execute(
        delete(PasswordReset).where(
            col(PasswordReset.user_id) == user.id, col(PasswordReset.used_at).is_(None)
        )
    )
    token = new_refresh_token()
    expires_at = utcnow() + PASSWORD_RESET_LIFETIME
    session.add(PasswordReset(user_id=user.id, token_hash=hash_token(token), expires_at=expires_at))
    await session.flush()
    return token, expires_at


async def reset_password(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    passwords: Passwords,
    *,
    token: str,
    new_password: str,
    address: str,
    user_agent: str | None,
) -> IssuedTokens:
    """Spend a reset token: set the new password, end every session, sign this device in.

    Like a sign-in, in two phases: the token is looked up and the password hashed outside the
    write transaction, then the token is spent atomically (of two uses, exactly one wins)."""
    token_hash = hash_token(token)
    async with db.reader() as reader:
        await _check_address_throttle(reader, settings, address=address)
        found = await repository.password_reset(reader, token_hash)
    refused = _reset_refused(found, utcnow())
    new_hash = await passwords.hash(new_password) if refused is None else None
    await _check_address_throttle(session, settings, address=address)
    if refused is not None:
        session.add(
            LoginFailure(
                account_hash=_throttle_key(settings, _RESET_ACCOUNT),
                address_hash=_throttle_key(settings, address),
            )
        )
        keep_writes_on_error(session)
        raise refused
    assert found is not None and new_hash is not None  # what _reset_refused checked
    now = utcnow()
    spent = await session.execute(
        update(PasswordReset)
        .where(
            col(PasswordReset.id) == found.id,
            col(PasswordReset.used_at).is_(None),
            col(PasswordReset.expires_at) > now,
        )
        .values(used_at=now)
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        raise _reset_refused(await repository.password_reset(session, token_hash), now) or (
            AppError(410, "reset_used", "this reset link was used already; ask for a new one")
        )
    user = await session.get(User, found.user_id)
    if user is None:
        raise AppError(404, "invalid_reset_token", "this reset link is unknown")
    if user.disabled_at is not None:
        raise account_disabled()
    return await replace_password(
        session, settings, user, new_hash, reason="password_reset", user_agent=user_agent
    )


async def replace_password(
    session: AsyncSession,
    settings: Settings,
    user: User,
    new_hash: str,
    *,
    reason: str,
    user_agent: str | None,
) -> IssuedTokens:
    """Set a forgotten password anew (a reset link, a recovery kit), end every session and sign
    this device in."""
    now = utcnow()
    user.password_hash = new_hash
    user.password_changed_at = now
    user.updated_at = now
    session.add(user)
    # Whoever holds a session may be why the password was lost: every device signs in again.
    await repository.revoke_sessions(session, user.id, reason=reason)
    # The password changed, so guesses at the old one no longer matter; let the owner back in.
    await session.execute(
        delete(LoginFailure).where(
            col(LoginFailure.account_hash) == _throttle_key(settings, user.email)
        )
    )
    return await _issue(session, settings, user, user_agent=user_agent)


async def disable_account(session: AsyncSession, user: User, parts: Parts) -> None:
    """No sign-in, refresh or session for the account, its devices stop getting pushes, its
    reset links stop working; its data and dynamics stay as they are."""
    now = utcnow()
    user.disabled_at = now
    user.updated_at = now
    session.add(user)
    await repository.revoke_sessions(session, user.id, reason="disabled")
    await session.execute(delete(PasswordReset).where(col(PasswordReset.user_id) == user.id))
    await tell(parts, lambda part: part.disable, session, user.id)  # devices stop getting pushes
    await session.flush()


async def enable_account(session: AsyncSession, user: User) -> None:
    """The account may sign in again (its old sessions stay ended)."""
    user.disabled_at = None
    user.updated_at = utcnow()
    session.add(user)
    await session.flush()
