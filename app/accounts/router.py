from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.accounts import service
from app.accounts.deps import CallerDep, PasswordCheckDep
from app.accounts.schemas import (
    DeleteMeIn,
    LoginIn,
    LogoutIn,
    MeUpdate,
    RefreshIn,
    RegisterIn,
    ResetIn,
    SessionPublic,
    TokenOut,
    UserPublic,
)
from app.accounts.service import IssuedTokens
from app.core.deps import (
    ClientAddress,
    DatabaseDep,
    PartsDep,
    PasswordsDep,
    SessionDep,
    SettingsDep,
)
from app.core.errors import responses
from app.core.security import InvalidToken, decode_access_token

auth_router = APIRouter(prefix="/api/auth", tags=["auth"])
me_router = APIRouter(prefix="/api/me", tags=["me"])

UserAgent = Annotated[str | None, Header(include_in_schema=False)]


def _tokens(issued: IssuedTokens) -> TokenOut:
    return TokenOut(
        user=UserPublic.model_validate(issued.user),
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
    )


@auth_router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=TokenOut,
    responses=responses(409, 413, 422, 429),
)
async def register(
    body: RegisterIn,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    address: ClientAddress,
    user_agent: UserAgent = None,
) -> TokenOut:
    issued = await service.register(
        db, session, settings, passwords, body, address=address, user_agent=user_agent
    )
    return _tokens(issued)


@auth_router.post("/login", response_model=TokenOut, responses=responses(401, 422, 429))
async def login(
    body: LoginIn,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    address: ClientAddress,
    user_agent: UserAgent = None,
) -> TokenOut:
    issued = await service.login(
        db,
        session,
        settings,
        passwords,
        email=body.email,
        password=body.password,
        address=address,
        user_agent=user_agent,
    )
    return _tokens(issued)


@auth_router.post("/refresh", response_model=TokenOut, responses=responses(401, 422))
async def refresh(body: RefreshIn, session: SessionDep, settings: SettingsDep) -> TokenOut:
    return _tokens(await service.refresh(session, settings, body.refresh_token))


@auth_router.post("/reset", response_model=TokenOut, responses=responses(401, 404, 410, 422, 429))
async def reset_password(
    body: ResetIn,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    address: ClientAddress,
    user_agent: UserAgent = None,
) -> TokenOut:
    """Choose a new password with a one-time link from the server's operator
    (``python -m app.admin reset-password``). Signs this device in; every other session ends."""
    issued = await service.reset_password(
        db,
        session,
        settings,
        passwords,
        token=body.token,
        new_password=body.new_password,
        address=address,
        user_agent=user_agent,
    )
    return _tokens(issued)


_optional_bearer = HTTPBearer(auto_error=False)


@auth_router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=responses(422))
async def logout(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_optional_bearer)],
    body: LogoutIn | None = None,
) -> Response:
    """End this device's session: by its access token, its refresh token, or both.

    Always 204, so a client can call it while offline-retrying without learning anything."""
    caller = None
    if credentials is not None:
        try:
            claims = decode_access_token(settings, credentials.credentials)
            caller = (claims.user_id, claims.session_id)
        except InvalidToken:
            caller = None
    await service.logout(session, caller=caller, refresh_token=body.refresh_token if body else None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me_router.get("", response_model=UserPublic, responses=responses(401))
async def read_me(caller: CallerDep) -> UserPublic:
    return UserPublic.model_validate(caller.user)


@me_router.patch("", response_model=UserPublic, responses=responses(401, 403, 409, 422, 429))
async def update_me(
    body: MeUpdate,
    caller: CallerDep,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    address: ClientAddress,
    parts: PartsDep,
) -> UserPublic:
    user = await service.update_me(
        db,
        session,
        settings,
        passwords,
        caller.user,
        body,
        current_session=caller.session_id,
        address=address,
        parts=parts,
    )
    return UserPublic.model_validate(user)


@me_router.delete(
    "", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 403, 422, 429)
)
async def delete_me(
    body: DeleteMeIn,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    check_password: PasswordCheckDep,
    parts: PartsDep,
) -> Response:
    """Delete the account. Needs the password. Every dynamic you are in ends, your partner is
    told, and your personal data is removed; what your partner wrote stays theirs."""
    await check_password(body.password)
    await service.delete_account(session, settings, caller.user, parts)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@me_router.get("/sessions", response_model=list[SessionPublic], responses=responses(401))
async def list_sessions(caller: CallerDep, session: SessionDep) -> list[SessionPublic]:
    """The devices signed in to this account (tokens are never shown)."""
    sessions = await service.list_sessions(session, caller.id)
    return [
        SessionPublic.model_validate(s).model_copy(update={"current": s.id == caller.session_id})
        for s in sessions
    ]


@me_router.delete(
    "/sessions/{session_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 404, 422),
)
async def end_session(session_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> Response:
    """Sign out one device (a lost phone, say): its tokens stop working at once."""
    await service.end_session(session, caller.id, session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
