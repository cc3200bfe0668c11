"""The reminder workers' throughput: due reminders pushed per second by one and by two workers.

``make bench-reminders`` (or ``.venv/bin/python -m bench.reminders [--quick] [--reminders N]``).

On a fresh PostgreSQL database (``alembic upgrade head``, dropped at the end), for one and then
for two worker processes (``python -m app.worker --interval 0.2``, as a deployment
runs them, sharing one VAPID key):

1. the workers are started on empty tables and given time to finish a first (empty) round;
2. N due reminders of kind ``notification`` are bulk-inserted in one transaction (SQLAlchemy
   Core, the app's own tables): N/20 users, each with one push subscription and 20
   notifications, each with its reminder due a few seconds ago (what ``notify(...)`` queues);
3. the clock runs from that commit until every reminder is ``sent`` and the push service has
   received N messages; then the workers get SIGTERM and must exit 0.

The push service is ``tests.push_service.PushService``, the suite's own: a uvicorn server in a
thread of this process on 127.0.0.1 that decrypts every message with its device's key and
verifies every VAPID token. Its work (one ECDH, one AES-GCM decryption and one ES256
verification per message) is therefore part of what the machine does during the measurement:
it runs on the same CPUs as the workers and PostgreSQL, as the figure's ``push svc CPU`` shows.
Each round checks exactly-once delivery: every device got its 20 messages, every message was
accepted (201), and the total is N.

A bare FastAPI app (``bench.bare``) driven by ``bench.load`` is measured before each run and
after the last, to show how fast the machine was at that moment; each run is also given as
reminders/s per bare req/s (the mean of the baselines either side of it), and with how busy the
whole machine was meanwhile (``/proc/stat``) next to the share of it that the workers and this
process used (the rest is PostgreSQL and anything else running). Quote the ratios rather than
the absolute numbers: the machine is small and shared.

Exits non-zero if a round did not finish in time, a message was refused or missing or arrived
twice, or a worker crashed, failed to stop or logged a warning or an error. Everything runs on
127.0.0.1; the database, the processes and the temporary directory are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

import app.models  # noqa: F401  (every table in the metadata)
from app.core.db import metadata
from bench.common import (
    ROOT,
    Server,
    Timing,
    base_env,
    database,
    log,
    measure,
    migrate,
    process_cpu_seconds,
    serving,
    table,
)
from bench.load import Result
from tests.push_service import FakeDevice, PushService, b64url

FULL = 5_000
QUICK = 1_000
PER_USER = 20
WORKER_COUNTS = (1, 2)
INTERVAL = 0.2  # seconds between a worker's rounds (--interval)
BARE_FULL = Timing(duration=4.0, warmup=1.0, concurrency=8)
BARE_QUICK = Timing(duration=2.0, warmup=0.5, concurrency=8)
READY_SECONDS = 60.0
STOP_SECONDS = 30.0

USERS_T = metadata.tables["users"]
SUBSCRIPTIONS_T = metadata.tables["push_subscriptions"]
NOTIFICATIONS_T = metadata.tables["notifications"]
REMINDERS_T = metadata.tables["reminders"]
SEEDED_TABLES = ("reminders", "notifications", "push_subscriptions", "users")

# Proxies would take the pushes off loopback; the rest the benchmark sets itself.
_WORKER_SCRUBBED = {
    "VAPID_PRIVATE_KEY",
    "VAPID_SUBJECT",
    "PUSH_ALLOW_INSECURE_ENDPOINTS",
    "HOUSEKEEPING",
    "DISPATCHER",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
}
# httpx logs one line per request at INFO (origin only, the sender redacts the path): a
# worker's count of them is how many pushes it sent.
_PUSH_LINE = "HTTP Request: POST http://127.0.0.1:"
_BAD_MARKERS = (" ERROR ", " WARNING ", " CRITICAL ", "Traceback")


def worker_command() -> list[str]:
    return [sys.executable, "-m", "app.worker", "--interval", str(INTERVAL)]


# --- workers --------------------------------------------------------------------------------


@dataclass
class Worker:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()

    def pushes(self) -> int:
        return sum(_PUSH_LINE in line for line in self.lines())

    def problems(self) -> list[str]:
        return [line for line in self.lines() if any(m in line for m in _BAD_MARKERS)]

    def cpu(self) -> float:
        return process_cpu_seconds(self.process.pid) or 0.0


@contextlib.contextmanager
def running_workers(
    count: int, env: dict[str, str], work: Path, tag: str
) -> Iterator[list[Worker]]:
    """``count`` worker processes; none of them outlives the block."""
    workers: list[Worker] = []
    try:
        for i in range(1, count + 1):
            log_path = work / f"{tag}-worker{i}.log"
            with log_path.open("wb") as out:
                process = subprocess.Popen(
                    worker_command(), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
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


def stop_workers(workers: list[Worker]) -> list[str]:
    """SIGTERM, then wait: what went wrong (a worker still running, a non-zero exit)."""
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGTERM)
    failures = []
    for worker in workers:
        try:
            code = worker.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            failures.append(f"{worker.name} still running {STOP_SECONDS:.0f}s after SIGTERM")
            continue
        if code != 0:
            failures.append(f"{worker.name} exited with {code}")
    return failures


def _asyncpg_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _backends(url: str) -> int:
    """Connections to the database other than this one: the workers' pools."""
    conn = await asyncpg.connect(_asyncpg_url(url), timeout=10)
    try:
        found = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
            "AND backend_type = 'client backend'"
        )
        return int(found or 0)
    finally:
        await conn.close()


