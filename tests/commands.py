"""Running the operator's commands (``python -m app.backup``, ``python -m app.admin``) on the
test run's database, as an operator would: as real processes, or ``app.admin`` in this process
through the same entry (``admin_in_process``)."""

from __future__ import annotations

import asyncio
import io
import os
import re
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from app import admin
from app.core.config import Settings

ROOT = Path(__file__).resolve().parent.parent
# The same key as tests.conftest.make_settings: throttle hashes must match the app's.
SECRET_KEY = "test-secret-" + "x" * 40


def _environment_of(
    database_url: str, data_dir: Path, env: dict[str, str] | None
) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k not in ("PUBLIC_URL", "DATABASE_URL")},
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": SECRET_KEY,
        **(env or {}),
    }


async def run_module(
    module: str,
    *args: str,
    database_url: str,
    data_dir: Path,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=_environment_of(database_url, data_dir, env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def admin_in_process(
    *args: str, database_url: str, data_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m app.admin`` as ``main`` runs it (the same parser, settings from the same
    environment, the same exit status and output), in this process: a real process costs ~2 s
    of Python's start, and each command keeps one test that runs it as a process."""
    settings = Settings.from_env(_environment_of(database_url, data_dir, env))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            status = await admin.command(admin.parser().parse_args(args), settings)
        except SystemExit as stopped:  # argparse's usage errors
            status = int(stopped.code or 0)
    return subprocess.CompletedProcess(list(args), status, out.getvalue(), err.getvalue())


async def served_reset_link(server: str, data_dir: Path, email: str) -> str:
    """A reset link made by the operator's command for the browser tests' served app (its
    SQLite database in ``data_dir``), as the command prints it."""
    made = await admin_in_process(
        "reset-password",
        email,
        database_url=f"sqlite+aiosqlite:///{data_dir / 'accord.db'}",
        data_dir=data_dir,
        env={"PUBLIC_URL": server},
    )
    assert made.returncode == 0, made.stderr
    match = re.search(rf"{re.escape(server)}/#/reset/\S+", made.stdout)
    assert match, made.stdout
    return match.group(0)
