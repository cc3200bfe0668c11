"""``make test`` on a machine where no PostgreSQL lets the suite in: it starts its own.

The outer test runs the suite's own fixtures in a child pytest whose ``TEST_POSTGRES_URL``
names a port where nothing listens. The child runs only the inner test (which is skipped
everywhere else, so it never runs twice): the run's database there was created and migrated on
a private server, which is gone once the child has ended.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from tests import postgres
from tests.conftest import ROOT, _free_port, alembic_config

INNER = "ACCORD_PRIVATE_POSTGRES_REPORT"  # set only in the child: where it writes its findings


async def _migrated_to(url: str) -> tuple[str, bool]:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        version = await conn.fetchval("SELECT version_num FROM alembic_version")
        users = await conn.fetchval("SELECT to_regclass('users') IS NOT NULL")
    finally:
        await conn.close()
    return str(version), bool(users)


@pytest.mark.skipif(INNER not in os.environ, reason="runs only inside the test below")
def test_inner_the_run_database_is_on_a_private_server(
    database_url: str, pg_admin_url: str
) -> None:
    configured = os.environ["TEST_POSTGRES_URL"]
    assert pg_admin_url != configured
    version, users = asyncio.run(_migrated_to(database_url))
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert (version, users) == (head, True)
    Path(os.environ[INNER]).write_text(pg_admin_url)


def test_without_a_server_the_suite_starts_a_private_one(tmp_path: Path) -> None:
    if postgres.bindir() is None:
        pytest.skip("no PostgreSQL server installed (make pg-up installs Debian's postgresql)")
    nowhere = f"postgresql://postgres@127.0.0.1:{_free_port()}/postgres"
    report = tmp_path / "admin_url"
    env = {
        **os.environ,
        "TEST_POSTGRES_URL": nowhere,
        "ACCORD_TEST_DATABASES": "postgresql",
        INNER: str(report),
    }
    child = subprocess.run(  # noqa: S603 - a fixed command line
        [
            *(sys.executable, "-m", "pytest", "-q"),
            f"{Path(__file__).relative_to(ROOT)}::test_inner_the_run_database_is_on_a_private_server",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = child.stdout + child.stderr
    assert child.returncode == 0 and "1 passed" in output, output
    assert "started a private server for this run" in output, output
    private = report.read_text()
    assert private.startswith("postgresql://postgres@127.0.0.1:") and private != nowhere
    # Stopped at the end of the run: nothing answers there any more.
    assert asyncio.run(postgres.refusal(private)) is not None
