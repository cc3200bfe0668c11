"""The schema comes only from migrations; both databases migrate up, down and up again, and the
models never drift from what the migrations build. Concurrent writes never fail on SQLite."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

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
