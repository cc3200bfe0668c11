"""The history benchmark: do balance and today cost what their window holds, not what the
dynamic's whole history holds?

``.venv/bin/python -m bench.history [--quick] [--db sqlite|postgresql|both] [--explain]
[--quiet-member] [--large N] [--concurrency N] [--duration SECONDS]``

For each database it builds a fresh schema with ``alembic upgrade head``, starts the app the way
``make run`` does (uvicorn, ``--factory app.main:create_app``, ``HOUSEKEEPING=0``), registers two
users through the API and pairs them, then writes check-ins for that one dynamic straight into
the ``checkins`` table (a bulk insert through SQLAlchemy Core, with the app's own table and
column types):

- the small history: 100 check-ins over the last 14 days (~3.5 per member per day, a lively
  couple), every one of them inside the 28-day balance window;
- the large history: the same 100, plus older ones up to 100,000 in all, spread over the ~10
  years before the window (at least 35 days back, so outside every window balance and today
  read). The windows then hold exactly the same rows at both sizes: only the history grows.

PostgreSQL gets an ``ANALYZE`` after each insert (SQLite none: the app never runs one either).
At each size ``GET /api/dynamics/{id}/balance?days=28`` and ``GET /api/dynamics/{id}/today`` are
driven from a separate load process (``bench.load``), after a bare FastAPI baseline
(``bench.bare``) measured right before them; finally ``POST /api/dynamics/{id}/checkins``
(each request with a fresh ``Idempotency-Key``) measures creation on the large history. The
report gives each row next to the baseline, and for balance and today the 100k/100 ratio of
p50, p99 and server CPU per request (the goal: p50 and p99 at most 1.5x).

``--explain`` also prints the query plan of every query balance and today run at each size
(``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL, ``EXPLAIN QUERY PLAN`` on SQLite), captured from
the app's own code run in-process with the same parameters; when a ratio misses the goal, the
plans of the check-in queries at the large size are printed anyway. ``--quiet-member`` is the
harder case for "the latest check-in of each member": the second member checked in during the
history's first year only, so every window holds the first member's check-ins alone.

Exits non-zero if any request failed (a status other than the expected one, or a transport
error) or a database could not be benchmarked. Everything runs on 127.0.0.1; the databases
(a temporary ``DATA_DIR``, a PostgreSQL database of its own) and processes are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import app.models  # noqa: F401  (every table in the metadata)
from app.accounts.models import User
from app.balance import service as balance_service
from app.checkins.schemas import NEEDS
from app.core.config import Settings
from app.core.db import WRITE_OPTION, Database
from app.today import service as today_service
from bench.common import (
    Row,
    Section,
    Server,
    Timing,
    app_on_fresh_database,
    base_env,
    log,
    maybe,
    measure,
    seed_pair,
    serving,
    table,
)

FULL = Timing(duration=8.0, warmup=2.0, concurrency=8)
QUICK = Timing(duration=2.0, warmup=0.5, concurrency=8)

SMALL = 100
LARGE = 100_000
GOAL = 1.5
WINDOW_DAYS = 28
RECENT_DAYS = 14
# The older history lies before every window the reads use (balance: 28 whole UTC days).
OLD_NEWEST_DAYS = 35
OLD_OLDEST_DAYS = 3652
INSERT_BATCH = 2_000
SEED = 20_261_125

BALANCE = "GET balance?days=28"
TODAY = "GET today"
CREATE = "POST checkins"
BARE = "GET /bare"
CHECKIN_BODIES = (
    {"mood": 4, "energy": 3, "needs": ["talk", "affection"], "gave": 3, "received": 4},
    {"mood": 2, "energy": 2, "needs": ["rest"], "gave": 4, "received": 2, "deal": -1},
    {"mood": 5, "energy": 4, "gave": 4, "received": 5, "note": "a lovely evening"},
    {"mood": 3, "needs": ["reassurance", "space", "structure"], "deal": 0},
)
NOTES = ("long day", "felt close today", "need to talk about the weekend", "tired but ok")


# --- seeding the history --------------------------------------------------------------------


def _settings(url: str) -> Settings:
    return Settings(data_dir=Path(), database_url=url, secret_key="bench-history")


@contextlib.asynccontextmanager
async def _engine(url: str) -> AsyncIterator[AsyncEngine]:
    """An engine configured as the app configures its own (SQLite pragmas included)."""
    db = Database(_settings(url))
    try:
        yield db.engine
    finally:
        await db.dispose()


def _checkin(
    rng: random.Random,
    dynamic_id: uuid.UUID,
    users: tuple[uuid.UUID, uuid.UUID],
    occurred_at: datetime,
    now: datetime,
) -> dict[str, Any]:
    """One check-in as a couple writes them: scales 1-5, a few needs, sometimes an answer."""
    needs = rng.sample(NEEDS, rng.choices((0, 1, 2, 3), weights=(35, 35, 20, 10))[0])
    if needs:
        kind = rng.choices(("done", "on_it", "seen", None), weights=(45, 15, 15, 25))[0]
    else:
        kind = rng.choices(("seen", None), weights=(30, 70))[0]
    answered = min(now, occurred_at + timedelta(minutes=rng.uniform(5, 360)))
    return {
        "id": uuid.uuid4(),
        "dynamic_id": dynamic_id,
        "user_id": rng.choice(users),
        "occurred_at": occurred_at,
        "mood": rng.randint(1, 5),
        "energy": rng.randint(1, 5) if rng.random() < 0.9 else None,
        "needs": needs,
        "gave": rng.randint(1, 5) if rng.random() < 0.85 else None,
        "received": rng.randint(1, 5) if rng.random() < 0.85 else None,
        "deal": rng.choice((-2, -1, -1, 0, 0, 0, 1, 1, 2)) if rng.random() < 0.5 else None,
        "note": rng.choice(NOTES) if rng.random() < 0.2 else None,
        "created_at": min(now, occurred_at + timedelta(seconds=rng.uniform(0, 60))),
        "response_kind": kind,
        "response_at": answered if kind else None,
    }


@dataclass(frozen=True)
class Slice:
    """``count`` check-ins spread uniformly between ``oldest`` and ``newest`` ago."""

    count: int
    newest: timedelta
    oldest: timedelta
    # False: the first member's check-ins only (the second one is quiet meanwhile).
    both_members: bool = True


def _batches(
    rng: random.Random,
    dynamic_id: uuid.UUID,
    members: tuple[uuid.UUID, uuid.UUID],
    part: Slice,
    now: datetime,
) -> Iterator[list[dict[str, Any]]]:
    users = members if part.both_members else (members[0], members[0])
    span = (part.oldest - part.newest).total_seconds()
    for first in range(0, part.count, INSERT_BATCH):
        yield [
            _checkin(
                rng,
                dynamic_id,
                users,
                now - part.newest - timedelta(seconds=rng.uniform(0, span)),
                now,
            )
            for _ in range(min(INSERT_BATCH, part.count - first))
        ]


def history_stages(large: int, quiet_member: bool) -> list[tuple[int, list[Slice]]]:
    """The two histories, each as the slices that grow the previous one into it.

    The small one lies in the last ``RECENT_DAYS``; the large one adds older check-ins before
    every window. With ``quiet_member`` the second member checked in during the history's first
    year only: the windows then hold the first member's check-ins alone.
    """
    recent = Slice(SMALL, timedelta(minutes=1), timedelta(days=RECENT_DAYS), not quiet_member)
    older = large - SMALL
    newest, oldest = timedelta(days=OLD_NEWEST_DAYS), timedelta(days=OLD_OLDEST_DAYS)
    if not quiet_member:
        return [(SMALL, [recent]), (large, [Slice(older, newest, oldest)])]
    cut = oldest - timedelta(days=365)
    first_year = older * 365 // (OLD_OLDEST_DAYS - OLD_NEWEST_DAYS)
    return [
        (SMALL, [recent]),
        (large, [Slice(first_year, cut, oldest), Slice(older - first_year, newest, cut, False)]),
    ]


@dataclass(frozen=True)
class Counts:
    total: int
    window: int
    week: int


def _window_start(now: datetime, days: int) -> datetime:
    """Where balance's window starts: whole UTC days ending with today (as the app has it)."""
    end = datetime.combine(now.date() + timedelta(days=1), clock_time(0), UTC)
    return end - timedelta(days=days)


