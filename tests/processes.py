"""The app as a deployment runs it: ``uvicorn`` app processes and ``python -m
app.worker`` reminder workers, each a real process on the run's database.

Used by the tests that talk to them over real sockets (tests/test_live.py,
tests/test_many_processes.py, the browser tests' ``served`` app in tests/conftest.py). A
process's output goes to a log file next to its data directory, read back when it fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.conftest import ROOT, _free_port

# What the processes must not inherit from the shell running the suite: settings the tests set
# themselves, and proxies (every request goes straight to 127.0.0.1).
SCRUBBED_ENV = {
    "DATABASE_URL",
    "DATA_DIR",
    "SECRET_KEY",
    "VAPID_PRIVATE_KEY",
    "VAPID_SUBJECT",
    "PUSH_ALLOW_INSECURE_ENDPOINTS",
    "HOUSEKEEPING",
    "DISPATCHER",
    "DB_POOL_SIZE",
    "DB_MAX_OVERFLOW",
    "DB_POOL_TIMEOUT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
}
# How long an app process may take to answer /healthz before the test gives up on it.
STARTUP_SECONDS = 60.0
# What must not appear in a process's log: a failed round, a refused push, any traceback.
BAD_MARKERS = (" ERROR ", " WARNING ", " CRITICAL ", "Traceback")


@dataclass
class Process:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def problems(self) -> list[str]:
        return [line for line in self.output().splitlines() if any(m in line for m in BAD_MARKERS)]


@dataclass
class Server(Process):
    base: str


def base_env(database_url: str, data_dir: Path, **env: str) -> dict[str, str]:
    """The environment of every test process: the run's database, cheap password hashing, no
    dispatcher or housekeeping inside the app, and sign-ups from one address not throttled."""
    values = {k: v for k, v in os.environ.items() if k.upper() not in SCRUBBED_ENV}
    values.update(
        {
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            # One key for all: the throttle hashes and idempotency fingerprints are keyed by it.
            "SECRET_KEY": "process-test-" + "x" * 40,
            "DISPATCHER": "0",
            "HOUSEKEEPING": "0",
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_KIB": "1024",
            # The phones' key wraps: one pass of 8 MiB (a browser sign-up redid 64 MiB).
            "KEY_WRAP_OPS_LIMIT": "1",
            "KEY_WRAP_MEMORY_KIB": "8192",
            # Every test signs people up from this one address.
            "REGISTER_MAX_PER_ADDRESS_PER_HOUR": "10000",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
    )
    return values


def start_server(database_url: str, data_dir: Path, name: str, **env: str) -> Server:
    """An app process (uvicorn) on a free port, answering ``/healthz``; ``env`` on top."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log = data_dir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [
                *(sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app"),
                *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
            ],
            cwd=ROOT,
            env=base_env(database_url, data_dir, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, process, log, f"http://127.0.0.1:{port}")
    # A bound, not a measure: on a busy machine a start (imports, the engine) can take long.
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{server.base}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    process.wait()
    raise RuntimeError(f"{name} did not start:\n{server.output()}")


def start_worker(
    database_url: str,
    data_dir: Path,
    name: str,
    *,
    env: dict[str, str] | None = None,
    interval: float = 0.2,
) -> Process:
    """A reminder worker (``python -m app.worker``) claiming every ``interval`` s,
    ``env`` on top of the usual environment."""
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [sys.executable, "-m", "app.worker", "--interval", str(interval)],
            cwd=ROOT,
            env=base_env(database_url, data_dir, **(env or {})),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Process(name, process, log)


def stop(started: Process, timeout: float = 15) -> int:
    """SIGTERM, then SIGKILL if it is still running after ``timeout`` s; its exit code."""
    if started.process.poll() is None:
        started.process.send_signal(signal.SIGTERM)
        try:
            started.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            started.process.kill()
            started.process.wait()
    return started.process.returncode


def vapid_private_pem() -> str:
    """A fresh VAPID key: every process that sends pushes must share one."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