def wait_ready(workers: list[Worker], url: str) -> None:
    """Until each worker holds a database connection (it finished a first, empty round) and a
    few more rounds went by; raises if one exits meanwhile."""
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        crashed = [w for w in workers if w.process.poll() is not None]
        if crashed:
            raise RuntimeError(
                f"{crashed[0].name} exited with {crashed[0].process.returncode}: "
                + " | ".join(crashed[0].lines()[-5:])
            )
        if asyncio.run(_backends(url)) >= len(workers):
            time.sleep(3 * INTERVAL)
            return
        time.sleep(0.1)
    raise RuntimeError(f"workers not ready after {READY_SECONDS:.0f}s")


# --- seeding --------------------------------------------------------------------------------


def _vapid_private_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@dataclass(frozen=True)
class Seed:
    users: list[dict[str, Any]]
    subscriptions: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    reminders: list[dict[str, Any]]
    devices: list[FakeDevice]


def build_seed(push_service: PushService, reminders: int) -> Seed:
    """The rows for ``reminders`` due reminders, 20 per user, each user with one new device."""
    now = datetime.now(UTC)
    due = now - timedelta(seconds=5)
    seed = Seed([], [], [], [], [])
    users = -(-reminders // PER_USER)
    left = reminders
    for i in range(users):
        user_id = uuid.uuid4()
        device = push_service.new_device()
        seed.devices.append(device)
        seed.users.append(
            {
                "id": user_id,
                "email": f"bench-{i}-{user_id.hex[:8]}@example.org",
                "password_hash": "not-a-hash",
                "display_name": f"User {i}",
                "timezone": "UTC",
                "discreet_notifications": i % 2 == 0,  # half discreet, half not
                "push_inbox": True,
                "created_at": now,
                "updated_at": now,
                "password_changed_at": now,
            }
        )
        seed.subscriptions.append(
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
        for _ in range(min(PER_USER, left)):
            left -= 1
            notification_id = uuid.uuid4()
            seed.notifications.append(
                {
                    "id": notification_id,
                    "user_id": user_id,
                    "kind": "nudge",
                    "data": {},
                    "created_at": now,
                }
            )
            seed.reminders.append(
                {
                    "id": uuid.uuid4(),
                    "key": f"notification:{notification_id}",
                    "kind": "notification",
                    "user_id": user_id,
                    "notification_id": notification_id,
                    "scheduled_for": due,
                    "due_at": due,
                    "state": "pending",
                    "created_at": now,
                }
            )
    return seed


async def _empty(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {', '.join(SEEDED_TABLES)} CASCADE"))
    finally:
        await engine.dispose()


async def _insert(url: str, seed: Seed) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(USERS_T.insert(), seed.users)
            await conn.execute(SUBSCRIPTIONS_T.insert(), seed.subscriptions)
            await conn.execute(NOTIFICATIONS_T.insert(), seed.notifications)
            await conn.execute(REMINDERS_T.insert(), seed.reminders)
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()


# --- one round ------------------------------------------------------------------------------


@dataclass
class Round:
    workers: int
    reminders: int
    seconds: float = 0.0
    worker_cpu_s: float = 0.0
    push_service_cpu_s: float = 0.0
    shares: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    machine_busy_pct: float | None = None  # all CPUs, every process on the machine
    ours_pct: float | None = None  # the workers and this process, of all CPUs

    @property
    def rate(self) -> float:
        return self.reminders / self.seconds if self.seconds else 0.0


def system_cpu() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs since boot (Linux ``/proc/stat``), or None."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


async def _watch(
    url: str, push_service: PushService, tokens: set[str], expected: int, limit: float
) -> tuple[float, Counter[str], int]:
    """Poll until every reminder is sent and every push arrived: (seconds, states, received)."""
    engine = create_async_engine(url, pool_size=1)
    started = time.perf_counter()
    states: Counter[str] = Counter()
    received = 0
    try:
        while True:
            received = sum(r.token in tokens for r in push_service.received())
            async with engine.connect() as conn:
                rows = await conn.execute(
                    select(REMINDERS_T.c.state, func.count()).group_by(REMINDERS_T.c.state)
                )
                states = Counter({str(state): int(n) for state, n in rows})
            elapsed = time.perf_counter() - started
            if (states["sent"] == expected and received >= expected) or elapsed > limit:
                return elapsed, states, received
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()


def run_round(
    count: int,
    reminders: int,
    url: str,
    env: dict[str, str],
    push_service: PushService,
    work: Path,
    limit: float,
) -> Round:
    outcome = Round(count, reminders)
    asyncio.run(_empty(url))
    push_service.reset()
    seed = build_seed(push_service, reminders)
    tokens = {d.token for d in seed.devices}
    with running_workers(count, env, work, f"w{count}") as workers:
        log(f"{count} worker(s): starting, waiting for their first round")
        wait_ready(workers, url)
        cpu_before = sum(w.cpu() for w in workers)
        service_before = time.process_time()
        machine_before = system_cpu()
        log(f"{count} worker(s): inserting {reminders:,} due reminders")
        asyncio.run(_insert(url, seed))
        # The clock starts at the commit: from then on the workers can see them.
        seconds, states, received = asyncio.run(_watch(url, push_service, tokens, reminders, limit))
        outcome.seconds = seconds
        outcome.worker_cpu_s = sum(w.cpu() for w in workers) - cpu_before
        outcome.push_service_cpu_s = time.process_time() - service_before
        machine_after = system_cpu()
        if machine_before and machine_after and machine_after[1] > machine_before[1]:
            busy = machine_after[0] - machine_before[0]
            total = machine_after[1] - machine_before[1]
            outcome.machine_busy_pct = 100 * busy / total
            cpus = os.cpu_count() or 1
            ours = outcome.worker_cpu_s + outcome.push_service_cpu_s
            outcome.ours_pct = 100 * ours / (seconds * cpus) if seconds else None
        crashed = [w.name for w in workers if w.process.poll() is not None]
        outcome.problems += [f"{name} exited during the round" for name in crashed]
        outcome.problems += stop_workers(workers)
        for worker in workers:
            outcome.problems += [f"{worker.name}: {line}" for line in worker.problems()[:5]]
        outcome.shares = [w.pushes() for w in workers]

    if states["sent"] != reminders or received < reminders:
        outcome.problems.append(
            f"not done after {limit:.0f}s: reminders {dict(states)}, {received:,} received"
        )
    messages = [r for r in push_service.received() if r.token in tokens]
    refused = [r for r in messages if r.status != 201 or r.problems]
    if refused:
        outcome.problems.append(f"{len(refused)} refused, first: {refused[0].problems}")
    if len(messages) != reminders:
        outcome.problems.append(f"{len(messages):,} messages for {reminders:,} reminders")
    per_device = Counter(r.token for r in messages)
    wrong = [
        d.token
        for d, rows in zip(seed.devices, _per_user(seed), strict=True)
        if per_device[d.token] != rows
    ]
    if wrong:
        outcome.problems.append(f"{len(wrong)} devices got a wrong number of messages")
    return outcome


def _per_user(seed: Seed) -> list[int]:
    counts = Counter(r["user_id"] for r in seed.reminders)
    return [counts[u["id"]] for u in seed.users]


# --- reporting ------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}%"


def render(rounds: list[Round], bare: list[Result]) -> str:
    """Each run between the bare baselines measured right before and after it."""
    header = (
        "run",
        "reminders",
        "seconds",
        "reminders/s",
        "vs 1 worker",
        "per bare req/s",
        "worker CPU ms/rem",
        "push svc CPU ms/msg",
        "machine busy",
        "ours",
        "pushes per worker",
        "problems",
    )
    one = next((r.rate for r in rounds if r.workers == 1), 0.0)
    lines: list[tuple[str, ...]] = []

    def bare_line(result: Result) -> tuple[str, ...]:
        return (
            "bare GET /bare",
            f"{result.ok:,} req",
            f"{result.elapsed_s:.1f}",
            f"{result.rps:.1f} req/s",
            "",
            "",
            "",
            "",
            "",
            "",
            f"p50 {result.p50_ms:.1f} ms",
            str(result.errors + result.warmup_errors),
        )

    for i, r in enumerate(rounds):
        if i < len(bare):
            lines.append(bare_line(bare[i]))
        around = [b.rps for b in bare[i : i + 2]]
        per_bare = r.rate / (sum(around) / len(around)) if around and all(around) else None
        lines.append(
            (
                f"{r.workers} worker{'s' if r.workers > 1 else ''}",
                f"{r.reminders:,}",
                f"{r.seconds:.1f}",
                f"{r.rate:.1f}",
                f"{r.rate / one:.2f}x" if one else "n/a",
                "n/a" if per_bare is None else f"{per_bare:.4f}",
                f"{1000 * r.worker_cpu_s / r.reminders:.1f}",
                f"{1000 * r.push_service_cpu_s / r.reminders:.1f}",
                _pct(r.machine_busy_pct),
                _pct(r.ours_pct),
                " + ".join(f"{n:,}" for n in r.shares),
                str(len(r.problems)),
            )
        )
    for result in bare[len(rounds) :]:
        lines.append(bare_line(result))
    return table(header, lines, text_columns=1)


def measure_bare(timing: Timing, server: Server, name: str) -> Result:
    log(f"bare baseline ({name})")
    result, _ = measure(timing, server, "/bare")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reminders", description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} reminders (a smoke test)")
    parser.add_argument(
        "--reminders",
        type=int,
        default=None,
        help=f"due reminders per run (default {FULL:,}; 100 to 50,000)",
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="the longest one run may take, seconds"
    )
    args = parser.parse_args(argv)
    reminders = args.reminders if args.reminders is not None else QUICK if args.quick else FULL
    reminders = min(max(reminders, 100), 50_000)
    limit = min(max(args.timeout, 10.0), 3600.0)
    bare_timing = BARE_QUICK if args.quick else BARE_FULL

    load_before = os.getloadavg()
    rounds: list[Round] = []
    bare: list[Result] = []
    failure: str | None = None
    push_service = PushService()
    with tempfile.TemporaryDirectory(prefix="accord-bench-reminders-") as tmp:
        work = Path(tmp)
        data_dir = work / "data"
        data_dir.mkdir(mode=0o700)
        push_service.start()
        try:
            with serving(
                "bare", "bench.bare:create_app", base_env(), work / "bare.log", "/bare"
            ) as s:
                with database("postgresql", data_dir) as url:
                    env = base_env() | {
                        "DATABASE_URL": url,
                        "DATA_DIR": str(data_dir),
                        "HOUSEKEEPING": "0",
                    }
                    log("alembic upgrade head")
                    migrate(env)
                    env = {k: v for k, v in env.items() if k.upper() not in _WORKER_SCRUBBED}
                    env |= {
                        "SECRET_KEY": "bench-reminders-" + "x" * 40,
                        "VAPID_PRIVATE_KEY": _vapid_private_pem(),  # shared by all workers
                        "VAPID_SUBJECT": "mailto:bench@example.org",
                        "PUSH_ALLOW_INSECURE_ENDPOINTS": "1",
                        "HOUSEKEEPING": "0",
                    }
                    for count in WORKER_COUNTS:
                        bare.append(measure_bare(bare_timing, s, f"before {count} worker(s)"))
                        done = run_round(count, reminders, url, env, push_service, work, limit)
                        rounds.append(done)
                        log(f"{count} worker(s): {done.rate:.1f} reminders/s")
                        if done.problems:
                            break
                bare.append(measure_bare(bare_timing, s, "after the last run"))
        except Exception as exc:
            failure = f"{type(exc).__name__}: {exc}"
            log(f"FAILED: {failure}")
        finally:
            push_service.stop()
    load_after = os.getloadavg()

    print()
    print(
        f"Accord reminder workers: {reminders:,} due notification reminders per run "
        f"({PER_USER} per user, one device each, half of them discreet), PostgreSQL, "
        f"worker --interval {INTERVAL:g}; {os.cpu_count() or 1} CPUs; load average "
        f"{load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    print()
    print(render(rounds, bare))
    print()
    by_count = {r.workers: r.rate for r in rounds}
    if by_count.get(1) and by_count.get(2):
        print(f"2 workers / 1 worker: {by_count[2] / by_count[1]:.2f}x reminders per second")
    print(
        "seconds = from the commit of the due reminders to the last reminder sent and the last "
        "push received. per bare req/s = reminders/s over the mean of the bare rows either side."
        "\nworker CPU = all workers' processes, all threads, during that time. push svc CPU = "
        "this process (the push service's thread decrypting and verifying, and the polling)."
        "\nmachine busy = all CPUs, every process; ours = the workers and this process, of all "
        "CPUs (the difference is PostgreSQL and whatever else ran meanwhile)."
    )
    for r in rounds:
        for problem in r.problems:
            print(f"! {r.workers} worker(s): {problem}")
    if failure:
        print(f"! not benchmarked: {failure}")
    failed = failure is not None or any(r.problems for r in rounds) or len(rounds) < 2
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