async def _insert(
    url: str,
    dynamic_id: uuid.UUID,
    members: tuple[uuid.UUID, uuid.UUID],
    parts: list[Slice],
    rng: random.Random,
) -> Counts:
    checkins = SQLModel.metadata.tables["checkins"]
    now = datetime.now(UTC)
    async with _engine(url) as engine:
        writer = engine.execution_options(**{WRITE_OPTION: True})
        async with writer.begin() as conn:
            for part in parts:
                for batch in _batches(rng, dynamic_id, members, part, now):
                    await conn.execute(checkins.insert(), batch)
        if engine.dialect.name == "postgresql":
            async with engine.begin() as conn:
                await conn.execute(text("ANALYZE"))
        async with engine.connect() as conn:

            async def count_since(since: datetime | None) -> int:
                stmt = select(func.count()).where(checkins.c.dynamic_id == dynamic_id)
                if since is not None:
                    stmt = stmt.where(checkins.c.occurred_at >= since)
                return int((await conn.execute(stmt)).scalar_one())

            return Counts(
                total=await count_since(None),
                window=await count_since(_window_start(now, WINDOW_DAYS)),
                week=await count_since(now - timedelta(days=7)),
            )


def insert_history(
    url: str,
    dynamic_id: uuid.UUID,
    members: tuple[uuid.UUID, uuid.UUID],
    parts: list[Slice],
    rng: random.Random,
) -> Counts:
    """Bulk-insert the slices' check-ins (then ANALYZE on PostgreSQL); what the dynamic holds."""
    return asyncio.run(_insert(url, dynamic_id, members, parts, rng))


