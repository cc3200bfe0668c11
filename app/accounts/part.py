"""Accounts as a part: sign-up, sign-in and device sessions, the profile and sessions in the
export, and how long sign-in records are kept."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import (
    LOGIN_FAILURE_MEMORY,
    AuthSession,
    LoginFailure,
    PasswordReset,
    RefreshToken,
    SignUpAttempt,
    User,
)
from app.accounts.repository import account
from app.accounts.router import auth_router, me_router
from app.accounts.schemas import SessionPublic, UserPublic
from app.accounts.service import list_sessions
from app.core.declaration import Export, Part, Sweep

LOGIN_FAILURES_KEEP = LOGIN_FAILURE_MEMORY
SIGN_UP_ATTEMPTS_KEEP = timedelta(days=1)
ENDED_SESSIONS_KEEP = timedelta(days=30)
# A reset link works an hour; kept a day after, so a late click still hears "expired".
PASSWORD_RESETS_KEEP = timedelta(days=1)


async def _export(session: AsyncSession, user_id: uuid.UUID) -> dict[str, object]:
    return {
        "user": UserPublic.model_validate(await account(session, user_id)).model_dump(mode="json"),
        "sessions": [
            SessionPublic.model_validate(s).model_dump(mode="json")
            for s in await list_sessions(session, user_id)
        ],
    }


PART = Part(
    name="accounts",
    routers=(auth_router, me_router),
    models=(User, AuthSession, RefreshToken, LoginFailure, SignUpAttempt, PasswordReset),
    export=Export({"user": UserPublic, "sessions": list[SessionPublic]}, _export),
    sweeps=(
        Sweep(
            "login_failures",
            LoginFailure,
            lambda now: col(LoginFailure.at) < now - LOGIN_FAILURES_KEEP,
        ),
        Sweep(
            "sign_up_attempts",
            SignUpAttempt,
            lambda now: col(SignUpAttempt.at) < now - SIGN_UP_ATTEMPTS_KEEP,
        ),
        Sweep(
            "auth_sessions",
            AuthSession,
            lambda now: or_(
                col(AuthSession.expires_at) < now - ENDED_SESSIONS_KEEP,
                col(AuthSession.revoked_at) < now - ENDED_SESSIONS_KEEP,
            ),
        ),
        Sweep(
            "password_resets",
            PasswordReset,
            lambda now: col(PasswordReset.expires_at) < now - PASSWORD_RESETS_KEEP,
        ),
    ),
)
