"""Backups, by ``python -m app.backup`` in real processes, on SQLite and on PostgreSQL.

Data is made through the API, backed up, changed and deleted, then restored: every table comes
back exactly as it was when the backup was made. A backup taken while check-ins keep arriving
holds one moment of them, each with its change-feed entry. Retention keeps exactly the newest N; a
restore needs ``--yes``; a file that is not a backup for this database is refused, with a
clear message, and changes nothing. Nothing printed holds a secret or an e-mail address.
"""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from app.backup import describe_postgres, libpq_env
from app.core.db import metadata
from tests.commands import SECRET_KEY, run_module
from tests.helpers import Member, pair, register

Snapshot = dict[str, list[tuple[Any, ...]]]


async def snapshot(app: FastAPI) -> Snapshot:
    """Every row of every table, in primary key order."""
    rows: Snapshot = {}
    async with app.state.db.engine.connect() as conn:
        for table in metadata.sorted_tables:
            result = await conn.execute(select(table).order_by(*table.primary_key.columns))
            rows[table.name] = [tuple(row) for row in result.all()]
    return rows


async def backup(database_url: str, data_dir: Path, *args: str) -> Any:
    return await run_module("app.backup", *args, database_url=database_url, data_dir=data_dir)


async def seed(client: httpx.AsyncClient) -> tuple[Member, Member, str]:
    alice = await register(client, "Alice")
    bob = await register(client, "Bob")
    dynamic_id = await pair(client, alice, bob)
    checkin = await client.post(
        f"/api/dynamics/{dynamic_id}/checkins",
        json={"mood": 4, "needs": ["praise"], "gave": 3, "received": 4},
        headers=alice.idem(),
    )
    assert checkin.status_code == 201, checkin.text
    proposed = await client.post(
        f"/api/dynamics/{dynamic_id}/protocols",
        json={
            "title": "Morning message",
            "description": "A short message before nine.",
            "kind": "ritual",
            "performer_ids": [bob.id],
            "schedule": {"times": ["08:30"], "weekdays": [0, 1, 2, 3, 4]},
            "review_on": None,
        },
        headers=alice.idem(),
    )
    assert proposed.status_code == 201, proposed.text
    return alice, bob, dynamic_id


def assert_private(output: str, *members: Member) -> None:
    assert SECRET_KEY not in output
    for member in members:
        assert member.email not in output
        assert member.password not in output


async def test_a_restore_brings_back_every_row_as_it_was(
    app: FastAPI, client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    alice, bob, dynamic_id = await seed(client)
    at_backup = await snapshot(app)
    assert at_backup["users"] and at_backup["checkins"] and at_backup["protocols"]

    made = await backup(database_url, tmp_path / "data", "create", "--dir", str(tmp_path / "b"))
    assert made.returncode == 0, made.stderr
    files = sorted((tmp_path / "b").iterdir())
    assert len(files) == 1 and files[0].name in made.stdout
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "b").stat().st_mode) == 0o700
    assert_private(made.stdout + made.stderr, alice, bob)

    # Life goes on: a new account, more check-ins, a red, and Alice deletes her account.
    await register(client, "Carol")
    more = await client.post(
        f"/api/dynamics/{dynamic_id}/checkins", json={"mood": 2}, headers=bob.idem()
    )
    assert more.status_code == 201, more.text
    red = await client.post(f"/api/dynamics/{dynamic_id}/red", json={}, headers=bob.idem())
    assert red.status_code == 200, red.text
    gone = await client.request(
        "DELETE", "/api/me", json={"password": alice.password}, headers=alice.headers
    )
    assert gone.status_code == 204, gone.text
    changed = await snapshot(app)
    assert changed != at_backup

    # Without --yes, a restore says what it would replace, and replaces nothing.
    asked = await backup(database_url, tmp_path / "data", "restore", str(files[0]))
    assert asked.returncode == 1
    assert "would replace" in asked.stderr and "--yes" in asked.stderr
    assert await snapshot(app) == changed

    # The app's own connections let go first, as an operator stops the app before a restore.
    await app.state.db.engine.dispose()
    restored = await backup(database_url, tmp_path / "data", "restore", str(files[0]), "--yes")
    assert restored.returncode == 0, restored.stderr
    assert_private(restored.stdout + restored.stderr, alice, bob)
    await app.state.db.engine.dispose()
    assert await snapshot(app) == at_backup

    # And the app works on it: Alice is back, with her password.
    login = await client.post(
        "/api/auth/login", json={"email": alice.email, "password": alice.password}
    )
    assert login.status_code == 200, login.text

    # The restore saved what it replaced first: restoring that copy undoes it.
    (copy,) = (tmp_path / "data" / "backups").iterdir()
    assert copy.name in restored.stdout
    await app.state.db.engine.dispose()
    undone = await backup(
        database_url, tmp_path / "data", "restore", str(copy), "--yes", "--no-copy"
    )
    assert undone.returncode == 0, undone.stderr
    await app.state.db.engine.dispose()
    assert await snapshot(app) == changed
    assert list((tmp_path / "data" / "backups").iterdir()) == [copy]


