"""Dependencies shared by every router: the request's session, settings, the declared parts, the
present (the app's clock) and the process's computed views.

Each is ``async def`` though none awaits anything: FastAPI runs a plain ``def`` dependency in
a worker thread, a thread handoff per dependency per request (about 20 for home) for what is
an attribute read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.db import Database
from app.core.declaration import Part
from app.core.errors import AppError
from app.core.requests import request_session
from app.core.security import Passwords
from app.core.views import ViewCache


async def get_session(request: Request) -> AsyncSession:
    return request_session(request.scope)


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def get_passwords(request: Request) -> Passwords:
    passwords: Passwords = request.app.state.passwords
    return passwords


async def get_now(request: Request) -> datetime:
    """The present, from the app's clock (a test's own, or the wall clock)."""
    now: datetime = request.app.state.clock()
    return now


async def get_views(request: Request) -> ViewCache:
    views: ViewCache = request.app.state.views
    return views


async def get_parts(request: Request) -> tuple[Part, ...]:
    parts: tuple[Part, ...] = request.app.state.parts
    return parts


async def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


SessionDep = Annotated[AsyncSession, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
PasswordsDep = Annotated[Passwords, Depends(get_passwords)]
DatabaseDep = Annotated[Database, Depends(get_database)]
PartsDep = Annotated[tuple[Part, ...], Depends(get_parts)]
ClientAddress = Annotated[str, Depends(client_address)]
NowDep = Annotated[datetime, Depends(get_now)]
ViewsDep = Annotated[ViewCache, Depends(get_views)]


def unauthorized(detail: str = "not signed in") -> AppError:
    return AppError(401, "unauthorized", detail, headers={"WWW-Authenticate": "Bearer"})