# --- query plans ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    source: str  # "balance" or "today": the first of them that ran this statement
    statement: str
    plan: list[str]

    @property
    def reads_checkins(self) -> bool:
        return " checkins" in self.statement


def _sqlite_tree(rows: list[Any]) -> list[str]:
    """EXPLAIN QUERY PLAN rows (id, parent, notused, detail) as an indented tree."""
    depth: dict[int, int] = {0: -1}
    lines = []
    for row in rows:
        node, parent, detail = int(row[0]), int(row[1]), str(row[3])
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + detail)
    return lines


async def _plans(url: str, dynamic_id: uuid.UUID, user_id: uuid.UUID) -> list[Plan]:
    """Run balance and today in-process, record every statement, then EXPLAIN each one."""
    db = Database(_settings(url))
    captured: list[tuple[str, str, Any]] = []
    source = ["balance"]

    def record(
        _conn: Connection,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        _executemany: bool,
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((source[0], statement, parameters))

    try:
        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        async with db.reader() as session:
            user = await session.get(User, user_id)
            if user is None:
                raise RuntimeError("the measured user is missing")
            await balance_service.balance(session, dynamic_id, user, days=WINDOW_DAYS)
            source[0] = "today"
            await today_service.today(session, dynamic_id, user, now=datetime.now(UTC))
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)

        sqlite = db.dialect == "sqlite"
        prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) "
        plans: list[Plan] = []
        seen: set[tuple[str, str]] = set()
        async with db.engine.connect() as conn:
            for where, statement, parameters in captured:
                if (statement, repr(parameters)) in seen:
                    continue
                seen.add((statement, repr(parameters)))
                rows = (await conn.exec_driver_sql(prefix + statement, parameters)).all()
                lines = _sqlite_tree(list(rows)) if sqlite else [str(r[0]) for r in rows]
                plans.append(Plan(where, " ".join(statement.split()), lines))
        return plans
    finally:
        await db.dispose()