async def test_a_backup_made_while_the_app_writes_is_one_consistent_moment(
    app: FastAPI, client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    alice, _, dynamic_id = await seed(client)
    made_ids: list[str] = []
    stop = asyncio.Event()
    writing = asyncio.Event()

    async def keep_checking_in() -> None:
        while not stop.is_set():
            answer = await client.post(
                f"/api/dynamics/{dynamic_id}/checkins", json={"mood": 3}, headers=alice.idem()
            )
            assert answer.status_code == 201, answer.text
            made_ids.append(answer.json()["id"])
            writing.set()

    writer = asyncio.create_task(keep_checking_in())
    try:
        # The backup starts once the app is writing (not after a guessed pause).
        await asyncio.wait_for(writing.wait(), timeout=30)
        made = await backup(database_url, tmp_path / "data", "create")
    finally:
        stop.set()
        await writer
    assert made.returncode == 0, made.stderr
    (file,) = (tmp_path / "data" / "backups").iterdir()

    await app.state.db.engine.dispose()
    restored = await backup(database_url, tmp_path / "data", "restore", str(file), "--yes")
    assert restored.returncode == 0, restored.stderr
    await app.state.db.engine.dispose()
    rows = await snapshot(app)
    kept = {str(row[0]) for row in rows["checkins"]}
    # A moment in the middle of the writes (the seed's check-in and some of the others), and
    # each check-in whole: the change feed has exactly those.
    assert len(kept - set(made_ids)) == 1
    assert len(kept) >= 2
    sync = await client.get("/api/sync?limit=500", headers=alice.headers)
    assert sync.status_code == 200, sync.text
    assert not sync.json()["has_more"]
    fed = {c["id"] for c in sync.json()["changes"] if c["entity"] == "checkin"}
    assert fed == kept


async def test_retention_keeps_exactly_the_newest_n(
    app: FastAPI, client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    await seed(client)
    data_dir = tmp_path / "data"
    default_dir = data_dir / "backups"
    default_dir.mkdir(parents=True)
    unrelated = default_dir / "notes.txt"
    unrelated.write_text("not a backup")
    made = []
    for _ in range(4):
        result = await backup(database_url, data_dir, "create", "--keep", "2")
        assert result.returncode == 0, result.stderr
        made.append(next(p.name for p in default_dir.iterdir() if p.name in result.stdout))
    kept = sorted(p.name for p in default_dir.iterdir() if p.name.startswith("accord-"))
    assert kept == sorted(made[-2:])
    assert unrelated.read_text() == "not a backup"  # only backups are ever deleted

    listed = await backup(database_url, data_dir, "list")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines()] == sorted(made[-2:])


async def test_the_default_directory_is_the_owners_only(
    app: FastAPI, client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    await seed(client)
    data_dir = tmp_path / "data"
    result = await backup(database_url, data_dir, "create")
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((data_dir / "backups").stat().st_mode) == 0o700
    (file,) = (data_dir / "backups").iterdir()
    assert stat.S_IMODE(file.stat().st_mode) == 0o600


async def test_what_is_not_a_backup_is_refused_and_changes_nothing(
    app: FastAPI, client: httpx.AsyncClient, database_url: str, backend: str, tmp_path: Path
) -> None:
    await seed(client)
    before = await snapshot(app)
    data_dir = tmp_path / "data"

    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello\n" * 100)
    other_db = tmp_path / "other.db"
    conn = sqlite3.connect(other_db)
    conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    # A backup of the other kind of database.
    wrong_kind = tmp_path / "wrong-kind.backup"
    if backend == "sqlite":
        wrong_kind.write_bytes(b"PGDMP" + b"\x01" * 200)
        wrong_message = "PostgreSQL backup"
    else:
        wrong_kind.write_bytes(other_db.read_bytes())
        wrong_message = "SQLite backup"

    cases = [
        (tmp_path / "missing.db", "there is no file"),
        (text_file, "not an Accord backup"),
        (wrong_kind, wrong_message),
    ]
    if backend == "sqlite":
        cases.append((other_db, "not an Accord backup"))
    else:
        damaged = tmp_path / "damaged.dump"
        damaged.write_bytes(b"PGDMP" + b"\x00" * 300)
        cases.append((damaged, "cannot be read"))
    for file, message in cases:
        result = await backup(database_url, data_dir, "restore", str(file), "--yes")
        assert result.returncode == 1, (file, result.stdout, result.stderr)
        assert message in result.stderr, (file, result.stderr)
        assert "Traceback" not in result.stderr
    assert await snapshot(app) == before


def test_database_urls_become_libpq_settings_without_showing_the_password() -> None:
    url = "postgresql+asyncpg://accord:s3cret%21@db.internal:6543/accord_prod?ssl=require"
    env = libpq_env(url)
    assert env == {
        "PGHOST": "db.internal",
        "PGPORT": "6543",
        "PGUSER": "accord",
        "PGPASSWORD": "s3cret!",
        "PGDATABASE": "accord_prod",
        "PGSSLMODE": "require",
    }
    described = describe_postgres(url)
    assert "s3cret" not in described
    assert "accord_prod" in described and "db.internal:6543" in described
    socket = libpq_env("postgresql+asyncpg://accord@/accord?host=/var/run/postgresql")
    assert socket["PGHOST"] == "/var/run/postgresql"
