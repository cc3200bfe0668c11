"""Finding a PostgreSQL server for the suite, or starting a private one for the run.

The suite uses the server at ``TEST_POSTGRES_URL`` (by default the machine's, at
``postgresql://postgres@127.0.0.1:5432/postgres``) when it answers there and lets the suite in.
When it does not (nothing listens, or it asks for a password the suite does not have), the
suite starts a throwaway server of its own: Debian's ``initdb`` and ``pg_ctl`` (from
``/usr/lib/postgresql/<version>/bin``) into a fresh temporary directory, trust authentication,
on a free port of 127.0.0.1, durability off (nothing in it outlives the run), then stopped and
deleted at the end. ``initdb`` refuses to run as root, so as root the server runs as the
``postgres`` system user that Debian's ``postgresql`` package creates.
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SERVER_USER = "postgres"
# Throwaway data: no fsync, and room for the suite's app processes and workers.
SERVER_OPTIONS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
)


class NoServer(RuntimeError):
    """No PostgreSQL answers and none can be started here."""


async def refusal(url: str) -> str | None:
    """Why the server at ``url`` does not let the suite in, or None when it does."""
    try:
        conn = await asyncpg.connect(url, timeout=5)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        return f"{type(error).__name__}: {error}"
    await conn.close()
    return None


def bindir() -> Path | None:
    """Where the newest installed server's ``initdb`` and ``pg_ctl`` are."""

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(n) for n in re.findall(r"\d+", path.parent.parent.name))

    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=version)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")  # another distribution's layout
    return Path(initdb).resolve().parent if initdb else None


def _as_server_user(argv: list[str]) -> list[str]:
    """The command line, run as the ``postgres`` user when we are root."""
    if os.geteuid() != 0:
        return argv
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVER_USER, "--", *argv]
    return ["su", SERVER_USER, "-s", "/bin/sh", "-c", shlex.join(argv)]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(argv: list[str], what: str, cwd: Path) -> None:
    # In a directory the server's user may enter (not the suite's, when that is root's).
    done = subprocess.run(  # noqa: S603 - fixed command lines
        argv, capture_output=True, text=True, check=False, cwd=cwd
    )
    if done.returncode != 0:
        raise NoServer(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


@contextmanager
def private_server() -> Iterator[str]:
    """A PostgreSQL server for this run only: its admin URL while the block runs."""
    bin_dir = bindir()
    if bin_dir is None:
        raise NoServer(
            "no PostgreSQL server is installed to start a private one: `make pg-up` installs "
            "Debian's postgresql package (or set TEST_POSTGRES_URL, or run only SQLite with "
            "ACCORD_TEST_DATABASES=sqlite)"
        )
    # Not under pytest's temporary directory: that one is private to us, and as root the
    # server runs as another user, who must be able to reach its directory.
    base = Path(tempfile.mkdtemp(prefix="accord-pg-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam(SERVER_USER)
        except KeyError:
            shutil.rmtree(base)
            raise NoServer(
                "initdb refuses to run as root and there is no postgres user to run it as: "
                "install Debian's postgresql package (`make pg-up`)"
            ) from None
        os.chown(base, user.pw_uid, user.pw_gid)
    data, log = base / "data", base / "server.log"
    started = False
    try:
        _run(
            _as_server_user(
                [
                    str(bin_dir / "initdb"),
                    *("-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8"),
                    *("--no-locale", "--no-sync"),
                ]
            ),
            "initdb",
            base,
        )
        # A free port may be taken between looking and listening: try another then.
        for attempt in range(3):
            port = _free_port()
            options = f"-h 127.0.0.1 -p {port} -k {base} {SERVER_OPTIONS}"
            argv = [str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-t", "60"]
            try:
                _run(_as_server_user([*argv, "-o", options, "start"]), "pg_ctl start", base)
            except NoServer:
                if attempt == 2:
                    raise NoServer(log.read_text(errors="replace")) from None
                continue
            started = True
            break
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        if started:
            subprocess.run(  # noqa: S603 - a fixed command line
                _as_server_user(
                    [str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
                ),
                capture_output=True,
                check=False,
                cwd=base,
            )
        shutil.rmtree(base, ignore_errors=True)