def query_plans(url: str, dynamic_id: uuid.UUID, user_id: uuid.UUID) -> list[Plan]:
    return asyncio.run(_plans(url, dynamic_id, user_id))


# --- measuring ------------------------------------------------------------------------------


@dataclass
class HistorySection(Section):
    # endpoint -> check-ins in the dynamic -> its row
    by_size: dict[str, dict[int, Row]] = field(default_factory=dict)
    counts: dict[int, Counts] = field(default_factory=dict)
    plans: dict[int, list[Plan]] = field(default_factory=dict)
    sizes: list[int] = field(default_factory=list)
    seed_seconds: dict[int, float] = field(default_factory=dict)
    # row_sizes[i]: the check-ins in the dynamic when rows[i] was measured
    row_sizes: list[int] = field(default_factory=list)

    def add(self, size: int, row: Row) -> None:
        self.rows.append(row)
        self.row_sizes.append(size)
        self.by_size.setdefault(row.endpoint, {})[size] = row


@dataclass(frozen=True)
class Options:
    timing: Timing
    large: int = LARGE
    explain: bool = False
    quiet_member: bool = False


def bench_database(kind: str, options: Options, bare: Server, work: Path) -> HistorySection:
    section = HistorySection(kind)
    try:
        with app_on_fresh_database(kind, work) as (url, server):
            _run(section, kind, options, server, bare, url)
            section.notes += [f"app log: {finding}" for finding in server.log_findings()]
    except Exception as exc:
        section.failure = f"{type(exc).__name__}: {exc}"
        log(f"{kind}: FAILED: {section.failure}")
    return section


def _run(
    section: HistorySection, kind: str, options: Options, server: Server, bare: Server, url: str
) -> None:
    timing, explain = options.timing, options.explain
    log(f"{kind}: app on {server.base_url}; registering and pairing two users")
    pair = seed_pair(server.base_url, users=2)
    alice, bob = pair.members  # alice's requests are measured
    members = (alice.user_id, bob.user_id)
    base = f"/api/dynamics/{pair.dynamic_id}"
    rng = random.Random(SEED)
    for size, parts in history_stages(options.large, options.quiet_member):
        log(f"{kind}: inserting {sum(p.count for p in parts):,} check-ins (history of {size:,})")
        started = time.perf_counter()
        counts = insert_history(url, pair.dynamic_id, members, parts, rng)
        section.seed_seconds[size] = time.perf_counter() - started
        if counts.total != size:
            raise RuntimeError(f"expected {size} check-ins in the dynamic, found {counts.total}")
        section.counts[size] = counts
        section.sizes.append(size)

        log(f"{kind}@{size:,}: {BARE} (baseline)")
        baseline, cpu = measure(timing, bare, "/bare")
        section.add(size, Row(kind, BARE, baseline, baseline, cpu))
        for name, path in (
            (BALANCE, f"{base}/balance?days={WINDOW_DAYS}"),
            (TODAY, f"{base}/today"),
        ):
            log(f"{kind}@{size:,}: {name}")
            result, cpu = measure(timing, server, path, headers=alice.headers)
            section.add(size, Row(kind, name, result, baseline, cpu))
        section.plans[size] = query_plans(url, pair.dynamic_id, alice.user_id) if explain else []

    # Creation last: new check-ins land in the window and would change what the reads read.
    size = section.sizes[-1]
    if not explain and not all(g.meets_goal for g in growths(section)):
        # A missed goal gets its plans, taken before the window changes.
        section.plans[size] = query_plans(url, pair.dynamic_id, alice.user_id)
    log(f"{kind}@{size:,}: {CREATE} (fresh Idempotency-Key each)")
    baseline = section.by_size[BARE][size].baseline
    result, cpu = measure(
        timing,
        server,
        f"{base}/checkins",
        method="POST",
        json_bodies=[json.dumps(body) for body in CHECKIN_BODIES],
        headers=alice.headers,
        unique_headers=["Idempotency-Key"],
        expect_status=201,
    )
    section.add(size, Row(kind, CREATE, result, baseline, cpu))


