"""What the benchmarks share: the app and the baseline under uvicorn, fresh databases, a seeded
pair, and one load run in a separate process (``bench.load``).

Used by ``bench.spine`` (login and the dynamics list) and ``bench.history`` (balance and today
against a long history). Everything listens on and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

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
    # 1: every worker signs in as the same user; N: worker i as user i % N (bench.spine).
    login_accounts: int = 1
    max_requests: int = 50_000
    request_timeout: float = 60.0


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


@contextlib.contextmanager
def app_on_fresh_database(
    kind: str, work: Path, extra_env: dict[str, str] | None = None
) -> Iterator[tuple[str, Server]]:
    """A fresh database of this kind, migrated, and the app serving it as `make run` does."""
    data_dir = work / f"data-{kind}"
    data_dir.mkdir()
    with database(kind, data_dir) as url:
        env = (
            base_env()
            | {
                "DATABASE_URL": url,
                "DATA_DIR": str(data_dir),
                "HOUSEKEEPING": "0",
                # Seeding signs up to 64 users from this one address.
                "REGISTER_MAX_PER_ADDRESS_PER_HOUR": "1000",
            }
            | (extra_env or {})
        )
        log(f"{kind}: alembic upgrade head")
        migrate(env)
        log_path = work / f"app-{kind}.log"
        with serving(f"app ({kind})", "app.main:create_app", env, log_path, "/healthz") as app:
            yield url, app


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
    user_id: uuid.UUID

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


@dataclass(frozen=True)
class Pair:
    """The seeded users (the first two are the pair) and the dynamic they share."""

    members: list[Member]
    dynamic_id: uuid.UUID


def expect(response: httpx.Response, status: int) -> Any:
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:300]}"
        )
    return response.json()


def seed_pair(base_url: str, users: int = 3) -> Pair:
    """``users`` users (at least two) registered through the API, the first two paired."""
    run = uuid.uuid4().hex[:8]
    names = ["Alice", "Bob", "Carol"] + [f"User{i}" for i in range(4, users + 1)]
    members: list[Member] = []
    with httpx.Client(base_url=base_url, timeout=30.0, trust_env=False) as client:
        for name in names[: max(2, users)]:
            body = expect(
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
            members.append(
                Member(body["user"]["email"], body["access_token"], uuid.UUID(body["user"]["id"]))
            )
        alice, bob = members[:2]
        invite = expect(client.post("/api/invites", json={}, headers=alice.headers), 201)
        expect(
            client.post(f"/api/invites/{invite['code']}/accept", json={}, headers=bob.headers),
            201,
        )
        page = expect(client.get("/api/dynamics", headers=alice.headers), 200)
        if len(page["items"]) != 1:
            raise RuntimeError(f"expected one dynamic after pairing, got {page}")
    return Pair(members, uuid.UUID(page["items"][0]["id"]))


def seed(base_url: str, users: int = 3) -> list[Member]:
    """At least three users, the first two paired; the first one's traffic is measured."""
    return seed_pair(base_url, max(3, users)).members


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
    unique_headers: Sequence[str] = (),
    expect_status: int = 200,
) -> tuple[Result, float | None]:
    """One load run, in a separate process: its result and the server's CPU seconds meanwhile.

    ``unique_headers`` get a fresh random value on every request (an ``Idempotency-Key``, say);
    a response with another status than ``expect_status`` counts as an error.
    """
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
        "--expect",
        str(expect_status),
    ]
    for body in json_bodies:
        command += ["--json", body]
    for name, value in (headers or {}).items():
        command += ["--header", f"{name}: {value}"]
    for name in unique_headers:
        command += ["--unique-header", name]
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


# --- reporting ------------------------------------------------------------------------------


def maybe(value: float | None, template: str) -> str:
    return "n/a" if value is None else template.format(value)


def table(header: Sequence[str], lines: Sequence[Sequence[str]], text_columns: int = 2) -> str:
    """A plain-text table: the first ``text_columns`` left-aligned, the rest right-aligned."""
    rows = [tuple(header), *(tuple(line) for line in lines)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]

    def fmt(row: tuple[str, ...]) -> str:
        cells = [
            cell.ljust(widths[i]) if i < text_columns else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    out = [fmt(rows[0]), "  ".join("-" * w for w in widths)]
    out += [fmt(row) for row in rows[1:]]
    return "\n".join(out)
