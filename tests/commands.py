"""Running the operator's commands (``python -m app.backup``, ``python -m app.admin``) as real
processes, on the test run's database, as an operator would."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The same key as tests.conftest.make_settings: throttle hashes must match the app's.
SECRET_KEY = "test-secret-" + "x" * 40


async def run_module(
    module: str,
    *args: str,
    database_url: str,
    data_dir: Path,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if k not in ("PUBLIC_URL", "DATABASE_URL")},
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data_dir),
        "SECRET_KEY": SECRET_KEY,
        **(env or {}),
    }
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def served_reset_link(server: str, data_dir: Path, email: str) -> str:
    """A reset link made by the operator's command for the browser tests' served app (its
    SQLite database in ``data_dir``), as the command prints it."""
    made = await run_module(
        "app.admin",
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