def _ratio(large: float, small: float) -> float | None:
    return large / small if small > 0 else None


@dataclass(frozen=True)
class Growth:
    endpoint: str
    small: Row
    large: Row

    @property
    def p50(self) -> float | None:
        return _ratio(self.large.result.p50_ms, self.small.result.p50_ms)

    @property
    def p99(self) -> float | None:
        return _ratio(self.large.result.p99_ms, self.small.result.p99_ms)

    @property
    def rps(self) -> float | None:
        return _ratio(self.large.result.rps, self.small.result.rps)

    @property
    def cpu(self) -> float | None:
        small, large = self.small.server_ms_per_request, self.large.server_ms_per_request
        return None if small is None or large is None else _ratio(large, small)

    @property
    def bare_drift(self) -> float | None:
        return _ratio(self.large.baseline.p50_ms, self.small.baseline.p50_ms)

    @property
    def meets_goal(self) -> bool:
        return all(r is not None and r <= GOAL for r in (self.p50, self.p99))


def growths(section: HistorySection) -> list[Growth]:
    if len(section.sizes) < 2:
        return []
    small, large = section.sizes[0], section.sizes[-1]
    found = []
    for endpoint in (BALANCE, TODAY):
        rows = section.by_size.get(endpoint, {})
        if small in rows and large in rows:
            found.append(Growth(endpoint, rows[small], rows[large]))
    return found


# --- reporting ------------------------------------------------------------------------------


def _x(value: float | None, digits: int = 2) -> str:
    return maybe(value, f"{{:.{digits}f}}x")


def render_rows(sections: list[HistorySection]) -> str:
    header = (
        "database",
        "endpoint",
        "history",
        "requests",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "req/s vs bare",
        "p50 vs bare",
        "p99 vs bare",
        "srv CPU ms/req",
        "load CPU%",
    )
    lines: list[tuple[str, ...]] = []
    for section in sections:
        for size, row in zip(section.row_sizes, section.rows, strict=True):
            r, b = row.result, row.baseline
            lines.append(
                (
                    row.database,
                    row.endpoint,
                    f"{size:,}",
                    str(r.requests),
                    f"{r.rps:.1f}",
                    f"{r.p50_ms:.1f}",
                    f"{r.p99_ms:.1f}",
                    str(row.failed),
                    f"{row.rps_ratio:.3f}x",
                    f"{row.p50_ratio:.1f}x",
                    _x(_ratio(r.p99_ms, b.p99_ms), 1),
                    maybe(row.server_ms_per_request, "{:.2f}"),
                    f"{r.client_cpu_pct:.0f}",
                )
            )
        if section.failure:
            lines.append((section.database, "FAILED", *[""] * (len(header) - 2)))
    return table(header, lines, text_columns=2)


def render_growth(sections: list[HistorySection]) -> str:
    header = (
        "database",
        "endpoint",
        "p50 small->large ms",
        "p99 small->large ms",
        "p50 ratio",
        "p99 ratio",
        "req/s ratio",
        "srv CPU/req ratio",
        "bare p50 drift",
        f"goal <={GOAL:g}x",
    )
    lines: list[tuple[str, ...]] = []
    for section in sections:
        for g in growths(section):
            s, lg = g.small.result, g.large.result
            lines.append(
                (
                    section.database,
                    g.endpoint,
                    f"{s.p50_ms:.1f} -> {lg.p50_ms:.1f}",
                    f"{s.p99_ms:.1f} -> {lg.p99_ms:.1f}",
                    _x(g.p50),
                    _x(g.p99),
                    _x(g.rps),
                    _x(g.cpu),
                    _x(g.bare_drift),
                    "ok" if g.meets_goal else "MISSED",
                )
            )
    return table(header, lines, text_columns=2)


