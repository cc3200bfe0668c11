"""Database engine, sessions and the column types every model shares.

SQLite is the embedded default and PostgreSQL the production database; both run the same code.
On SQLite every connection uses WAL, foreign keys, a busy timeout and ``synchronous=FULL`` (an
acknowledged commit survives a power loss; ``SQLITE_SYNCHRONOUS=NORMAL`` trades that for faster
writes), and a session that may write starts with ``BEGIN IMMEDIATE`` so that concurrent
writers queue on the busy timeout instead of failing with "database is locked" when a read
transaction tries to upgrade.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeDecorator
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


def make_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url,
            connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
        )
        _configure_sqlite(engine, settings)
        return engine
    return create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=True,
    )


def _configure_sqlite(engine: AsyncEngine, settings: Settings) -> None:
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
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """The engine and two session factories: readers, and writers.

    A writer's transaction still begins lazily, at its first statement, so work done before it
    (hashing a password, say) does not hold SQLite's write lock.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = make_engine(settings)
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
