"""The spine benchmark: Accord's hot paths next to a plain FastAPI peer, under ``wrk``.

``make bench`` (or ``.venv/bin/python -m bench.spine [--quick] [--db sqlite|postgresql|both]``).

For each database it builds a fresh schema with ``alembic upgrade head``, starts the app the way
``make run`` does (one uvicorn worker, ``--factory app.main:create_app``, production argon2
settings, ``HOUSEKEEPING=0``) and, next to it, the baselines of ``bench.bare`` on the same
database and secret: ``/bare`` (a route and nothing else) and ``/peer`` (what a plain app does for
a signed-in read: verify the JWT, one SELECT by key, a pydantic answer). It seeds a pair with a
few days of check-ins, then drives each endpoint with ``wrk`` (1 thread, 32 connections; the
check-in create once more with 8, the SQLite writers' goal) for a warm-up and a measured run.
Each row is given as a ratio to the peer's throughput, p50 and p99 measured right before it, with
the goal of issue *Cost per request* it is held to and whether this run met it. All traffic goes
to 127.0.0.1. The machine is small, shared and noisy: trust the ratios and the server CPU per
request over the absolute numbers.

Exits non-zero only on errors (a non-2xx answer, a socket error, a database that could not be
benchmarked); a missed goal is printed, not failed.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

from app.core.config import Settings
from bench import wrk
from bench.common import (
    PASSWORD,
    Pair,
    Server,
    Timing,
    app_on_fresh_database,
    base_env,
    expect,
    log,
    maybe,
    process_cpu_seconds,
    seed_pair,
    serving,
    table,
)

FULL = Timing(duration=10.0, warmup=2.0, concurrency=32)
QUICK = Timing(duration=3.0, warmup=1.0, concurrency=32)
# The writers of the SQLite goal: check-in p99 under this many at once.
WRITERS = 8
SEEDED_CHECKINS = 24
# The goals of issue *Cost per request*, as a share of the peer's throughput.
GOALS = {"today": 0.5, "dynamics": 0.5, "balance": 0.3, "check-in create": 0.3}
READ_P99_GOAL = 2.5  # x the peer's p99
WRITER_P99_GOAL_MS = 100.0


@dataclass(frozen=True)
class Measured:
    database: str
    name: str
    endpoint: str
    connections: int
    load: wrk.Load
    server_cpu_s: float | None

    @property
    def cpu_ms_per_request(self) -> float | None:
        if self.server_cpu_s is None or not self.load.requests:
            return None
        return self.server_cpu_s * 1000 / self.load.requests


@dataclass
class Block:
    database: str
    rows: list[Measured] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failure: str | None = None

    def row(self, name: str) -> Measured | None:
        return next((r for r in self.rows if r.name == name), None)


def measure_wrk(
    timing: Timing,
    server: Server,
    path: str,
    *,
    connections: int | None = None,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
    unique_header: str | None = None,
) -> tuple[wrk.Load, float | None]:
    """A warm-up run, then the measured one: its figures and the server's CPU seconds in it."""
    conns = connections or timing.concurrency
    options = {
        "connections": conns,
        "method": method,
        "body": body,
        "headers": headers,
        "unique_header": unique_header,
    }
    wrk.run(server.base_url + path, seconds=timing.warmup, **options)  # type: ignore[arg-type]
    before = process_cpu_seconds(server.process.pid)
    load = wrk.run(server.base_url + path, seconds=timing.duration, **options)  # type: ignore[arg-type]
    after = process_cpu_seconds(server.process.pid)
    cpu = None if before is None or after is None else after - before
    return load, cpu


def checkin_body(i: int) -> str:
    return json.dumps(
        {
            "mood": 1 + i % 5,
            "energy": 1 + (i * 3) % 5,
            "gave": 3,
            "received": 1 + i % 5,
            "deal": i % 3 - 1,
            "needs": ["rest"] if i % 4 == 0 else [],
        }
    )


