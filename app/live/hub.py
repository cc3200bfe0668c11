"""The open event streams of this process, and how committed changes reach them.

Every committed change is announced as ``"<stream> <seq>"`` (``app.core.changes``). The hub
hears the announcements — through one ``LISTEN`` connection per process on PostgreSQL, so a
change written by any app process or worker reaches every process; straight from the
``Database`` on SQLite — and wakes the open streams that follow that change stream.

A beat, every ``live_heartbeat_seconds``, does the rest with one query per process, however
many streams are open: it ends the streams whose device session was signed out or revoked (so
they end within one beat), and those past their lifetime (one access token's), asks every
other stream to send a keep-alive comment, and checks that the ``LISTEN`` connection still
answers. A lost connection is opened again, and every open stream then looks at the database
once, so that nothing announced while nobody listened is missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import make_url
from sqlmodel import col, select

from app.accounts.models import AuthSession
from app.core import changes
from app.core.config import Settings
from app.core.db import Database, utcnow
from app.core.errors import AppError
from app.sync.models import ChangeStream

log = logging.getLogger("accord.live")

Clock = Callable[[], datetime]
_SESSION_CHECK_CHUNK = 1000
_RECONNECT_FIRST = 0.5
_RECONNECT_MAX = 10.0
_LISTENER_ANSWER_SECONDS = 5.0
# How the LISTEN connection shows in pg_stat_activity.
APPLICATION_NAME = "accord-live"


class Stream:
    """One open ``GET /api/events``: what it follows, where those streams stand, what woke it."""

    def __init__(self, user_id: uuid.UUID, session_id: uuid.UUID, deadline: datetime) -> None:
        self.user_id = user_id
        self.session_id = session_id
        self.deadline = deadline
        self.follows: frozenset[str] = frozenset()
        # The newest change number known per change stream: the cursor the client is told.
        self.positions: dict[str, int] = {}
        self.moved = False
        # Look at the database again: the person may be in a new dynamic, or announcements
        # may have been missed while the LISTEN connection was down.
        self.reload = True
        self.ping = False
        self.ended: str | None = None
        self._wake = asyncio.Event()

    @property
    def own_stream(self) -> str:
        return f"u:{self.user_id}"

    def wake(self) -> None:
        self._wake.set()

    async def wait(self) -> None:
        await self._wake.wait()
        self._wake.clear()

    def end(self, reason: str) -> None:
        self.ended = reason
        self.wake()

    def advance(self, stream: str, seq: int) -> None:
        if seq > self.positions.get(stream, 0):
            self.positions[stream] = seq
            self.moved = True


class Hub:
    def __init__(self, db: Database, settings: Settings, clock: Clock = utcnow) -> None:
        self._db = db
        self._settings = settings
        self._clock = clock
        self._open: set[Stream] = set()
        self._following: dict[str, set[Stream]] = defaultdict(set)
        self._tasks: list[asyncio.Task[None]] = []
        self._catching_up: set[asyncio.Task[None]] = set()
        self._unsubscribe: Callable[[], None] | None = None
        self._listener: asyncpg.Connection | None = None

    # --- life of the hub ------------------------------------------------------------------------

    async def start(self) -> None:
        if self._db.dialect == "postgresql":
            self._tasks.append(asyncio.create_task(self._listen_forever()))
        else:
            self._unsubscribe = self._db.local_changes.subscribe(self.deliver)
        self._tasks.append(asyncio.create_task(self._beat_forever()))

    async def stop(self) -> None:
        for stream in list(self._open):
            stream.end("shutdown")
        if self._unsubscribe is not None:
            self._unsubscribe()
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    # --- streams --------------------------------------------------------------------------------

    def open(self, user_id: uuid.UUID, session_id: uuid.UUID) -> Stream:
        held = sum(1 for s in self._open if s.user_id == user_id)
        if held >= self._settings.live_max_streams_per_user:
            raise AppError(
                429,
                "too_many_streams",
                f"you already have {held} live streams open; close one (another tab or device)",
                headers={"Retry-After": str(max(1, round(self._settings.live_heartbeat_seconds)))},
            )
        lifetime = timedelta(minutes=self._settings.access_token_minutes)
        stream = Stream(user_id, session_id, self._clock() + lifetime)
        self._open.add(stream)
        return stream

    def follow(self, stream: Stream, names: set[str]) -> None:
        """Wake ``stream`` for changes of exactly these change streams from now on."""
        for name in stream.follows - names:
            self._unfollow(stream, name)
        for name in names:
            self._following[name].add(stream)
        stream.follows = frozenset(names)

    def close(self, stream: Stream) -> None:
        self._open.discard(stream)
        for name in stream.follows:
            self._unfollow(stream, name)

    def _unfollow(self, stream: Stream, name: str) -> None:
        followers = self._following.get(name)
        if followers is not None:
            followers.discard(stream)
            if not followers:
                del self._following[name]

    @property
    def open_count(self) -> int:
        return len(self._open)

    def deliver(self, announcements: list[str]) -> None:
        """Committed changes: wake every stream that follows one of them."""
        for announcement in announcements:
            parsed = changes.parse(announcement)
            if parsed is None:
                continue
            name, seq = parsed
            for stream in self._following.get(name, ()):
                stream.advance(name, seq)
                if name == stream.own_stream:
                    # A change of the person's own stream may be a new dynamic (an accepted
                    # invite tells the inviter so): look up what they follow.
                    stream.reload = True
                stream.wake()

    # --- the beat -------------------------------------------------------------------------------

    async def _beat_forever(self) -> None:
        # On a fixed schedule: a slow beat does not push the next keep-alive later.
        loop = asyncio.get_running_loop()
        interval = self._settings.live_heartbeat_seconds
        due = loop.time()
        while True:
            due = max(due + interval, loop.time())
            await asyncio.sleep(due - loop.time())
            try:
                await self.beat()
            except Exception:  # a failed beat (database away) must not stop the next one
                log.exception("live: beat failed")

    async def beat(self) -> None:
        """Ask every stream for a keep-alive, then end what should end and check the LISTEN
        connection. The keep-alive goes first, so that a slow or absent database never keeps
        proxies from hearing from a stream."""
        checked = list(self._open)
        for stream in checked:
            stream.ping = True
            stream.wake()
        if checked:
            now = self._clock()
            # Only the streams whose sessions are asked about: one opened while the query runs
            # is not judged by it (it was checked when it opened).
            live = await self._live_sessions({s.session_id for s in checked})
            for stream in checked:
                if stream.ended is not None:
                    continue
                if stream.session_id not in live:
                    stream.end("signed_out")
                elif stream.deadline <= now:
                    stream.end("expired")
        await self._check_listener()

    async def _live_sessions(self, ids: set[uuid.UUID]) -> set[uuid.UUID]:
        now = self._clock()
        ordered = sorted(ids, key=str)
        live: set[uuid.UUID] = set()
        async with self._db.reader() as session:
            for start in range(0, len(ordered), _SESSION_CHECK_CHUNK):
                chunk = ordered[start : start + _SESSION_CHECK_CHUNK]
                rows = await session.execute(
                    select(AuthSession.id).where(
                        col(AuthSession.id).in_(chunk),
                        col(AuthSession.revoked_at).is_(None),
                        col(AuthSession.expires_at) > now,
                    )
                )
                live.update(rows.scalars())
        return live

    # --- PostgreSQL: one LISTEN connection per process ------------------------------------------

    def _dsn(self) -> str:
        url = make_url(self._settings.database_url).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    async def _listen_forever(self) -> None:
        delay = _RECONNECT_FIRST
        while True:
            conn: asyncpg.Connection | None = None
            lost = asyncio.Event()
            try:
                conn = await asyncpg.connect(
                    self._dsn(), timeout=10, server_settings={"application_name": APPLICATION_NAME}
                )
                conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await conn.add_listener(changes.CHANNEL, self._on_notify)
                self._listener = conn
                delay = _RECONNECT_FIRST
                # Whatever was committed while nobody listened (before the first connection,
                # or since the last one was lost): every open stream looks again.
                self.resync()
                await lost.wait()
                log.warning("live: the LISTEN connection was lost; opening it again")
            except Exception as exc:  # whatever it was, the listener must come back
                reason = type(exc).__name__
                log.warning("live: cannot LISTEN (%s); retrying in %.1f s", reason, delay)
            finally:
                self._listener = None
                if conn is not None and not conn.is_closed():
                    conn.terminate()
            await asyncio.sleep(delay)
            delay = min(delay * 2, _RECONNECT_MAX)

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.deliver([payload])

    async def _check_listener(self) -> None:
        """A connection cut without a word (a dropped network) shows as no answer here."""
        conn = self._listener
        if conn is None:
            return
        try:
            await asyncio.wait_for(conn.fetchval("SELECT 1"), _LISTENER_ANSWER_SECONDS)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            conn.terminate()

    def resync(self) -> None:
        """After announcements may have been missed: every open stream catches up."""
        if self._open:
            task = asyncio.create_task(self._catch_up())
            self._catching_up.add(task)
            task.add_done_callback(self._catching_up.discard)

    async def _catch_up(self) -> None:
        # One query for every followed stream's head, however many streams are open (one look
        # per stream would ask the pool for a thousand connections at once), then delivered
        # as if announced: a stream wakes only if one of its streams moved.
        names = sorted(self._following)
        heads: list[str] = []
        try:
            async with self._db.reader() as session:
                for start in range(0, len(names), _SESSION_CHECK_CHUNK):
                    rows = await session.execute(
                        select(ChangeStream.stream, ChangeStream.seq).where(
                            col(ChangeStream.stream).in_(
                                names[start : start + _SESSION_CHECK_CHUNK]
                            )
                        )
                    )
                    heads += [f"{name} {seq}" for name, seq in rows.all()]
        except Exception:  # the database is away: each stream looks again on its own
            log.exception("live: catching up after a lost LISTEN connection failed")
            for stream in self._open:
                stream.reload = True
                stream.wake()
            return
        self.deliver(heads)
