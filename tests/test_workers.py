"""Two real reminder workers (``python -m app.worker``) on PostgreSQL share 5,000 due
reminders and deliver each of them exactly once to the push service inside the suite.

The workers are separate processes, as a deployment runs them: they claim with ``FOR UPDATE
SKIP LOCKED`` on the same database and push over real sockets to ``tests.push_service``, which
decrypts every message with its device's private key and verifies the VAPID token.

Seeded straight into the database (SQLAlchemy Core): 250 users, each with one subscribed
``FakeDevice``, 20 notifications and, for each, a due reminder of kind ``notification`` — what
``notify(...)`` queues. Every notification has a kind of its own and the users are not in
discreet mode, so the pushed ``tag`` (the notification's kind) names the one reminder that a
message stands for: the test checks every reminder arrived once, not only the totals.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.core.db import metadata, utcnow
from tests.processes import SCRUBBED_ENV, Process, vapid_private_pem
from tests.push_service import FakeDevice, PushService, Received, b64url

ROOT = Path(__file__).resolve().parent.parent
USERS = 250
PER_USER = 20
TOTAL = USERS * PER_USER  # 5,000, as the issue asks
WORKERS = 2
# A bound on waiting for the work, not a measure of it: on a shared two-core machine the 5,000
# pushes (each encrypted by a worker and decrypted and verified by the suite) took 120 s.
DEADLINE_SECONDS = 300.0
STOP_SECONDS = 30.0
# One line per request that httpx logs at INFO (the worker configures INFO logging); the
# sender's redaction keeps only the origin. It is how a push is attributed to its worker.
_PUSH_LINE = "HTTP Request: POST http://127.0.0.1:"

USERS_T = metadata.tables["users"]
SUBSCRIPTIONS_T = metadata.tables["push_subscriptions"]
NOTIFICATIONS_T = metadata.tables["notifications"]
REMINDERS_T = metadata.tables["reminders"]


class Worker(Process):
    def pushes(self) -> int:
        return sum(_PUSH_LINE in line for line in self.output().splitlines())


@dataclass(frozen=True)
class Seeded:
    devices: dict[uuid.UUID, FakeDevice]  # user -> device
    kinds: dict[uuid.UUID, set[str]]  # user -> the kinds (= push tags) of its notifications


def _worker_env(database_url: str, data_dir: Path, vapid_pem: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.upper() not in SCRUBBED_ENV}
    env.update(
        {
            "DATABASE_URL": database_url,
            "DATA_DIR": str(data_dir),
            "SECRET_KEY": "test-workers-" + "x" * 40,
            "VAPID_PRIVATE_KEY": vapid_pem,  # one key, shared by both workers
            "VAPID_SUBJECT": "mailto:workers@example.org",
            "PUSH_ALLOW_INSECURE_ENDPOINTS": "1",
            "HOUSEKEEPING": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@contextlib.contextmanager
def running_workers(env: dict[str, str], log_dir: Path) -> Iterator[list[Worker]]:
    """``WORKERS`` worker processes; whatever happens, none of them outlives the block."""
    workers: list[Worker] = []
    try:
        for i in range(1, WORKERS + 1):
            log_path = log_dir / f"worker{i}.log"
            with log_path.open("wb") as out:
                process = subprocess.Popen(
                    [sys.executable, "-m", "app.worker", "--interval", "0.2"],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            workers.append(Worker(f"worker{i}", process, log_path))
        yield workers
    finally:
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.kill()
        for worker in workers:
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.process.wait(timeout=10)


async def _seed(app: FastAPI, push_service: PushService) -> Seeded:
    now = utcnow()
    due = now - timedelta(seconds=5)
    devices: dict[uuid.UUID, FakeDevice] = {}
    kinds: dict[uuid.UUID, set[str]] = {}
    users: list[dict[str, Any]] = []
    subscriptions: list[dict[str, Any]] = []
    notifications: list[dict[str, Any]] = []
    reminders: list[dict[str, Any]] = []
    for i in range(USERS):
        user_id = uuid.uuid4()
        device = push_service.new_device()
        devices[user_id] = device
        kinds[user_id] = set()
        users.append(
            {
                "id": user_id,
                "email": f"worker-load-{i}-{user_id.hex[:8]}@example.org",
                "password_hash": "not-a-hash",  # nobody signs in
                "display_name": f"User {i}",
                "timezone": "UTC",
                "quiet_hours_start": None,
                "quiet_hours_end": None,
                # Not discreet: the push then carries the notification's kind as its tag.
                "discreet_notifications": False,
                "push_inbox": True,
                "created_at": now,
                "updated_at": now,
                "password_changed_at": now,
            }
        )
        subscriptions.append(
            {
                "id": uuid.uuid4(),
                "user_id": user_id,
                "endpoint": device.endpoint,
                "p256dh": device.p256dh,
                "auth": b64url(device.auth_secret),
                "created_at": now,
                "failure_count": 0,
            }
        )
        for _ in range(PER_USER):
            notification_id = uuid.uuid4()
            kind = f"k{notification_id.hex}"  # 33 characters: one of its own, pushed as tag
            kinds[user_id].add(kind)
            notifications.append(
                {
                    "id": notification_id,
                    "user_id": user_id,
                    "dynamic_id": None,
                    "actor_id": None,
                    "kind": kind,
                    "data": {},
                    "created_at": now,
                }
            )
            reminders.append(
                {
                    "id": uuid.uuid4(),
                    "key": f"notification:{notification_id}",
                    "kind": "notification",
                    "user_id": user_id,
                    "dynamic_id": None,
                    "notification_id": notification_id,
                    "scheduled_for": due,
                    "due_at": due,
                    "state": "pending",
                    "created_at": now,
                }
            )
    async with app.state.db.engine.begin() as conn:
        await conn.execute(USERS_T.insert(), users)
        await conn.execute(SUBSCRIPTIONS_T.insert(), subscriptions)
        await conn.execute(NOTIFICATIONS_T.insert(), notifications)
        await conn.execute(REMINDERS_T.insert(), reminders)
    return Seeded(devices, kinds)


async def _states(app: FastAPI) -> Counter[str]:
    async with app.state.db.engine.connect() as conn:
        rows = await conn.execute(
            select(REMINDERS_T.c.state, func.count()).group_by(REMINDERS_T.c.state)
        )
        return Counter({str(state): int(n) for state, n in rows})


def _ours(push_service: PushService, seeded: Seeded) -> list[Received]:
    tokens = {d.token for d in seeded.devices.values()}
    return [r for r in push_service.received() if r.token in tokens]


async def test_two_workers_deliver_5000_reminders_exactly_once(
    app: FastAPI,
    database_url: str,
    push_service: PushService,
    tmp_path: Path,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "separate worker processes are the PostgreSQL deployment (FOR UPDATE SKIP LOCKED); "
            "on SQLite the dispatcher runs inside the app (test_push_e2e.py)"
        )
    seeded = await _seed(app, push_service)
    assert await _states(app) == Counter({"pending": TOTAL})
    env = _worker_env(database_url, tmp_path / "data", vapid_private_pem())

    started = time.monotonic()
    with running_workers(env, tmp_path) as workers:
        # Until every reminder is sent and every push has arrived, a worker crashes, or time
        # runs out.
        states: Counter[str] = Counter()
        received = 0
        while time.monotonic() - started < DEADLINE_SECONDS:
            crashed = [w for w in workers if w.process.poll() is not None]
            assert not crashed, "\n\n".join(
                f"{w.name} exited with {w.process.returncode}:\n{w.tail()}" for w in crashed
            )
            states = await _states(app)
            received = len(_ours(push_service, seeded))
            if states["sent"] == TOTAL and received >= TOTAL:
                break
            await asyncio.sleep(0.25)
        elapsed = time.monotonic() - started
        assert states["sent"] == TOTAL and received >= TOTAL, (
            f"after {elapsed:.0f}s: reminders {dict(states)}, {received} pushes received\n"
            + "\n\n".join(f"{w.name}:\n{w.tail()}" for w in workers)
        )

        # A clean stop: SIGTERM ends the current round, then the process exits 0.
        for worker in workers:
            worker.process.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                pytest.fail(f"{worker.name} still running {STOP_SECONDS:.0f}s after SIGTERM")
        for worker in workers:
            assert worker.process.returncode == 0, (
                f"{worker.name} exited with {worker.process.returncode}:\n{worker.tail()}"
            )
            assert not worker.problems(), f"{worker.name} logged:\n" + "\n".join(
                worker.problems()[:20]
            )

    # Both processes are gone: nothing more can arrive. Every message was decrypted with its
    # device's key and its VAPID token verified; none was refused.
    messages = _ours(push_service, seeded)
    rejected = [r for r in messages if r.status != 201 or r.problems]
    assert not rejected, f"{len(rejected)} refused, first: {rejected[0].problems}"
    assert len(messages) == TOTAL

    by_token = Counter(r.token for r in messages)
    for user_id, device in seeded.devices.items():
        assert by_token[device.token] == PER_USER, (user_id, by_token[device.token])
        tags = Counter(r.payload["tag"] for r in messages if r.token == device.token and r.payload)
        # Each of the user's 20 notifications arrived once: none twice, none missing.
        assert tags == Counter(seeded.kinds[user_id]), user_id
    for message in messages:
        assert message.payload is not None
        assert message.payload["title"] == "Accord"
        assert message.payload["body"] == "Something new in your dynamic"
        assert message.headers["ttl"] == str(24 * 3600)
        assert message.claims is not None
        assert message.claims["aud"] == push_service.origin

    # Both workers signed with the one shared key.
    assert len({r.vapid_key for r in messages}) == 1

    # In the database: every reminder sent once, with its time; every device's success recorded.
    async with app.state.db.engine.connect() as conn:
        rows = (
            await conn.execute(
                select(REMINDERS_T.c.state, REMINDERS_T.c.sent_at, REMINDERS_T.c.outcome)
            )
        ).all()
        assert len(rows) == TOTAL
        assert all(state == "sent" and sent_at is not None for state, sent_at, _ in rows)
        subscriptions = (
            await conn.execute(
                select(SUBSCRIPTIONS_T.c.failure_count, SUBSCRIPTIONS_T.c.last_success_at)
            )
        ).all()
        assert len(subscriptions) == USERS
        assert all(failures == 0 and last is not None for failures, last in subscriptions)

    # Both workers did part of the work. httpx logs one line per request at INFO (origin only):
    # each worker's count of them is what it pushed. No retries happened (every answer was 201),
    # so the two counts add up to exactly the 5,000 messages.
    shares = {w.name: w.pushes() for w in workers}
    assert sum(shares.values()) == TOTAL, shares
    assert all(n > 0 for n in shares.values()), f"one worker did all the work: {shares}"
    print(f"\n{TOTAL} reminders delivered by {WORKERS} workers in {elapsed:.1f}s: {shares}")
