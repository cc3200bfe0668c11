"""The spine benchmark: login and the dynamics list, next to a bare FastAPI baseline.

``make bench`` (or ``.venv/bin/python -m bench.spine [--quick] [--db sqlite|postgresql|both]``).

For each database it builds a fresh schema with ``alembic upgrade head``, starts the app the way
``make run`` does (uvicorn, ``--factory app.main:create_app``, production argon2 settings,
``HOUSEKEEPING=0``), seeds a few users and one pair, and drives each endpoint from a separate
load process (``bench.load``) at a fixed concurrency for a bounded time. A bare FastAPI app
(``bench.bare``) served by the same uvicorn is measured right before each database's endpoints,
and every row is also given as a ratio to it: the machine is small, shared and noisy, so the
ratios mean more than the absolute numbers. All traffic goes to 127.0.0.1.

Exits non-zero if any request failed (a status other than the expected one, or a transport
error) or a database could not be benchmarked.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from app.core.config import Settings
from bench.common import (
    PASSWORD,
    Row,
    Section,
    Server,
    Timing,
    app_on_fresh_database,
    base_env,
    log,
    maybe,
    measure,
    seed,
    serving,
    table,
)

FULL = Timing(duration=10.0, warmup=2.0, concurrency=16)
QUICK = Timing(duration=3.0, warmup=0.5, concurrency=16)


# --- measuring ------------------------------------------------------------------------------


def bench_database(kind: str, timing: Timing, bare: Server, work: Path) -> Section:
    section = Section(kind)
    try:
        with app_on_fresh_database(kind, work) as (_url, app):
            log(f"{kind}: app on {app.base_url}; seeding")
            members = seed(app.base_url, max(3, timing.login_accounts))
            alice = members[0]
            logins = [
                json.dumps({"email": m.email, "password": PASSWORD})
                for m in members[: timing.login_accounts]
            ]
            login_name = "POST /api/auth/login"
            if timing.login_accounts > 1:
                login_name += f" ({timing.login_accounts} accounts)"

            log(f"{kind}: GET /bare (baseline)")
            baseline, cpu = measure(timing, bare, "/bare")
            section.rows.append(Row(kind, "GET /bare", baseline, baseline, cpu))

            log(f"{kind}: {login_name}")
            login, cpu = measure(timing, app, "/api/auth/login", method="POST", json_bodies=logins)
            section.rows.append(Row(kind, login_name, login, baseline, cpu))

            log(f"{kind}: GET /api/dynamics")
            dynamics, cpu = measure(timing, app, "/api/dynamics", headers=alice.headers)
            section.rows.append(Row(kind, "GET /api/dynamics", dynamics, baseline, cpu))
            section.notes += [f"app log: {finding}" for finding in app.log_findings()]
    except Exception as exc:
        section.failure = f"{type(exc).__name__}: {exc}"
        log(f"{kind}: FAILED: {section.failure}")
    return section


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


def render(sections: list[Section]) -> str:
    header = (
        "database",
        "endpoint",
        "requests",
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "req/s vs bare",
        "p50 vs bare",
        "srv CPU ms/req",
        "srv CPU%",
        "load CPU%",
    )
    lines: list[tuple[str, ...]] = []
    for section in sections:
        for row in section.rows:
            r = row.result
            lines.append(
                (
                    row.database,
                    row.endpoint,
                    str(r.requests),
                    f"{r.rps:.1f}",
                    f"{r.p50_ms:.1f}",
                    f"{r.p99_ms:.1f}",
                    str(row.failed),
                    f"{row.rps_ratio:.3f}x",
                    f"{row.p50_ratio:.1f}x",
                    maybe(row.server_ms_per_request, "{:.2f}"),
                    maybe(row.server_cpu_pct, "{:.0f}"),
                    f"{r.client_cpu_pct:.0f}",
                )
            )
        if section.failure:
            lines.append((section.database, "FAILED", *[""] * (len(header) - 2)))
    return table(header, lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spine", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="short runs (a smoke test)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--concurrency", type=int, default=None, help="override (16)")
    parser.add_argument("--duration", type=float, default=None, help="seconds per endpoint")
    parser.add_argument(
        "--login-accounts",
        type=int,
        default=1,
        help="spread the login load over this many accounts (default 1: same credentials)",
    )
    args = parser.parse_args(argv)
    timing = QUICK if args.quick else FULL
    if args.concurrency is not None:
        timing = replace(timing, concurrency=max(1, args.concurrency))
    if args.duration is not None:
        timing = replace(timing, duration=min(max(args.duration, 0.5), 120.0))
    timing = replace(timing, login_accounts=min(max(1, args.login_accounts), 64))
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]

    argon2_ms = argon2_verify_ms()
    load_before = os.getloadavg()
    sections: list[Section] = []
    with tempfile.TemporaryDirectory(prefix="accord-bench-") as tmp:
        work = Path(tmp)
        bare_log = work / "bare.log"
        with serving("bare", "bench.bare:create_app", base_env(), bare_log, "/bare") as bare:
            for kind in kinds:
                sections.append(bench_database(kind, timing, bare, work))
        bare_findings = bare.log_findings()
    load_after = os.getloadavg()

    cpus = os.cpu_count() or 1
    print()
    print(
        f"Accord spine benchmark: concurrency {timing.concurrency}, {timing.duration:g}s per "
        f"endpoint after {timing.warmup:g}s warm-up; {cpus} CPUs; "
        f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after"
    )
    print(
        f"argon2id defaults verify in ~{argon2_ms:.0f} ms here: a CPU-bound login ceiling of "
        f"~{cpus * 1000 / argon2_ms:.1f} req/s on {cpus} cores, ~{1000 / argon2_ms:.1f} on one"
    )
    print()
    print(render(sections))
    print()
    print(
        "req/s vs bare = endpoint req/s / bare req/s (same database block); p50 vs bare = "
        "p50 / bare p50.\nsrv CPU = the server process (all threads) over warm-up + "
        "measurement; load CPU% = the load generator (100 = one core busy: the client is "
        "then the bottleneck)."
    )
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
