"""Where a request's time goes: cProfile around Accord's hot paths, on both databases.

``make bench-profile`` (or ``.venv/bin/python -m bench.profile [--quick] [--db ...]``).

Per database: a fresh schema (``alembic upgrade head``), the app built by ``create_app`` in this
process (``HOUSEKEEPING=0``, no push dispatcher), a pair signed up and paired through the API,
a week of check-ins, then each endpoint driven through ``httpx.ASGITransport`` by ``--concurrency``
tasks for ``--requests`` requests with cProfile on. The HTTP server (uvicorn) is left out: it is
the same for every endpoint and for the peer, and the in-process transport keeps the profile to
what the app itself does. The database driver's own thread (aiosqlite) is not profiled: its
time shows as waiting in the event loop (``select``/``base_events``), PostgreSQL's as asyncpg's
protocol.

Artifacts under ``bench/results/profile-<stamp>/`` (git-ignored): for each database and endpoint
a ``.pstats`` file (``python -m pstats``, or snakeviz) and a ``.txt`` with the top functions by own
time and by cumulative time, and ``summary.txt``: own time grouped by library (the app's own
code, SQLAlchemy, pydantic, FastAPI/Starlette, the driver, the JSON encoder...) per endpoint, in
milliseconds of CPU per request. The summary is also printed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.common import PASSWORD, ROOT, base_env, database, log, migrate, table

RESULTS = ROOT / "bench" / "results"
TOP = 40
# Where a function's own time is counted, by the first fragment of its file path that matches.
BUCKETS = (
    ("/app/", "accord (app/)"),
    ("/sqlalchemy/", "sqlalchemy"),
    ("/sqlmodel/", "sqlmodel"),
    ("/pydantic", "pydantic"),
    ("/fastapi/", "fastapi"),
    ("/starlette/", "starlette"),
    ("/asyncpg/", "asyncpg"),
    ("/aiosqlite/", "aiosqlite"),
    ("/jwt/", "pyjwt"),
    ("/httpx/", "httpx (client)"),
    ("/httpcore/", "httpx (client)"),
    ("/asyncio/", "asyncio"),
    ("/json/", "json"),
    ("/zoneinfo/", "zoneinfo"),
)


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    body: Callable[[int], dict[str, Any]] | None = None
    status: int = 200


# C functions have no file: their names say whose they are.
C_BUCKETS = (
    ("select.epoll", "idle: event loop waiting (driver thread, sockets)"),
    ("pydantic_core", "pydantic"),
    ("greenlet", "sqlalchemy"),
    ("asyncpg", "asyncpg"),
    ("_queue", "thread handoff (aiosqlite queue, locks)"),
    ("_thread", "thread handoff (aiosqlite queue, locks)"),
    ("_socket", "sockets"),
    ("_hashlib", "hashing (hmac, sha256)"),
    ("_json", "json"),
)


def bucket_of(filename: str, function: str = "") -> str:
    for fragment, name in BUCKETS:
        if fragment in filename:
            return name
    if filename.startswith("~") or filename.startswith("<"):
        for fragment, name in C_BUCKETS:
            if fragment in function:
                return name
        return "other builtins (C)"
    return "other python"


def grouped_ms(stats: pstats.Stats, requests: int) -> dict[str, float]:
    """Own time per library, in ms per request."""
    groups: dict[str, float] = defaultdict(float)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        groups[bucket_of(filename, name)] += tottime
    return {k: v * 1000 / requests for k, v in groups.items()}


def top_tables(stats: pstats.Stats) -> str:
    out = io.StringIO()
    stats.stream = out  # type: ignore[attr-defined]
    out.write(f"# by own time (top {TOP})\n")
    stats.sort_stats("tottime").print_stats(TOP)
    out.write(f"\n# by cumulative time (top {TOP})\n")
    stats.sort_stats("cumulative").print_stats(TOP)
    return out.getvalue()


async def _seed(client: httpx.AsyncClient) -> tuple[dict[str, str], str]:
    run = uuid.uuid4().hex[:8]
    tokens = []
    for name in ("Alice", "Bob"):
        answer = await client.post(
            "/api/auth/register",
            json={
                "email": f"{name.lower()}-{run}@example.org",
                "password": PASSWORD,
                "display_name": name,
                "timezone": "Europe/Paris",
            },
        )
        answer.raise_for_status()
        tokens.append({"Authorization": f"Bearer {answer.json()['access_token']}"})
    alice, bob = tokens
    invite = (await client.post("/api/invites", json={}, headers=alice)).json()
    (
        await client.post(f"/api/invites/{invite['code']}/accept", json={}, headers=bob)
    ).raise_for_status()
    dynamic_id = (await client.get("/api/dynamics", headers=alice)).json()["items"][0]["id"]
    now = datetime.now(UTC)
    for i in range(40):  # a week of check-ins from both, some with needs
        answer = await client.post(
            f"/api/dynamics/{dynamic_id}/checkins",
            json={
                "mood": 1 + i % 5,
                "energy": 1 + (i * 3) % 5,
                "gave": 3,
                "received": 1 + i % 5,
                "deal": i % 3 - 1,
                "needs": ["rest"] if i % 4 == 0 else [],
                "occurred_at": (now - timedelta(hours=4 * i)).isoformat(),
            },
            headers=bob if i % 2 else alice,
        )
        answer.raise_for_status()
    return alice, dynamic_id


def endpoints(dynamic_id: str) -> list[Endpoint]:
    return [
        Endpoint("today", "GET", f"/api/dynamics/{dynamic_id}/today"),
        Endpoint("balance", "GET", f"/api/dynamics/{dynamic_id}/balance?days=28"),
        Endpoint("dynamics", "GET", "/api/dynamics"),
        Endpoint(
            "checkin-create",
            "POST",
            f"/api/dynamics/{dynamic_id}/checkins",
            body=lambda i: {"mood": 1 + i % 5, "energy": 3, "needs": ["talk"] if i % 3 else []},
            status=201,
        ),
    ]


async def _drive(
    client: httpx.AsyncClient,
    endpoint: Endpoint,
    headers: dict[str, str],
    requests: int,
    concurrency: int,
) -> None:
    counter = iter(range(requests))

    async def worker() -> None:
        for i in counter:
            extra = {"Idempotency-Key": uuid.uuid4().hex} if endpoint.method == "POST" else {}
            answer = await client.request(
                endpoint.method,
                endpoint.path,
                json=endpoint.body(i) if endpoint.body else None,
                headers=headers | extra,
            )
            if answer.status_code != endpoint.status:
                raise RuntimeError(f"{endpoint.name}: {answer.status_code} {answer.text[:200]}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def profile_database(
    kind: str, work: Path, out: Path, requests: int, concurrency: int
) -> dict[str, dict[str, float]]:
    data_dir = work / f"data-{kind}"
    data_dir.mkdir()
    with database(kind, data_dir) as url:  # made and dropped outside the profiled event loop
        env = base_env() | {"DATABASE_URL": url, "DATA_DIR": str(data_dir)}
        log(f"{kind}: alembic upgrade head")
        migrate(env)
        return asyncio.run(_profile_app(kind, url, data_dir, out, requests, concurrency))


async def _profile_app(
    kind: str, url: str, data_dir: Path, out: Path, requests: int, concurrency: int
) -> dict[str, dict[str, float]]:
    from app.core.config import Settings
    from app.main import create_app

    summary: dict[str, dict[str, float]] = {}
    settings = Settings(
        data_dir=data_dir,
        database_url=url,
        secret_key="bench-profile-" + uuid.uuid4().hex,
        housekeeping=False,
        dispatcher=False,
        serve_frontend=False,
        register_max_per_address_per_hour=1000,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
    ):
        log(f"{kind}: seeding")
        alice, dynamic_id = await _seed(client)
        for endpoint in endpoints(dynamic_id):
            # Warm up: first-call costs (statement caches, imports) are not the constant.
            await _drive(client, endpoint, alice, max(20, requests // 10), concurrency)
            log(f"{kind}: {endpoint.name} x{requests}")
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.enable()
            await _drive(client, endpoint, alice, requests, concurrency)
            profiler.disable()
            wall = time.perf_counter() - started
            stem = out / f"{kind}-{endpoint.name}"
            profiler.dump_stats(f"{stem}.pstats")
            stats = pstats.Stats(profiler)
            stem.with_suffix(".txt").write_text(top_tables(stats))
            groups = grouped_ms(stats, requests)
            groups["(wall ms/request, profiled)"] = wall * 1000 / requests
            summary[endpoint.name] = groups
    return summary


def render(kind: str, summary: dict[str, dict[str, float]]) -> str:
    names = list(summary)
    buckets = sorted(
        {b for groups in summary.values() for b in groups},
        key=lambda b: -max(groups.get(b, 0.0) for groups in summary.values()),
    )
    lines = [
        (kind, bucket, *(f"{summary[n].get(bucket, 0.0):.2f}" for n in names)) for bucket in buckets
    ]
    return table(("database", "own time ms/request", *names), lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke test)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--requests", type=int, default=None, help="per endpoint (default 400)")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    requests = args.requests or (100 if args.quick else 400)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    out = RESULTS / f"profile-{time.strftime('%Y%m%d-%H%M%S')}"
    out.mkdir(parents=True, exist_ok=True)
    os.environ["HOUSEKEEPING"] = "0"
    reports = []
    failed = False
    with tempfile.TemporaryDirectory(prefix="accord-profile-") as tmp:
        for kind in kinds:
            try:
                summary = profile_database(kind, Path(tmp), out, requests, args.concurrency)
            except Exception as exc:
                log(f"{kind}: FAILED: {type(exc).__name__}: {exc}")
                failed = True
                continue
            reports.append(render(kind, summary))
    text = "\n\n".join(reports)
    (out / "summary.txt").write_text(text + "\n")
    print()
    print(
        f"cProfile, {requests} requests per endpoint at concurrency {args.concurrency}, "
        "in-process (httpx.ASGITransport); own time per library in ms per request "
        "(profiling inflates it ~2x: compare shares, not absolutes)"
    )
    print(text)
    print(f"\nartifacts: {out.relative_to(ROOT)}/ (*.pstats, *.txt top-{TOP} tables, summary.txt)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