def seed_checkins(base_url: str, pair: Pair) -> None:
    """A few days of check-ins from both, so that today and balance have something to show."""
    with httpx.Client(base_url=base_url, timeout=30.0, trust_env=False) as client:
        for i in range(SEEDED_CHECKINS):
            member = pair.members[i % 2]
            expect(
                client.post(
                    f"/api/dynamics/{pair.dynamic_id}/checkins",
                    content=checkin_body(i),
                    headers=member.headers | {"Content-Type": "application/json"},
                ),
                201,
            )


def bench_database(kind: str, timing: Timing, work: Path, only: str | None = None) -> Block:
    block = Block(kind)
    secret = secrets.token_urlsafe(32)
    try:
        with app_on_fresh_database(kind, work, {"SECRET_KEY": secret}) as (url, app):
            peer_env = base_env() | {"PEER_DATABASE_URL": url, "PEER_SECRET_KEY": secret}
            peer_log = work / f"peer-{kind}.log"
            with serving("peer", "bench.bare:create_app", peer_env, peer_log, "/bare") as peer:
                log(f"{kind}: app on {app.base_url}, peer on {peer.base_url}; seeding")
                pair = seed_pair(app.base_url, 3)
                seed_checkins(app.base_url, pair)
                alice = pair.members[0]
                dyn = f"/api/dynamics/{pair.dynamic_id}"
                checkin = checkin_body(0)
                plan: list[tuple[str, Server, str, dict[str, Any]]] = [
                    ("bare", peer, "/bare", {}),
                    ("peer", peer, "/peer", {"headers": alice.headers}),
                    ("today", app, f"{dyn}/today", {"headers": alice.headers}),
                    ("dynamics", app, "/api/dynamics", {"headers": alice.headers}),
                    ("balance", app, f"{dyn}/balance?days=28", {"headers": alice.headers}),
                    (
                        "check-in create",
                        app,
                        f"{dyn}/checkins",
                        {
                            "method": "POST",
                            "body": checkin,
                            "headers": alice.headers,
                            "unique_header": "Idempotency-Key",
                        },
                    ),
                    (
                        f"check-in create, {WRITERS} writers",
                        app,
                        f"{dyn}/checkins",
                        {
                            "method": "POST",
                            "body": checkin,
                            "headers": alice.headers,
                            "unique_header": "Idempotency-Key",
                            "connections": WRITERS,
                        },
                    ),
                ]
                for name, server, path, options in plan:
                    if only and name not in ("bare", "peer") and only not in name:
                        continue
                    log(f"{kind}: {name} ({path})")
                    load, cpu = measure_wrk(timing, server, path, **options)
                    conns = options.get("connections", timing.concurrency)
                    method = options.get("method", "GET")
                    endpoint = f"{method} {path.replace(str(pair.dynamic_id), '{id}')}"
                    block.rows.append(Measured(kind, name, endpoint, conns, load, cpu))
                block.notes += [f"peer log: {finding}" for finding in peer.log_findings()]
            block.notes += [f"app log: {finding}" for finding in app.log_findings()]
    except Exception as exc:
        block.failure = f"{type(exc).__name__}: {exc}"
        log(f"{kind}: FAILED: {block.failure}")
    return block


# --- reporting ------------------------------------------------------------------------------


def argon2_verify_ms(samples: int = 3) -> float:
    """How long one password check takes here with the app's default argon2 parameters."""
    from argon2 import PasswordHasher

    defaults = Settings(data_dir=Path(), database_url="", secret_key="")
    hasher = PasswordHasher(
        time_cost=defaults.argon2_time_cost,
        memory_cost=defaults.argon2_memory_kib,
        parallelism=defaults.argon2_parallelism,
    )
    stored = hasher.hash(PASSWORD)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        hasher.verify(stored, PASSWORD)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def goal_of(block: Block, row: Measured) -> tuple[str, bool | None]:
    """The goal this row is held to, spelled out, and whether this run met it."""
    peer = block.row("peer")
    if row.name in GOALS and peer is not None and peer.load.rps:
        share = GOALS[row.name]
        met = row.load.rps / peer.load.rps >= share
        if row.name in ("today", "dynamics", "balance"):
            met = met and row.load.p99_ms <= READ_P99_GOAL * peer.load.p99_ms
            return f">= {share}x req/s, p99 <= {READ_P99_GOAL}x", met
        return f">= {share}x req/s", met
    if row.name.endswith(f"{WRITERS} writers") and row.database == "sqlite":
        return f"p99 < {WRITER_P99_GOAL_MS:.0f} ms", row.load.p99_ms < WRITER_P99_GOAL_MS
    return "", None


