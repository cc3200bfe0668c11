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
import asyncio
import contextlib
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from app.core.config import Settings
from bench.load import Result

ROOT = Path(__file__).resolve().parent.parent
_VENV_BIN = ROOT / ".venv" / "bin"
BIN = _VENV_BIN if (_VENV_BIN / "uvicorn").exists() else Path(sys.executable).parent
HOST = "127.0.0.1"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "correct horse battery"
# Settings the environment could otherwise override: the benchmark wants the defaults.
_SCRUBBED_ENV = (
    "DATABASE_URL",
    "DATA_DIR",
    "SECRET_KEY",
    "ARGON2_TIME_COST",
    "ARGON2_MEMORY_KIB",
    "DB_POOL_SIZE",
    "DB_MAX_OVERFLOW",
    "DB_POOL_TIMEOUT",
    "SQLITE_BUSY_TIMEOUT_MS",
    "ACCESS_TOKEN_MINUTES",
)
# What in a server log deserves a line in the report.
_LOG_MARKERS = ("database is locked", "Traceback", "database unavailable", "ERROR")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Timing:
    duration: float
    warmup: float
    concurrency: int
    # 1: every worker signs in as the same user; N: worker i as user i % N.
    login_accounts: int = 1
    max_requests: int = 50_000
    request_timeout: float = 60.0


FULL = Timing(duration=10.0, warmup=2.0, concurrency=16)
QUICK = Timing(duration=3.0, warmup=0.5, concurrency=16)


