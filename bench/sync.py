"""The sync benchmark: a full feed catch-up over a real change log, and an outbox replayed.

``.venv/bin/python -m bench.sync [--quick] [--db sqlite|postgresql|both] [--changes N]
[--outbox N] [--concurrency N]``

For each database it builds a fresh schema with ``alembic upgrade head``, starts the app the way
``make run`` does (uvicorn, ``--factory app.main:create_app``, ``HOUSEKEEPING=0``), registers
two users through the API and pairs them, then:

- **seed**: ``--changes`` check-ins (default 10,000) through ``POST /api/dynamics/{id}/checkins``,
  alternately by each member, each with a fresh ``Idempotency-Key``, at most ``--concurrency``
  in flight. Every one is a real change in the dynamic's stream (plus a notification in the
  partner's), written by the app's own code: nothing is inserted behind its back.
- **catch-up**: ``GET /api/sync?limit=500`` from an empty cursor until ``has_more`` is false, as
  a freshly installed client does: pages, total time, changes per second, and each page's
  latency. It is checked: every seeded check-in arrives exactly once.
- **outbox**: ``--outbox`` check-ins (default 1,000), each with its own ``Idempotency-Key``,
  sent twice with the same bytes: the first pass creates (201), the second replays (201 with
  ``Idempotent-Replayed: true`` and the first body, byte for byte). Throughput, p50 and p99 of
  both passes. It is checked: the feed then holds exactly ``--outbox`` new check-ins.

The bare FastAPI baseline (``bench.bare`` driven by ``bench.load``) is measured right before each
database's rows, and the table gives every row as a ratio to it. The seed, catch-up and outbox
requests come from this process (an httpx client, on uvloop when available), the baseline from
``bench.load`` at the same concurrency. Loopback only; the data directory, the PostgreSQL
database and the servers are removed at the end. Exits non-zero on any unexpected answer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    Member,
    Server,
    Timing,
    app_on_fresh_database,
    base_env,
    log,
    maybe,
    measure,
    process_cpu_seconds,
    seed_pair,
    serving,
    table,
)
from bench.load import Result, percentile

FULL_CHANGES = 10_000
FULL_OUTBOX = 1_000
QUICK_CHANGES = 1_000
QUICK_OUTBOX = 200
PAGE_LIMIT = 500
CONCURRENCY = 16
REQUEST_TIMEOUT = 60.0
# Every phase is bounded: past this, the run is a failure rather than a hang.
PHASE_TIMEOUT = 900.0
FULL_BARE = Timing(duration=5.0, warmup=1.0, concurrency=CONCURRENCY)
QUICK_BARE = Timing(duration=2.0, warmup=0.5, concurrency=CONCURRENCY)

BARE = "GET /bare (bench.load)"
SEED = "seed: POST checkins"
CATCH_UP = f"catch-up: GET sync limit={PAGE_LIMIT}"
CREATE = "outbox pass 1: create"
REPLAY = "outbox pass 2: replay"
OUTBOX_NOTE = "queued offline"


@dataclass
class Phase:
    """One measured phase: its latencies (seconds), wall time, errors and server CPU."""

    name: str
    latencies: list[float] = field(default_factory=list)
    elapsed_s: float = 0.0
    errors: Counter[str] = field(default_factory=Counter)
    server_cpu_s: float | None = None
    client_cpu_s: float = 0.0
    items: int = 0  # what the phase moved: requests, or changes for the catch-up
    detail: str = ""

    @property
    def requests(self) -> int:
        return len(self.latencies) + sum(self.errors.values())

    @property
    def rate(self) -> float:
        return self.items / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def pct_ms(self, pct: float) -> float:
        return percentile(sorted(self.latencies), pct) * 1000

    @property
    def server_ms_per_request(self) -> float | None:
        if self.server_cpu_s is None or not self.requests:
            return None
        return self.server_cpu_s * 1000 / self.requests


@dataclass
class SyncSection:
    database: str
    bare: Result | None = None
    phases: list[Phase] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failure: str | None = None

    @property
    def errors(self) -> int:
        return sum(sum(p.errors.values()) for p in self.phases)


@dataclass(frozen=True)
class Options:
    changes: int
    outbox: int
    concurrency: int
    bare_timing: Timing


# --- driving the API ------------------------------------------------------------------------


async def pool(count: int, concurrency: int, job: Callable[[int], Awaitable[None]]) -> None:
    """Run ``job(0..count-1)`` with at most ``concurrency`` in flight."""
    numbers = iter(range(count))

    async def worker() -> None:
        for number in numbers:
            await job(number)

    await asyncio.wait_for(
        asyncio.gather(*(worker() for _ in range(concurrency))), timeout=PHASE_TIMEOUT
    )


@contextlib.contextmanager
def measuring(phase: Phase, server: Server) -> Iterator[Phase]:
    cpu_before = process_cpu_seconds(server.process.pid)
    client_before = time.process_time()
    started = time.perf_counter()
    try:
        yield phase
    finally:
        phase.elapsed_s = time.perf_counter() - started
        phase.client_cpu_s = time.process_time() - client_before
        cpu_after = process_cpu_seconds(server.process.pid)
        if cpu_before is not None and cpu_after is not None:
            phase.server_cpu_s = cpu_after - cpu_before


def checkin_body(number: int, note: str = "seeded") -> bytes:
    body = {
        "mood": number % 5 + 1,
        "energy": (number // 5) % 5 + 1,
        "needs": [("talk", "rest", "praise", "space")[number % 4]],
        "note": f"{note} {number}",
    }
    return json.dumps(body).encode()


async def seed_checkins(
    client: httpx.AsyncClient,
    server: Server,
    members: list[Member],
    dynamic: uuid.UUID,
    n: int,
    concurrency: int,
) -> Phase:
    phase = Phase(SEED, items=n)
    path = f"/api/dynamics/{dynamic}/checkins"

    async def job(number: int) -> None:
        member = members[number % 2]
        headers = member.headers | {
            "Content-Type": "application/json",
            "Idempotency-Key": str(uuid.uuid4()),
        }
        started = time.perf_counter()
        try:
            response = await client.post(path, content=checkin_body(number), headers=headers)
        except httpx.HTTPError as exc:
            phase.errors[type(exc).__name__] += 1
            return
        if response.status_code == 201:
            phase.latencies.append(time.perf_counter() - started)
        else:
            phase.errors[f"HTTP {response.status_code}"] += 1

    with measuring(phase, server):
        await pool(n, concurrency, job)
    return phase


async def catch_up(
    client: httpx.AsyncClient, server: Server, member: Member, cursor: str | None = None
) -> tuple[Phase, list[dict[str, Any]], str]:
    """Every page from ``cursor`` (empty: from the start) until ``has_more`` is false."""
    phase = Phase(CATCH_UP)
    changes: list[dict[str, Any]] = []
    pages = 0
    with measuring(phase, server):
        while True:
            params = {"limit": str(PAGE_LIMIT)} | ({"cursor": cursor} if cursor else {})
            started = time.perf_counter()
            response = await client.get("/api/sync", params=params, headers=member.headers)
            if response.status_code != 200:
                phase.errors[f"HTTP {response.status_code}"] += 1
                raise RuntimeError(f"GET /api/sync: {response.status_code} {response.text[:300]}")
            page = response.json()
            phase.latencies.append(time.perf_counter() - started)
            pages += 1
            changes += page["changes"]
            cursor = page["cursor"]
            if not page["has_more"]:
                break
            if pages > 100_000:
                raise RuntimeError("the feed never ended")
    phase.items = len(changes)
    phase.detail = f"{pages} pages"
    assert cursor is not None
    return phase, changes, cursor


async def outbox_pass(
    client: httpx.AsyncClient,
    server: Server,
    member: Member,
    dynamic: uuid.UUID,
    keys: list[str],
    first: dict[str, bytes] | None,
    concurrency: int,
) -> tuple[Phase, dict[str, bytes]]:
    """Send every queued check-in once; ``first`` holds the bodies of the creating pass (then
    every answer must be its replay)."""
    phase = Phase(REPLAY if first is not None else CREATE, items=len(keys))
    path = f"/api/dynamics/{dynamic}/checkins"
    answers: dict[str, bytes] = {}

    async def job(number: int) -> None:
        key = keys[number]
        headers = member.headers | {"Content-Type": "application/json", "Idempotency-Key": key}
        started = time.perf_counter()
        try:
            response = await client.post(
                path, content=checkin_body(number, OUTBOX_NOTE), headers=headers
            )
        except httpx.HTTPError as exc:
            phase.errors[type(exc).__name__] += 1
            return
        elapsed = time.perf_counter() - started
        replayed = response.headers.get("idempotent-replayed")
        if response.status_code != 201:
            phase.errors[f"HTTP {response.status_code}"] += 1
        elif first is None and replayed is not None:
            phase.errors["replayed on the first pass"] += 1
        elif first is not None and replayed != "true":
            phase.errors["not marked Idempotent-Replayed"] += 1
        elif first is not None and response.content != first.get(key):
            phase.errors["replay differs from the first answer"] += 1
        else:
            phase.latencies.append(elapsed)
            answers[key] = response.content

    with measuring(phase, server):
        await pool(len(keys), concurrency, job)
    return phase, answers


async def _run_api(section: SyncSection, server: Server, options: Options) -> None:
    pair = seed_pair(server.base_url, users=2)
    alice, bob = pair.members
    limits = httpx.Limits(
        max_connections=options.concurrency, max_keepalive_connections=options.concurrency
    )
    async with httpx.AsyncClient(
        base_url=server.base_url, timeout=REQUEST_TIMEOUT, limits=limits, trust_env=False
    ) as client:
        log(f"{section.database}: seeding {options.changes:,} check-ins through the API")
        seeded = await seed_checkins(
            client, server, [alice, bob], pair.dynamic_id, options.changes, options.concurrency
        )
        section.phases.append(seeded)

        log(f"{section.database}: catch-up from an empty cursor, limit={PAGE_LIMIT}")
        phase, changes, cursor = await catch_up(client, server, alice)
        checkins = Counter(c["id"] for c in changes if c["entity"] == "checkin")
        kinds = Counter(c["entity"] for c in changes)
        phase.detail += ", " + ", ".join(f"{n:,} {k}" for k, n in sorted(kinds.items()))
        section.phases.append(phase)
        if len(checkins) != len(seeded.latencies) or any(n != 1 for n in checkins.values()):
            phase.errors["check-ins missing or repeated in the feed"] += 1

        log(f"{section.database}: outbox of {options.outbox:,} check-ins, sent twice")
        keys = [str(uuid.uuid4()) for _ in range(options.outbox)]
        created, first = await outbox_pass(
            client, server, alice, pair.dynamic_id, keys, None, options.concurrency
        )
        replayed, _ = await outbox_pass(
            client, server, alice, pair.dynamic_id, keys, first, options.concurrency
        )
        section.phases += [created, replayed]
        # No duplicate: from the catch-up's cursor, the feed holds the outbox's check-ins once.
        _, after, _ = await catch_up(client, server, alice, cursor)
        notes = Counter(c["data"]["note"] for c in after if c["entity"] == "checkin")
        if len(notes) != options.outbox or set(notes.values()) != {1}:
            replayed.errors[
                f"{sum(notes.values())} new check-ins in the feed, not {options.outbox}"
            ] += 1


def run_api(section: SyncSection, server: Server, options: Options) -> None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        asyncio.run(_run_api(section, server, options))
    else:
        uvloop.run(_run_api(section, server, options))


def bench_database(kind: str, options: Options, bare: Server, work: Path) -> SyncSection:
    section = SyncSection(kind)
    try:
        with app_on_fresh_database(kind, work) as (_url, server):
            log(f"{kind}: {BARE} (baseline)")
            section.bare, _ = measure(options.bare_timing, bare, "/bare")
            run_api(section, server, options)
            section.notes += [f"app log: {finding}" for finding in server.log_findings()]
    except Exception as exc:
        section.failure = f"{type(exc).__name__}: {exc}"
        log(f"{kind}: FAILED: {section.failure}")
    return section


# --- reporting ------------------------------------------------------------------------------


def _x(value: float | None, digits: int = 2) -> str:
    return maybe(value, f"{{:.{digits}f}}x")


def _ratio(a: float, b: float) -> float | None:
    return a / b if b > 0 else None


def render(sections: list[SyncSection]) -> str:
    header = (
        "database",
        "phase",
        "items",
        "requests",
        "total s",
        "items/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "req/s vs bare",
        "p50 vs bare",
        "srv CPU ms/req",
        "detail",
    )
    lines: list[tuple[str, ...]] = []
    for section in sections:
        bare = section.bare
        if bare is not None:
            lines.append(
                (
                    section.database,
                    BARE,
                    str(bare.requests),
                    str(bare.requests),
                    f"{bare.elapsed_s:.1f}",
                    f"{bare.rps:.0f}",
                    f"{bare.p50_ms:.1f}",
                    f"{bare.p99_ms:.1f}",
                    str(bare.errors + bare.warmup_errors),
                    "1.000x",
                    "1.0x",
                    "",
                    f"load CPU {bare.client_cpu_pct:.0f}%",
                )
            )
        for phase in section.phases:
            rps = phase.requests / phase.elapsed_s if phase.elapsed_s > 0 else 0.0
            lines.append(
                (
                    section.database,
                    phase.name,
                    f"{phase.items:,}",
                    str(phase.requests),
                    f"{phase.elapsed_s:.2f}",
                    f"{phase.rate:,.0f}",
                    f"{phase.pct_ms(50):.1f}",
                    f"{phase.pct_ms(99):.1f}",
                    str(sum(phase.errors.values())),
                    _x(_ratio(rps, bare.rps) if bare else None, 3),
                    _x(_ratio(phase.pct_ms(50), bare.p50_ms) if bare else None, 1),
                    maybe(phase.server_ms_per_request, "{:.2f}"),
                    ", ".join(
                        part
                        for part in (
                            phase.detail,
                            f"client CPU {100 * phase.client_cpu_s / phase.elapsed_s:.0f}%"
                            if phase.elapsed_s > 0
                            else "",
                        )
                        if part
                    ),
                )
            )
        if section.failure:
            lines.append((section.database, "FAILED", *[""] * (len(header) - 2)))
    return table(header, lines, text_columns=2)


def render_replay(sections: list[SyncSection]) -> list[str]:
    out = []
    for section in sections:
        by_name = {p.name: p for p in section.phases}
        create, replay = by_name.get(CREATE), by_name.get(REPLAY)
        if create is None or replay is None:
            continue
        out.append(
            f"{section.database}: replay/create: throughput "
            f"{_x(_ratio(replay.rate, create.rate))}, p50 "
            f"{_x(_ratio(replay.pct_ms(50), create.pct_ms(50)))}, p99 "
            f"{_x(_ratio(replay.pct_ms(99), create.pct_ms(99)))}, server CPU/req "
            f"{_x(_ratio(replay.server_ms_per_request or 0, create.server_ms_per_request or 0))}"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sync", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke test: fewer changes")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--changes", type=int, default=None, help="check-ins to seed (10,000)")
    parser.add_argument("--outbox", type=int, default=None, help="check-ins queued (1,000)")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY, help="in flight (16)")
    args = parser.parse_args(argv)
    changes = (
        args.changes
        if args.changes is not None
        else (QUICK_CHANGES if args.quick else FULL_CHANGES)
    )
    outbox = (
        args.outbox if args.outbox is not None else (QUICK_OUTBOX if args.quick else FULL_OUTBOX)
    )
    concurrency = min(max(1, args.concurrency), 64)
    bare_timing = QUICK_BARE if args.quick else FULL_BARE
    options = Options(
        changes=min(max(changes, 10), 200_000),
        outbox=min(max(outbox, 10), 20_000),
        concurrency=concurrency,
        bare_timing=Timing(
            duration=bare_timing.duration, warmup=bare_timing.warmup, concurrency=concurrency
        ),
    )
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]

    load_before = os.getloadavg()
    sections: list[SyncSection] = []
    with tempfile.TemporaryDirectory(prefix="accord-bench-sync-") as tmp:
        work = Path(tmp)
        with serving(
            "bare", "bench.bare:create_app", base_env(), work / "bare.log", "/bare"
        ) as bare:
            for kind in kinds:
                sections.append(bench_database(kind, options, bare, work))
        bare_findings = bare.log_findings()
    load_after = os.getloadavg()

    print()
    print(
        f"Accord sync benchmark: {options.changes:,} check-ins seeded through the API, "
        f"catch-up with limit={PAGE_LIMIT}, outbox of {options.outbox:,} sent twice; "
        f"concurrency {options.concurrency}; {os.cpu_count() or 1} CPUs; load average "
        f"{load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    print()
    print(render(sections))
    print()
    for line in render_replay(sections):
        print(line)
    print(
        "items = check-ins written (seed, outbox) or changes received (catch-up); p50/p99 per "
        "request (per page for the catch-up);\nvs bare = against GET /bare measured by "
        "bench.load right before (same concurrency); srv CPU = the uvicorn process, all threads."
    )
    for section in sections:
        for phase in section.phases:
            if phase.errors:
                kinds_seen = ", ".join(f"{k} x{n}" for k, n in phase.errors.items())
                print(f"! {section.database} {phase.name}: {kinds_seen}")
        for note in section.notes:
            print(f"! {section.database}: {note}")
        if section.failure:
            print(f"! {section.database}: not benchmarked: {section.failure}")
    for finding in bare_findings:
        print(f"! bare log: {finding}")
    failed = any(s.errors or s.failure for s in sections)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