def render_plans(section: HistorySection, size: int, only_checkins: bool) -> list[str]:
    out = []
    for plan in section.plans.get(size, []):
        if only_checkins and not plan.reads_checkins:
            continue
        out.append(f"-- {section.database} @{size:,} ({plan.source}): {plan.statement[:400]}")
        out += [f"     {line}" for line in plan.plan]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.history", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--concurrency", type=int, default=None, help="override (8)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per endpoint")
    parser.add_argument(
        "--large",
        type=int,
        default=LARGE,
        help=f"check-ins in the large history (default {LARGE:,}; 1,000 to 1,000,000)",
    )
    parser.add_argument(
        "--explain", action="store_true", help="print the query plans of balance and today"
    )
    parser.add_argument(
        "--quiet-member",
        action="store_true",
        help="the second member checked in during the history's first year only",
    )
    args = parser.parse_args(argv)
    timing = QUICK if args.quick else FULL
    if args.concurrency is not None:
        timing = replace(timing, concurrency=min(max(1, args.concurrency), 64))
    if args.duration is not None:
        timing = replace(timing, duration=min(max(args.duration, 0.5), 120.0))
    options = Options(
        timing=timing,
        large=min(max(args.large, 1_000), 1_000_000),
        explain=args.explain,
        quiet_member=args.quiet_member,
    )
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]

    load_before = os.getloadavg()
    sections: list[HistorySection] = []
    with tempfile.TemporaryDirectory(prefix="accord-bench-history-") as tmp:
        work = Path(tmp)
        bare_log = work / "bare.log"
        with serving("bare", "bench.bare:create_app", base_env(), bare_log, "/bare") as bare:
            for kind in kinds:
                sections.append(bench_database(kind, options, bare, work))
        bare_findings = bare.log_findings()
    load_after = os.getloadavg()

    cpus = os.cpu_count() or 1
    print()
    print(
        f"Accord history benchmark: concurrency {timing.concurrency}, {timing.duration:g}s per "
        f"endpoint after {timing.warmup:g}s warm-up; {cpus} CPUs; "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    if options.quiet_member:
        print("quiet member: the second member checked in during the history's first year only")
    for section in sections:
        for size in section.sizes:
            c = section.counts[size]
            print(
                f"{section.database}: history {c.total:,} check-ins in the dynamic "
                f"(inserted in {section.seed_seconds[size]:.1f}s), {c.window:,} in the "
                f"{WINDOW_DAYS}-day window, {c.week:,} in the last 7 days"
            )
    print()
    print(render_rows(sections))
    print()
    print(render_growth(sections))
    print()
    print(
        "history = check-ins in the dynamic when measured; vs bare = against GET /bare measured "
        "right before (same database and history).\nratio = large history / small history "
        f"(the goal: p50 and p99 <= {GOAL:g}x); bare p50 drift = the same ratio for the "
        "baseline, i.e. how much the machine itself changed between the two.\n"
        f"{CREATE} runs last, on the large history; srv CPU = the uvicorn process, all threads."
    )
    missed = any(not g.meets_goal for s in sections for g in growths(s))
    for section in sections:
        sizes = section.sizes if args.explain else section.sizes[-1:]
        lines = [
            line
            for size in sizes
            for line in render_plans(section, size, only_checkins=not args.explain)
        ]
        if lines and (args.explain or missed):
            print()
            print(f"Query plans ({section.database}):")
            print("\n".join(lines))

    errors = 0
    for section in sections:
        for row in section.rows:
            errors += row.failed
            if row.failed:
                kinds_seen = ", ".join(f"{k} x{n}" for k, n in row.result.error_kinds.items())
                print(f"! {row.database} {row.endpoint}: {row.failed} errors ({kinds_seen})")
        for note in section.notes:
            print(f"! {section.database}: {note}")
        if section.failure:
            print(f"! {section.database}: not benchmarked: {section.failure}")
    for finding in bare_findings:
        print(f"! bare log: {finding}")
    failed = errors > 0 or any(s.failure for s in sections)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
