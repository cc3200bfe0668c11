"""Running the operator's commands (``python -m app.backup``, ``python -m app.admin``) as real
processes, on the test run's database, as an operator would."""

from __future__ import annotations

import asyncio
import os
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
