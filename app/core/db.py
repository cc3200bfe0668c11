"""Database engine, sessions and the column types every model shares.

SQLite is the embedded default and PostgreSQL the production database; both run the same code.
On SQLite every connection uses WAL, foreign keys, a busy timeout and ``synchronous=FULL`` (an
acknowledged commit survives a power loss; ``SQLITE_SYNCHRONOUS=NORMAL`` trades that for faster
writes), and a session that may write starts with ``BEGIN IMMEDIATE`` so that concurrent
writers queue instead of failing with "database is locked" when a read transaction tries to
upgrade. Within a process they queue on an asyncio lock, in arrival order (``WriterQueue``):
SQLite's own busy handler makes a waiting writer sleep and retry, in sleeps of up to 100 ms and
in no order, which under a few concurrent writers put seconds into the slowest check-ins. The
busy timeout still covers writers of other processes (a backup, the admin commands, a worker).
"""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeDecorator
from sqlalchemy.util.concurrency import await_, in_greenlet
from sqlmodel import Field, SQLModel

from app.core.changes import LOCAL_KEY, LocalChanges
from app.core.config import SQLITE_SYNCHRONOUS_LEVELS, Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata

WRITE_OPTION = "accord_write"
# In a pooled connection's info while its transaction holds the process's write turn.
_WRITE_TURN = "accord_write_turn"


def utcnow() -> datetime:
    return datetime.now(UTC)


# What code that asks "what time is it" takes, so that a test can move time itself.
Clock = Callable[[], datetime]


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always stored in UTC and always read back timezone-aware.

    SQLite has no time zone type; without this, values would come back naive there and aware
    on PostgreSQL, and comparisons between them would fail.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def uuid_pk() -> Any:
    return Field(default_factory=uuid.uuid4, primary_key=True)


def created_at_field() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def make_engine(settings: Settings, writers: WriterQueue | None = None) -> AsyncEngine:
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url,
            connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
        )
        _configure_sqlite(engine, settings, writers or WriterQueue(settings))
        return engine
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=True,
    )


class _Turn:
    """One writer's turn: given back once, by whichever comes first of its connection returning
    to the pool and the task that took it ending."""

    __slots__ = ("on_task_done", "task")

    def __init__(self, task: asyncio.Task[Any] | None) -> None:
        self.task = task
        self.on_task_done: Any = None


class WriterQueue:
    """One SQLite writer at a time in this process, the others waiting their turn in order.

    The turn is taken when a writer's transaction begins (``BEGIN IMMEDIATE``) and given back
    when its connection returns to the pool, which a session does as soon as its transaction
    has committed or rolled back. A connection that begins again while it holds the turn keeps
    it. Waiting longer than the busy timeout is SQLite's own "database is locked" (a 503).

    A turn can never outlive the task that took it: if the task ends (finished, failed, or
    cancelled at any await) while its connection has not come back to the pool, the turn is
    given back then. At worst the next writer then meets SQLite's own lock and waits in the
    busy handler, as it would without this queue; it never waits for a turn nobody holds.
    """

    def __init__(self, settings: Settings) -> None:
        self.timeout_s = settings.sqlite_busy_timeout_ms / 1000
        self._lock = asyncio.Lock()
        self._holder: _Turn | None = None
        self.waiting = 0

    @property
    def held(self) -> bool:
        return self._holder is not None

    def take(self, info: dict[Any, Any]) -> None:
        turn = info.get(_WRITE_TURN)
        if (turn is not None and turn is self._holder) or not in_greenlet():
            return  # already ours, or a synchronous use of the engine (no event loop to wait on)
        self.waiting += 1
        try:
            await_(self._acquire())
        finally:
            self.waiting -= 1
        turn = _Turn(asyncio.current_task())
        self._holder = turn
        info[_WRITE_TURN] = turn
        if turn.task is not None:
            turn.on_task_done = lambda _task: self._give(turn)
            turn.task.add_done_callback(turn.on_task_done)

    async def _acquire(self) -> None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can lose a lock acquired at
        # the moment it is cancelled, and a lost lock is every later writer's 503.
        try:
            async with asyncio.timeout(self.timeout_s):
                await self._lock.acquire()
        except TimeoutError:
            locked = sqlite3.OperationalError("database is locked")
            raise OperationalError("BEGIN IMMEDIATE", None, locked) from None

    def give_back(self, info: dict[Any, Any]) -> None:
        turn = info.pop(_WRITE_TURN, None)
        if turn is not None:
            self._give(turn)

    def _give(self, turn: _Turn) -> None:
        if turn.task is not None and turn.on_task_done is not None:
            turn.task.remove_done_callback(turn.on_task_done)
            turn.on_task_done = None
        if self._holder is turn:  # a turn given back already (by its task's end) is not again
            self._holder = None
            self._lock.release()


