"""The unit of work layer (app.core.middleware.unit_of_work) on its own, around a tiny app on the
run's real database: one session, committed once before the client hears of a success, rolled
back on any refusal or failure, and database errors answered in the shared shape."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.models import User
from app.core.db import Database
from app.core.middleware.asgi import Buffered, json_error
from app.core.middleware.unit_of_work import BEFORE_COMMIT, UnitOfWork
from app.core.requests import SESSION_KEY, keep_writes_on_error, request_session
from tests.asgi import call, client_of
from tests.conftest import make_settings

# What each request's session committed, by request path: a commit counted by SQLAlchemy itself.
Commits = dict[str, int]


def new_user() -> User:
    return User(email=f"{uuid.uuid4().hex}@uow.test", password_hash="x", display_name="x")


def tiny_app(commits: Commits) -> Starlette:
    async def write(request: Request) -> JSONResponse:
        session = request_session(request.scope)
        path = request.url.path
        commits[path] = 0

        def counted(_session: Any) -> None:
            commits[path] += 1

        event.listen(session.sync_session, "after_commit", counted)
        user = new_user()
        session.add(user)
        await session.flush()
        outcome = request.path_params["outcome"]
        if outcome == "refuse":
            return JSONResponse({"detail": "no", "code": "refused"}, status_code=409)
        if outcome == "keep":
            keep_writes_on_error(session)
            return JSONResponse({"detail": "no", "code": "refused"}, status_code=403)
        if outcome == "crash":
            raise RuntimeError("a bug after the work was flushed")
        if outcome == "conflict":  # the same email again: refused when the commit flushes it
            session.add(User(email=user.email, password_hash="x", display_name="x"))
        if outcome == "bad-value":
            await session.execute(text("SELECT CAST('not a number' AS INTEGER)"))
        return JSONResponse({"email": user.email}, status_code=201)

    async def read(request: Request) -> JSONResponse:
        session = request_session(request.scope)
        users = (await session.execute(select(func.count()).select_from(User))).scalar_one()
        return JSONResponse({"users": users})

    return Starlette(routes=[Route("/write/{outcome}", write, methods=["POST"]), Route("/", read)])


async def users(db: Database) -> int:
    async with db.reader() as session:
        return int((await session.execute(select(func.count()).select_from(User))).scalar_one())


@pytest.fixture
def commits() -> Commits:
    return {}


@pytest.fixture
def layer(app: FastAPI, commits: Commits) -> UnitOfWork:
    return UnitOfWork(tiny_app(commits), db=app.state.db)


async def test_a_success_commits_once_before_the_client_hears_of_it(
    app: FastAPI, layer: UnitOfWork, commits: Commits
) -> None:
    seen_at_answer: list[int] = []

    async def on_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            seen_at_answer.append(await users(app.state.db))

    answer = await call(layer, "POST", "/write/ok", on_send=on_send)
    assert answer.status == 201
    assert seen_at_answer == [1]  # committed, by another session's sight, before the answer
    assert commits == {"/write/ok": 1}
    assert answer.headers[b"content-length"] == str(len(answer.body)).encode()


@pytest.mark.parametrize("outcome", ["refuse", "conflict"])
async def test_a_refusal_rolls_back_what_the_handler_wrote(
    app: FastAPI, layer: UnitOfWork, commits: Commits, outcome: str
) -> None:
    async with client_of(layer) as client:
        answer = await client.post(f"/write/{outcome}")
    assert answer.status_code == 409, answer.text
    assert await users(app.state.db) == 0
    assert commits[f"/write/{outcome}"] == 0
    if outcome == "conflict":  # a uniqueness race lost at the commit, in the shared shape
        assert answer.json()["code"] == "conflict"


async def test_writes_kept_on_purpose_survive_an_error_answer(
    app: FastAPI, layer: UnitOfWork, commits: Commits
) -> None:
    async with client_of(layer) as client:
        answer = await client.post("/write/keep")
    assert answer.status_code == 403
    assert await users(app.state.db) == 1
    assert commits == {"/write/keep": 1}


async def test_a_bug_is_a_json_500_then_raised_for_the_log_and_writes_nothing(
    app: FastAPI, layer: UnitOfWork
) -> None:
    answers: list[Message] = []

    async def on_send(message: Message) -> None:
        answers.append(message)

    with pytest.raises(RuntimeError, match="a bug after the work was flushed"):
        await call(layer, "POST", "/write/crash", on_send=on_send)
    assert answers[0]["status"] == 500
    assert b'"code":"internal_error"' in answers[1]["body"]
    assert b"RuntimeError" not in answers[1]["body"]
    assert await users(app.state.db) == 0


async def test_a_value_the_database_refuses_is_a_422(
    app: FastAPI, layer: UnitOfWork, backend: str
) -> None:
    if backend == "sqlite":
        pytest.skip("SQLite casts any text to a number: only PostgreSQL refuses the value")
    async with client_of(layer) as client:
        answer = await client.post("/write/bad-value")
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "invalid_value"
    assert await users(app.state.db) == 0


def _port_where_nothing_listens() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("where", ["sqlite file that cannot be opened", "postgresql server down"])
async def test_an_unavailable_database_is_a_503_to_retry(tmp_path: Path, where: str) -> None:
    if where.startswith("sqlite"):  # its folder does not exist
        url = f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'accord.db'}"
    else:  # connection refused: a ConnectionError, not one of SQLAlchemy's own
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{_port_where_nothing_listens()}/accord"
    db = Database(make_settings(url, tmp_path))
    try:
        async with client_of(UnitOfWork(tiny_app({}), db=db)) as client:
            answer = await client.get("/")
    finally:
        await db.dispose()
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "database_unavailable"
    assert answer.headers["retry-after"] == "1"


async def test_each_request_has_its_own_session_gone_after(app: FastAPI) -> None:
    seen: list[tuple[Scope, AsyncSession]] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((scope, request_session(scope)))
        await JSONResponse({})(scope, receive, send)

    layer = UnitOfWork(inner, db=app.state.db)
    assert (await call(layer, "GET", "/")).status == 200
    assert (await call(layer, "GET", "/")).status == 200
    (first_scope, first), (_, second) = seen
    assert first is not second
    assert SESSION_KEY not in first_scope
    with pytest.raises(RuntimeError, match="outside the unit of work"):
        request_session(first_scope)


# --- the last write before the commit (BEFORE_COMMIT), as the idempotency layer uses it ----------


def beside(app: ASGIApp, hook: Any) -> ASGIApp:
    """A tiny outer layer that asks for ``hook`` to run just before the commit."""

    async def layer(scope: Scope, receive: Receive, send: Send) -> None:
        scope[BEFORE_COMMIT] = hook
        await app(scope, receive, send)

    return layer


async def test_a_write_before_the_commit_joins_the_work(app: FastAPI, layer: UnitOfWork) -> None:
    statuses: list[int] = []

    async def record_too(session: AsyncSession, response: Buffered) -> Buffered | None:
        statuses.append(response.status)
        session.add(new_user())
        return None

    async with client_of(beside(layer, record_too)) as client:
        assert (await client.post("/write/ok")).status_code == 201
        assert (await client.post("/write/refuse")).status_code == 409
    assert statuses == [201]  # not asked for a refusal
    assert await users(app.state.db) == 2  # the work and the write beside it


async def test_an_answer_instead_rolls_the_work_back(app: FastAPI, layer: UnitOfWork) -> None:
    async def lost(session: AsyncSession, response: Buffered) -> Buffered | None:
        session.add(new_user())
        return json_error(409, "lost", "someone else took this over")

    async with client_of(beside(layer, lost)) as client:
        answer = await client.post("/write/ok")
    assert answer.status_code == 409
    assert answer.json()["code"] == "lost"
    assert await users(app.state.db) == 0
