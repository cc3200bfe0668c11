"""The baselines, served by the same uvicorn as Accord.

``uvicorn --factory bench.bare:create_app`` (what the benchmarks do).

- ``GET /bare``: a FastAPI route and nothing else, the floor of the framework and the server.
- ``GET /peer``: what a plain FastAPI app does for a signed-in read, the peer the hot paths are
  compared with (issue *Cost per request*): verify an HS256 JWT with pyjwt (Accord's own access
  token: same secret, audience and issuer), one SELECT of the caller by primary key through
  SQLAlchemy's async session, and a pydantic response. It is there only when ``PEER_DATABASE_URL``
  and ``PEER_SECRET_KEY`` name the database and the secret of the Accord being measured. It uses
  no Accord code: its own table declaration, the engine's defaults (SQLite in WAL mode, which
  Accord's schema sets up), no unit of work, no middleware.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import jwt
from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy import Column, MetaData, String, Table, Uuid, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

# The page baseline for bench.pwa: the least a browser can be asked to show.
PAGE = "<!doctype html><html lang=en><title>bare</title><h1 id=state>bare</h1></html>"

_users = Table(
    "users",
    MetaData(),
    Column("id", Uuid, primary_key=True),
    Column("display_name", String),
    Column("timezone", String),
)


class PeerUser(BaseModel):
    id: uuid.UUID
    display_name: str
    timezone: str


async def _session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


def create_app() -> FastAPI:
    url = os.environ.get("PEER_DATABASE_URL")
    secret = os.environ.get("PEER_SECRET_KEY", "")
    engine = create_async_engine(url, pool_size=10, max_overflow=10) if url else None
    sessions = async_sessionmaker(engine, expire_on_commit=False) if engine else None

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        if engine is not None:
            await engine.dispose()

    app = FastAPI(title="bare", openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)

    @app.get("/bare")
    async def bare() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/page", response_class=HTMLResponse)
    async def page() -> str:
        return PAGE

    if sessions is None:
        return app
    app.state.sessions = sessions

    @app.get("/peer")
    async def peer(
        authorization: Annotated[str, Header()],
        db: Annotated[AsyncSession, Depends(_session)],
    ) -> PeerUser:
        try:
            claims = jwt.decode(
                authorization.removeprefix("Bearer "),
                secret,
                algorithms=["HS256"],
                audience="accord",
                issuer="accord",
            )
        except jwt.PyJWTError:
            raise HTTPException(401, "invalid token") from None
        row = (
            await db.execute(select(_users).where(_users.c.id == uuid.UUID(claims["sub"])))
        ).first()
        if row is None:
            raise HTTPException(404, "no such user")
        return PeerUser(id=row.id, display_name=row.display_name, timezone=row.timezone)

    return app