# --- servers --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """A uvicorn process of our own, its output in a log file, stopped on exit."""

    def __init__(self, name: str, factory: str, env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process: subprocess.Popen[bytes] = subprocess.Popen(
            [
                str(BIN / "uvicorn"),
                "--factory",
                factory,
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--proxy-headers",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, path: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.base_url, timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited early; see {self.log_path}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(path).status_code == 200:
                        return
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s; see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._log.close()

    def log_findings(self) -> list[str]:
        """Each marker found in the log: how often, and the first line that has it."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        found = []
        for marker in _LOG_MARKERS:
            hits = [line.strip() for line in lines if marker in line]
            if hits:
                found.append(f"{marker!r} x{len(hits)}, first: {hits[0][:160]}")
        return found


@contextlib.contextmanager
def serving(
    name: str, factory: str, env: dict[str, str], log_path: Path, ready_path: str
) -> Iterator[Server]:
    server = Server(name, factory, env, log_path)
    try:
        server.wait_ready(ready_path)
        yield server
    finally:
        server.stop()


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env["PYTHONUNBUFFERED"] = "1"
    return env


# --- databases ------------------------------------------------------------------------------


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def database(kind: str, data_dir: Path) -> Iterator[str]:
    """A fresh, empty database of that kind: its URL. A PostgreSQL one is dropped after."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{data_dir / 'accord.db'}"
        return
    name = f"accord_bench_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql+asyncpg://postgres@{HOST}:5432/{name}"
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def migrate(env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(BIN / "alembic"), "upgrade", "head"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"alembic upgrade head failed:\n{done.stdout}{done.stderr}")


# --- seeding --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    email: str
    access_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def _expect(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:300]}"
        )
    return response.json()


def seed(base_url: str, users: int = 3) -> list[Member]:
    """At least three users, the first two paired; the first one's traffic is measured."""
    run = uuid.uuid4().hex[:8]
    names = ["Alice", "Bob", "Carol"] + [f"User{i}" for i in range(4, users + 1)]
    members: list[Member] = []
    with httpx.Client(base_url=base_url, timeout=30.0, trust_env=False) as client:
        for name in names:
            body = _expect(
                client.post(
                    "/api/auth/register",
                    json={
                        "email": f"{name.lower()}-{run}@example.org",
                        "password": PASSWORD,
                        "display_name": name,
                        "timezone": "Europe/Paris",
                    },
                ),
                201,
            )
            members.append(Member(body["user"]["email"], body["access_token"]))
        alice, bob = members[:2]
        invite = _expect(client.post("/api/invites", json={}, headers=alice.headers), 201)
        _expect(
            client.post(f"/api/invites/{invite['code']}/accept", json={}, headers=bob.headers),
            201,
        )
        page = _expect(client.get("/api/dynamics", headers=alice.headers), 200)
        if len(page["items"]) != 1:
            raise RuntimeError(f"expected one dynamic after pairing, got {page}")
    return members


# --- measuring ------------------------------------------------------------------------------


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process and all its threads (Linux /proc), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    after_name = stat.rsplit(")", 1)[1].split()  # field 3 (state) onwards
    return (int(after_name[11]) + int(after_name[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Row:
    database: str
    endpoint: str
    result: Result
    baseline: Result
    server_cpu_s: float | None

    @property
    def rps_ratio(self) -> float:
        return self.result.rps / self.baseline.rps if self.baseline.rps else 0.0

    @property
    def p50_ratio(self) -> float:
        return self.result.p50_ms / self.baseline.p50_ms if self.baseline.p50_ms else 0.0

    @property
    def failed(self) -> int:
        return self.result.errors + self.result.warmup_errors

    @property
    def server_ms_per_request(self) -> float | None:
        sent = self.result.requests + self.result.warmup_requests
        return None if self.server_cpu_s is None or not sent else self.server_cpu_s * 1000 / sent

    @property
    def server_cpu_pct(self) -> float | None:
        wall = self.result.elapsed_s + self.result.warmup_elapsed_s
        return None if self.server_cpu_s is None or not wall else 100 * self.server_cpu_s / wall


def measure(
    timing: Timing,
    server: Server,
    path: str,
    *,
    method: str = "GET",
    json_bodies: Sequence[str] = (),
    headers: dict[str, str] | None = None,
) -> tuple[Result, float | None]:
    """One load run, in a separate process: its result and the server's CPU seconds meanwhile."""
    url = server.base_url + path
    command = [
        sys.executable,
        "-m",
        "bench.load",
        "--url",
        url,
        "--method",
        method,
        "--concurrency",
        str(timing.concurrency),
        "--duration",
        str(timing.duration),
        "--warmup",
        str(timing.warmup),
        "--max-requests",
        str(timing.max_requests),
        "--timeout",
        str(timing.request_timeout),
    ]
    for body in json_bodies:
        command += ["--json", body]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    limit = timing.warmup + timing.duration + 2 * timing.request_timeout + 30
    cpu_before = process_cpu_seconds(server.process.pid)
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=limit, check=False
    )
    cpu_after = process_cpu_seconds(server.process.pid)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed ({done.returncode}):\n{done.stderr}")
    result = Result.from_json(done.stdout.strip().splitlines()[-1])
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return result, cpu


@dataclass
class Section:
    database: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failure: str | None = None


def bench_database(kind: str, timing: Timing, bare: Server, work: Path) -> Section:
    section = Section(kind)
    data_dir = work / f"data-{kind}"
    data_dir.mkdir()
    try:
        with database(kind, data_dir) as url:
            env = base_env() | {
                "DATABASE_URL": url,
                "DATA_DIR": str(data_dir),
                "HOUSEKEEPING": "0",
            }
            log(f"{kind}: alembic upgrade head")
            migrate(env)
            log_path = work / f"app-{kind}.log"
            with serving(f"app ({kind})", "app.main:create_app", env, log_path, "/healthz") as app:
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
                login, cpu = measure(
                    timing, app, "/api/auth/login", method="POST", json_bodies=logins
                )
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


def _maybe(value: float | None, template: str) -> str:
    return "n/a" if value is None else template.format(value)


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
    lines: list[tuple[str, ...]] = [header]
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
                    _maybe(row.server_ms_per_request, "{:.2f}"),
                    _maybe(row.server_cpu_pct, "{:.0f}"),
                    f"{r.client_cpu_pct:.0f}",
                )
            )
        if section.failure:
            lines.append((section.database, "FAILED", *[""] * (len(header) - 2)))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    numeric = set(range(2, len(header)))

    def fmt(line: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(line)
        ]
        return "  ".join(cells).rstrip()

    out = [fmt(header), "  ".join("-" * w for w in widths)]
    out += [fmt(line) for line in lines[1:]]
    return "\n".join(out)


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
