"""Who is calling: the signed-in user, resolved from the access token and a live session."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.accounts.models import User
from app.accounts.repository import load_signed_in_user
from app.accounts.service import confirm_password
from app.core.config import Settings
from app.core.db import Database
from app.core.deps import (
    ClientAddress,
    DatabaseDep,
    PasswordsDep,
    SessionDep,
    SettingsDep,
    unauthorized,
)
from app.core.requests import READ_METHODS, SIGNED_IN_KEY, request_session
from app.core.security import InvalidToken, decode_access_token

_bearer = HTTPBearer(auto_error=False, description="The access token from login or refresh")


@dataclass(frozen=True)
class Caller:
    user: User
    session_id: uuid.UUID

    @property
    def id(self) -> uuid.UUID:
        return self.user.id


async def current_caller(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    # The app's state read here rather than as dependencies of their own: every signed-in
    # request resolves this one, and FastAPI's cost is per dependency (bench.profile).
    session = request_session(request.scope)
    db: Database = request.app.state.db
    settings: Settings = request.app.state.settings
    if credentials is None:
        raise unauthorized()
    signed_in = request.scope.get(SIGNED_IN_KEY)
    if signed_in is not None and signed_in[0] == credentials.credentials:
        # A keyed write: its idempotency lookup verified this same token and found the user
        # signed in, in this request's transaction (app/core/middleware/idempotency.py).
        _, claims, user = signed_in
        assert isinstance(user, User)
        return Caller(user=user, session_id=claims.session_id)
    try:
        claims = decode_access_token(settings, credentials.credentials)
    except InvalidToken:
        raise unauthorized("invalid or expired access token") from None
    # One query: the user, and that the device session behind the token is still live, so a
    # logout or a password change takes effect at once rather than when the token expires.
    if settings.is_sqlite and request.method not in READ_METHODS and not session.in_transaction():
        # SQLite has one writer at a time: look the caller up on a reader, so the request's
        # write transaction begins at its first write, not at authentication. A keyed write
        # has begun it already (its Idempotency-Key was looked up in it): ask in it, then.
        async with db.reader() as reader:
            found = await load_signed_in_user(reader, claims.user_id, claims.session_id)
        user = await session.merge(found, load=False) if found is not None else None
    else:
        user = await load_signed_in_user(session, claims.user_id, claims.session_id)
    if user is None:
        raise unauthorized("session ended; sign in again")
    return Caller(user=user, session_id=claims.session_id)


CallerDep = Annotated[Caller, Depends(current_caller)]


PasswordCheck = Callable[[str], Awaitable[None]]


async def password_check(
    caller: CallerDep,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    address: ClientAddress,
) -> PasswordCheck:
    """The caller's password, checked before a change a stolen access token must not be able to
    make: 403 ``wrong_password`` if wrong, throttled like sign-ins."""

    async def confirm(password: str) -> None:
        await confirm_password(
            db, session, settings, passwords, caller.user, password, address=address
        )

    return confirm


PasswordCheckDep = Annotated[PasswordCheck, Depends(password_check)]