def render(blocks: list[Block]) -> str:
    header = (
        "database",
        "endpoint",
        "conns",
        "requests",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "req/s vs peer",
        "p50 vs peer",
        "p99 vs peer",
        "srv CPU ms/req",
        "goal",
        "met",
    )
    lines: list[tuple[str, ...]] = []
    for block in blocks:
        peer = block.row("peer")
        for row in block.rows:
            load = row.load

            def ratio(value: float, base: float | None) -> str:
                return f"{value / base:.2f}x" if base else "n/a"

            goal, met = goal_of(block, row)
            lines.append(
                (
                    row.database,
                    f"{row.name}: {row.endpoint}",
                    str(row.connections),
                    str(load.requests),
                    f"{load.rps:.0f}",
                    f"{load.p50_ms:.1f}",
                    f"{load.p99_ms:.1f}",
                    str(load.errors),
                    ratio(load.rps, peer.load.rps if peer else None),
                    ratio(load.p50_ms, peer.load.p50_ms if peer else None),
                    ratio(load.p99_ms, peer.load.p99_ms if peer else None),
                    maybe(row.cpu_ms_per_request, "{:.2f}"),
                    goal,
                    "" if met is None else ("yes" if met else "NO"),
                )
            )
        if block.failure:
            lines.append((block.database, "FAILED", *[""] * (len(header) - 2)))
    return table(header, lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spine", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--connections", type=int, default=None, help="override (32)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per endpoint")
    parser.add_argument("--only", default=None, help="only the rows whose name has this text")
    args = parser.parse_args(argv)
    if not wrk.available():
        log("wrk is missing: `make bench` installs it (apt-get install wrk)")
        return 2
    timing = QUICK if args.quick else FULL
    if args.connections is not None:
        timing = replace(timing, concurrency=max(1, args.connections))
    if args.duration is not None:
        timing = replace(timing, duration=min(max(args.duration, 1.0), 120.0))
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]

    argon2_ms = argon2_verify_ms()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
        blocks = [bench_database(kind, timing, Path(tmp), args.only) for kind in kinds]
    load_after = os.getloadavg()

    cpus = os.cpu_count() or 1
    print()
    print(
        f"Accord spine benchmark: wrk, {timing.concurrency} connections ({WRITERS} for the "
        f"writers' row), {timing.duration:g}s per endpoint after {timing.warmup:g}s warm-up; "
        f"one uvicorn worker each; {cpus} CPUs; load average {load_before[0]:.2f} before, "
        f"{load_after[0]:.2f} after"
    )
    print(
        f"argon2id defaults verify in ~{argon2_ms:.0f} ms here: a CPU-bound login ceiling of "
        f"~{cpus * 1000 / argon2_ms:.1f} req/s on {cpus} cores, ~{1000 / argon2_ms:.1f} on one"
    )
    print()
    print(render(blocks))
    print()
    print(
        "peer = GET /peer (bench/bare.py): pyjwt HS256 verify, one SELECT by primary key through "
        "SQLAlchemy's async session, a pydantic response,\non the same database and uvicorn. "
        "srv CPU = the server process (all threads) over the measured run, per request."
    )
    errors = 0
    for block in blocks:
        for row in block.rows:
            errors += row.load.errors
            if row.load.errors:
                print(f"! {row.database} {row.name}: {row.load.errors} errors")
        for note in block.notes:
            print(f"! {block.database}: {note}")
        if block.failure:
            print(f"! {block.database}: not benchmarked: {block.failure}")
    failed = errors > 0 or any(b.failure for b in blocks)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
