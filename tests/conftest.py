"""The suite runs against real databases: SQLite and PostgreSQL.

Every test that uses the app runs once per database (``[sqlite]`` / ``[postgresql]`` in its id).
Each run builds its schema with ``alembic upgrade head`` in a fresh database, and every test
starts from empty tables. ``ACCORD_TEST_DATABASES=sqlite`` narrows a quick local run.

PostgreSQL is the server at ``TEST_POSTGRES_URL`` (the machine's at 127.0.0.1:5432 by default)
when it lets the suite in, and otherwise a private one started for the run (tests/postgres.py).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sqlite3
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from alembic import command
from alembic.config import Config
from fastapi import FastAPI
from playwright.async_api import Browser, Playwright, async_playwright
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import Settings
from app.core.db import Clock, metadata, utcnow
from app.main import create_app
from tests import postgres
from tests.helpers import Member, pair, register
from tests.push_service import PushService

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = [b for b in os.environ.get("ACCORD_TEST_DATABASES", "sqlite,postgresql").split(",") if b]
# Where the suite looks for PostgreSQL first (see ``pg_admin_url``).
CONFIGURED_PG_URL = os.environ.get("TEST_POSTGRES_URL") or postgres.DEFAULT_URL


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", url)
    cfg.attributes["configure_logging"] = False
    return cfg


async def _pg_admin(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pg_database_url(admin_url: str, name: str) -> str:
    """The app's URL of database ``name`` on the server of ``admin_url``."""
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}"


# What the run's summary says about PostgreSQL when the suite had to start its own.
_PG_NOTES: list[str] = []


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """An admin URL of the PostgreSQL server of this run: the configured one when it lets the
    suite in, or else a private server started for the run and stopped at its end.

    Asked for only when a PostgreSQL database is needed, so a SQLite-only run starts nothing."""
    refused = asyncio.run(postgres.refusal(CONFIGURED_PG_URL))
    if refused is None:
        yield CONFIGURED_PG_URL
        return
    with postgres.private_server() as url:
        _PG_NOTES.append(
            f"no PostgreSQL lets the suite in at {CONFIGURED_PG_URL} ({refused}); "
            f"started a private server for this run at {url}"
        )
        yield url


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _PG_NOTES:
        terminalreporter.write_sep("-", "PostgreSQL")
        for note in _PG_NOTES:
            terminalreporter.write_line(note)