def _configure_sqlite(engine: AsyncEngine, settings: Settings, writers: WriterQueue) -> None:
    sync_engine = engine.sync_engine
    busy_timeout_ms = settings.sqlite_busy_timeout_ms
    synchronous = settings.sqlite_synchronous.upper()
    if synchronous not in SQLITE_SYNCHRONOUS_LEVELS:  # it is spelled into a PRAGMA below
        raise ValueError(f"sqlite_synchronous must be one of {SQLITE_SYNCHRONOUS_LEVELS}")

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so that BEGIN is ours to choose.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        if immediate:
            writers.take(conn.info)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    @event.listens_for(sync_engine, "invalidate")
    def _on_invalidate(dbapi_connection: Any, _record: Any, _exc: BaseException | None) -> None:
        _roll_back_before_closing(dbapi_connection)

    @event.listens_for(sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        writers.give_back(record.info)


def _roll_back_before_closing(dbapi_connection: Any) -> None:
    """End the transaction of a connection SQLAlchemy is about to throw away.

    SQLAlchemy invalidates a connection whose statement was cancelled (a request whose client
    left, at whichever await it was) and closes it. But the cancelled statement's cursor is
    still referenced (by the cancellation's traceback), so SQLite closes the connection as a
    "zombie" that keeps its transaction, and SQLite's write lock, until that cursor is garbage
    collected: every later writer waited out the busy timeout and got a 503 (found by
    ``test_a_write_cancelled_at_any_await_gives_its_turn_back``). A ROLLBACK first, queued
    behind the cancelled statement on the driver's thread, leaves the zombie nothing to hold.
    """
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("ROLLBACK")
        cursor.close()
    except Exception:  # noqa: S110 - no transaction was open, or the connection is gone already
        pass


class Database:
    """The engine and two session factories: readers, and writers.

    A writer's transaction still begins lazily, at its first statement, so work done before it
    (hashing a password, say) does not hold SQLite's write lock.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # SQLite's writers in this process, in the order they came (None on PostgreSQL).
        self.writers = WriterQueue(settings) if settings.is_sqlite else None
        self.engine = make_engine(settings, self.writers)
        # Committed changes reach this process's listeners directly on SQLite (one process);
        # on PostgreSQL they travel through NOTIFY to every process (app.core.changes).
        self.local_changes = LocalChanges()
        info = {LOCAL_KEY: self.local_changes} if settings.is_sqlite else {}
        self.reader = async_sessionmaker(self.engine, expire_on_commit=False, info=info)
        self.writer = async_sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True}),
            expire_on_commit=False,
            info=info,
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def dispose(self) -> None:
        await self.engine.dispose()


@asynccontextmanager
async def write_session(db: Database) -> AsyncIterator[AsyncSession]:
    """A session for work outside a request (workers, housekeeping): commit or roll back."""
    async with db.writer() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def insert_new(
    session: AsyncSession, table: Any, rows: list[dict[str, Any]], *, unique: list[str]
) -> int:
    """Insert the rows whose unique key is not taken yet; the others are left as they are."""
    if not rows:
        return 0
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg_stmt = pg_insert(table).values(rows).on_conflict_do_nothing(index_elements=unique)
        result = await session.execute(pg_stmt)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite_stmt = sqlite_insert(table).values(rows).on_conflict_do_nothing(index_elements=unique)
        result = await session.execute(lite_stmt)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
