"""The schema comes only from migrations; both databases migrate up, down and up again, and the
models never drift from what the migrations build. Concurrent writes never fail on SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi import FastAPI
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import Settings
from app.core.db import Database, metadata
from app.main import create_app
from tests.conftest import _pg_admin, alembic_config, make_settings, pg_database_url
from tests.helpers import register


@pytest.fixture
def scratch_url(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """An empty database of the same kind as the run's, for migrating from nothing."""
    if database_url.startswith("sqlite"):
        yield f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}"
        return
    admin_url: str = request.getfixturevalue("pg_admin_url")
    name = f"accord_scratch_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield pg_database_url(admin_url, name)
    finally:
        asyncio.run(_pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    return names - {"alembic_version"}


def test_upgrade_downgrade_upgrade(scratch_url: str) -> None:
    cfg = alembic_config(scratch_url)
    expected = set(metadata.tables)
    command.upgrade(cfg, "head")
    assert asyncio.run(_tables(scratch_url)) == expected
    command.downgrade(cfg, "base")
    assert asyncio.run(_tables(scratch_url)) == set()
    command.upgrade(cfg, "head")
    assert asyncio.run(_tables(scratch_url)) == expected


def _diff(conn: Connection) -> list[object]:
    context = MigrationContext.configure(
        conn,
        opts={
            "compare_type": True,
            "compare_server_default": True,
            "render_as_batch": conn.dialect.name == "sqlite",
        },
    )
    return list(compare_metadata(context, metadata))


async def test_models_match_migrations(app: FastAPI) -> None:
    """Fails when a model changes without a migration (or a migration without the model)."""
    async with app.state.db.engine.connect() as conn:
        diff = await conn.run_sync(_diff)
    assert diff == [], f"models and migrations drifted apart: {diff}"


async def test_sqlite_pragmas(database_url: str, backend: str, tmp_path: Path) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite connection settings")
    # The app as it runs by default (the suite's own app fixture skips the fsyncs).
    default = Settings.from_env().sqlite_synchronous
    app = create_app(make_settings(database_url, tmp_path, sqlite_synchronous=default))
    async with app.state.db.engine.connect() as conn:
        mode = (await conn.execute(text("PRAGMA journal_mode"))).scalar_one()
        fks = (await conn.execute(text("PRAGMA foreign_keys"))).scalar_one()
        busy = (await conn.execute(text("PRAGMA busy_timeout"))).scalar_one()
        synchronous = (await conn.execute(text("PRAGMA synchronous"))).scalar_one()
    assert (mode, fks) == ("wal", 1)
    assert busy >= 1000
    await app.state.db.dispose()
    # FULL (2): a commit the app acknowledged survives a power loss, not only a crash.
    assert synchronous == 2


@pytest.mark.parametrize(("setting", "level"), [("FULL", 2), ("NORMAL", 1), ("normal", 1)])
async def test_sqlite_synchronous_can_be_chosen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, level: int
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "db-test-" + "x" * 40)
    assert Settings.from_env().sqlite_synchronous == "FULL"
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", setting)
    db = Database(Settings.from_env())
    try:
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("PRAGMA synchronous"))).scalar_one() == level
    finally:
        await db.dispose()


def test_an_unknown_sqlite_synchronous_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "db-test-" + "x" * 40)
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", "FULL; DROP TABLE users")
    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS"):
        Settings.from_env()


async def test_concurrent_writes_never_fail(client: httpx.AsyncClient) -> None:
    """Many writers at once queue on the database instead of failing with 'database is locked'."""
    members = await asyncio.gather(*(register(client, f"W{i}") for i in range(12)))

    async def burst(member_headers: dict[str, str]) -> list[int]:
        codes = []
        for _ in range(3):
            response = await client.post("/api/invites", json={}, headers=member_headers)
            codes.append(response.status_code)
        return codes

    results = await asyncio.gather(*(burst(m.headers) for m in members))
    assert all(code == 201 for codes in results for code in codes), results


async def test_sqlite_writers_take_turns_in_arrival_order(app: FastAPI, backend: str) -> None:
    """A writer waits for its turn in the process's queue, not in SQLite's busy handler (which
    retries after sleeps of up to 100 ms, in no order): turns go in the order writers came."""
    if backend != "sqlite":
        pytest.skip("SQLite's writers")
    db: Database = app.state.db
    assert db.writers is not None
    order: list[int] = []

    async def write(i: int) -> None:
        async with db.writer() as session:
            await session.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: the turn
            order.append(i)
            await session.commit()

    tasks = []
    async with db.writer() as first, asyncio.timeout(30):  # a guard against a hang, not a wait
        await first.execute(text("SELECT 1"))  # holds the turn
        for i in range(6):
            tasks.append(asyncio.create_task(write(i)))
            # Yield until writer i waits in the queue (it has no event to wait on for this).
            while db.writers.waiting < i + 1:  # noqa: ASYNC110
                await asyncio.sleep(0)
        assert order == []
        await first.commit()
    await asyncio.gather(*tasks)
    assert order == list(range(6))
    assert db.writers.waiting == 0
    assert not db.writers.held


async def test_a_write_cancelled_at_any_await_gives_its_turn_back(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    """A request cancelled at whichever await it has reached (its client gone, the server
    stopping) leaves neither the writers' turn nor SQLite's write lock held: the next write is
    served at once, not a 503 after the busy timeout. The request is cancelled after 0, 1,
    2, ... turns of the event loop, until one runs to its end before the cancel comes."""
    member = await register(client, "Cancelled")
    db: Database = app.state.db

    def rename(name: str) -> Any:  # a keyed write, as the web app's outbox sends it
        body = {"display_name": name}
        return client.patch("/api/me", json=body, headers=member.idem(str(uuid.uuid4())))

    cancelled = 0
    for turns in range(2000):
        request = asyncio.create_task(rename(f"C{turns}"))
        for _ in range(turns):
            await asyncio.sleep(0)
        if request.done():
            assert request.result().status_code == 200
            break
        request.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await request
            continue  # the cancel came as it ended: nothing was cut short
        cancelled += 1
        if db.writers is not None:
            assert not db.writers.held, f"cancelled after {turns} turns of the loop"
        async with asyncio.timeout(20):  # a guard against the busy timeout (30 s), not a wait
            after = await rename("After")
        assert after.status_code == 200, (turns, after.text)
    else:
        raise AssertionError("the request never finished")
    assert cancelled > 10  # it really was cut short at many points