@pytest.fixture(scope="session")
def _migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database made by ``alembic upgrade head`` once per worker, which the worker's
    SQLite database and each browser module's served app start from as a copy (the migrations
    took ~0.5 s of CPU each time)."""
    path = tmp_path_factory.mktemp("sqlite-template") / "accord.db"
    command.upgrade(alembic_config(f"sqlite+aiosqlite:///{path}"), "head")
    return path


def _copy_sqlite(template: Path, to: Path) -> None:
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(to)) as copy:
        source.backup(copy)


@pytest.fixture(scope="session")
def _sqlite_database(tmp_path_factory: pytest.TempPathFactory, _migrated_sqlite: Path) -> str:
    """The worker's SQLite database (see ``database_url``)."""
    path = tmp_path_factory.mktemp("sqlite") / "accord.db"
    _copy_sqlite(_migrated_sqlite, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
def _postgresql_database(pg_admin_url: str) -> Iterator[str]:
    """The worker's PostgreSQL database, migrated once and dropped at the session's end."""
    name = f"accord_test_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_admin(pg_admin_url, f'CREATE DATABASE "{name}"'))
    try:
        # Throwaway data: a commit on it need not wait for the WAL's flush (as on the private
        # server, tests/postgres.py); set on this database only, the server's others keep theirs.
        asyncio.run(
            _pg_admin(pg_admin_url, f'ALTER DATABASE "{name}" SET synchronous_commit = off')
        )
        url = pg_database_url(pg_admin_url, name)
        command.upgrade(alembic_config(url), "head")
        yield url
    finally:
        asyncio.run(_pg_admin(pg_admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _empty_every_table(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            if not url.startswith("sqlite"):
                # A connection an earlier file left holding a lock fails this loudly, not forever.
                await conn.execute(text("SET LOCAL lock_timeout = '30s'"))
            for table in reversed(metadata.sorted_tables):
                await conn.execute(text(f"DELETE FROM {table.name}"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of the worker's database of this backend, its schema made by ``alembic upgrade
    head``. pytest sets a parametrized session fixture up again each time the tests switch to
    its other value, which under ``--dist loadfile`` (``make test``) is at every file: its
    SQLite tests, then its PostgreSQL ones. The database itself is made once per worker (a new
    one each time cost ~100 s of worker time) and emptied here, so that such a file starts from
    empty tables as if it were new. (A run in one process orders all SQLite tests first: files
    then share the database between switches, each test emptied after it by ``_empty_tables``
    when it used the app.)"""
    url: str = request.getfixturevalue(f"_{request.param}_database")
    asyncio.run(_empty_every_table(url))
    return url


def make_settings(url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": url,
        "secret_key": "test-secret-" + "x" * 40,
        # Real argon2id, cheap parameters: the suite hashes hundreds of passwords.
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        # Key wraps, too: one pass of 8 MiB (the defaults, 2 of 64 MiB, have their own test).
        "key_wrap_ops_limit": 1,
        "key_wrap_memory_kib": 8192,
        "housekeeping": False,
        # The in-process suite's SQLite skips the fsync of each commit (WAL with NORMAL still
        # survives a crash of the process; only a power loss could take the last commits). So
        # does the browser tests' app; the processes of the crash tests keep the default, FULL.
        "sqlite_synchronous": "NORMAL",
        "dispatcher": False,  # tests dispatch explicitly, at the moments they choose
        # Every test client signs up from one address; the limit has its own tests.
        "register_max_per_address_per_hour": 10_000,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
async def app(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[FastAPI]:
    application = create_app(make_settings(database_url, tmp_path_factory.mktemp("data")))
    yield application
    await application.state.db.dispose()


@pytest.fixture
def backend(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgresql"


@pytest.fixture(autouse=True)
async def _empty_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    yield
    if "app" not in request.fixturenames:
        return
    application: FastAPI = request.getfixturevalue("app")
    # DELETE, children first, on both databases: a test leaves a few rows, and PostgreSQL's
    # TRUNCATE (new files for every table) took about 0.3 s a test where DELETE takes 0.05 s.
    # One script, sent as one: a statement each through SQLAlchemy cost ~14 ms a test.
    script = "".join(f"DELETE FROM {t.name};" for t in reversed(metadata.sorted_tables))
    async with application.state.db.engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        if isinstance(driver, asyncpg.Connection):
            await driver.execute(script)  # no arguments: one simple query, its own transaction
        else:  # aiosqlite, in one call (the app's connections run in autocommit mode)
            await driver.executescript(f"BEGIN IMMEDIATE;{script}COMMIT;")


@asynccontextmanager
async def app_on(
    database_url: str, data_dir: Path, *, clock: Clock = utcnow, **settings: object
) -> AsyncIterator[FastAPI]:
    """Another app (another worker) on the run's database."""
    application = create_app(make_settings(database_url, data_dir, **settings), clock=clock)
    yield application
    await application.state.db.dispose()


@asynccontextmanager
async def asgi_client(application: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app in this process, over ASGI."""
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(app) as c:
        yield c


@pytest.fixture
async def alice(client: httpx.AsyncClient) -> Member:
    return await register(client, "Alice")


@pytest.fixture
async def bob(client: httpx.AsyncClient) -> Member:
    return await register(client, "Bob")


@pytest.fixture
async def eve(client: httpx.AsyncClient) -> Member:
    """The outsider: signed in, but in none of Alice and Bob's dynamics."""
    return await register(client, "Eve")


@pytest.fixture
async def dynamic_id(client: httpx.AsyncClient, alice: Member, bob: Member) -> str:
    return await pair(client, alice, bob)


# --- Web Push: the push service inside the suite (tests/push_service.py) ------------------------


@pytest.fixture(scope="session")
def push_service_server() -> Iterator[PushService]:
    service = PushService()
    service.start()
    yield service
    service.stop()


@pytest.fixture
def push_service(push_service_server: PushService) -> Iterator[PushService]:
    yield push_service_server
    push_service_server.reset()


@pytest.fixture
async def push_app(app: FastAPI, database_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    """The app on the run's database, accepting the local push service's http endpoints.

    It asks for ``app`` so that the suite empties the tables after each test."""
    async with app_on(
        database_url, tmp_path / "data", push_allow_insecure_endpoints=True
    ) as application:
        yield application


@pytest.fixture
async def push_client(push_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(push_app) as c:
        yield c


# The browser tests' fixtures (helpers are in tests/browser.py).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """The app served for a module's browser tests."""

    url: str
    data_dir: Path  # its SQLite database is data_dir / "accord.db"
    frontend_dir: Path  # what it serves at /: a copy of frontend/ under ``frontend_copy``


def _chromium_or_skip() -> None:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run `make browser-deps`")


@contextmanager
def _serving(home: Path, template: Path, *, frontend_copy: bool) -> Iterator[Served]:
    """The real app in its own process under ``home``, on a copy of the migrated ``template``
    (SQLite), serving the web app from frontend/ or from a copy of it."""
    # tests/processes.py imports this module for ROOT and _free_port.
    from tests.processes import start_server, stop

    data_dir = home / "data"
    data_dir.mkdir()
    url = f"sqlite+aiosqlite:///{data_dir / 'accord.db'}"
    _copy_sqlite(template, data_dir / "accord.db")
    # No fsync per commit, as in the in-process suite (see make_settings): no browser test
    # pulls the plug on this server.
    env: dict[str, str] = {"SQLITE_SYNCHRONOUS": "NORMAL"}
    frontend_dir = ROOT / "frontend"
    if frontend_copy:
        frontend_dir = home / "frontend"
        shutil.copytree(ROOT / "frontend", frontend_dir)
        env["FRONTEND_DIR"] = str(frontend_dir)
    process = start_server(url, data_dir, "browser-app", **env)
    try:
        yield Served(process.base, data_dir, frontend_dir)
    finally:
        stop(process)


@pytest.fixture(scope="session")
def _served_by_worker(
    tmp_path_factory: pytest.TempPathFactory, _migrated_sqlite: Path
) -> Iterator[Served]:
    with _serving(tmp_path_factory.mktemp("served"), _migrated_sqlite, frontend_copy=False) as app:
        yield app


@pytest.fixture(scope="module")
def served(database_url: str, request: pytest.FixtureRequest) -> Iterator[Served]:
    """The real app in its own process, on its own SQLite database, started once per worker
    for the browser tests (an app process cost ~2 s of CPU to start, once per module before):
    each test signs up people of its own (unique emails) in phones of its own, so none depends
    on what an earlier test, of its module or another, stored. A module marked
    ``frontend_copy`` gets an app of its own, serving a copy of the web app that its tests may
    change."""
    if not database_url.startswith("sqlite"):
        pytest.skip("browser tests run on SQLite only; the API suite covers PostgreSQL")
    _chromium_or_skip()
    if request.node.get_closest_marker("frontend_copy"):
        home = request.getfixturevalue("tmp_path_factory").mktemp("served")
        template = request.getfixturevalue("_migrated_sqlite")
        with _serving(home, template, frontend_copy=True) as own:
            yield own
    else:
        yield request.getfixturevalue("_served_by_worker")


@pytest.fixture(scope="module")
def server(served: Served) -> str:
    """The base URL of the browser tests' app (see ``served``)."""
    return served.url


@pytest.fixture(autouse=True)
async def _phones_closed(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """The phones (browser contexts) a browser test left open, when it failed before closing
    them, closed after it: Chromium outlives the module, and they would go on polling."""
    yield
    if "browser" not in request.fixturenames:
        return
    launched: Browser = request.getfixturevalue("browser")
    for context in launched.contexts:
        await context.close()


# What no test looks at and every phone pays for: headless Chromium gives each context a
# browser window whose address bar's popups are two WebUI renderers of their own, about a tenth
# of Chromium's CPU in the browser tests.
CHROMIUM_UNUSED_FEATURES = ("WebUIOmniboxPopup", "WebUIOmniboxAimPopup")


async def _features_disabled(playwright: Playwright) -> str:
    """``--disable-features=`` with Playwright's own list and ours. Chromium keeps only the
    last such switch, so ours alone would undo Playwright's (which its screenshots and routes
    rely on): the list is read from a first, short launch's command line."""
    probe = await playwright.chromium.launch(
        executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, "--enable-automation"], headless=True
    )
    try:
        cdp = await probe.new_browser_cdp_session()
        arguments: list[str] = (await cdp.send("Browser.getBrowserCommandLine"))["arguments"]
    finally:
        await probe.close()
    playwrights = [a.split("=", 1)[1] for a in arguments if a.startswith("--disable-features=")]
    return "--disable-features=" + ",".join([*playwrights[-1:], *CHROMIUM_UNUSED_FEATURES])


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Chromium, launched once per worker for its browser tests; each test opens contexts
    (phones) of its own, which share no storage."""
    _chromium_or_skip()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, await _features_disabled(playwright)],
            headless=True,
        )
        try:
            yield launched
        finally:
            await launched.close()
