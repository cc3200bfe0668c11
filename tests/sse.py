"""Reading ``GET /api/events`` (Server-Sent Events) as a phone holds it, over a real socket.

Shared by the tests that hold live streams on real app processes (tests/test_live.py,
tests/test_many_processes.py). Every read is bounded by ``PATIENCE``: a bound, not a measure.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx

from tests.helpers import Member

PATIENCE = 10.0  # the most any step may take before the test fails


@dataclass
class Event:
    event: str | None = None
    id: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)


class Listener:
    """An open ``GET /api/events``, read one event at a time."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def _next(self) -> Event | None:
        event = Event()
        seen = False
        async for line in self._lines:
            if line == "":
                if seen:
                    return event
                continue
            seen = True
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                event.comments.append(value)
            elif name == "data":
                event.data += value
            elif name in ("event", "id"):
                setattr(event, name, value)
        return None  # the server ended the stream

    async def next(self) -> Event | None:
        return await asyncio.wait_for(self._next(), PATIENCE)

    async def change(self) -> Event:
        """The next ``change`` event, past keep-alive comments (which never make it wait more
        than ``PATIENCE`` in all)."""

        async def first_change() -> Event:
            while True:
                event = await self._next()
                assert event is not None, "the stream ended before a change came"
                if event.event == "change":
                    return event

        try:
            return await asyncio.wait_for(first_change(), PATIENCE)
        except TimeoutError:
            raise AssertionError(f"no change came within {PATIENCE:.0f}s") from None

    async def ended(self, within_beats: int = 4) -> None:
        """The server ends the stream within a few beats (counted in keep-alives)."""
        pings = 0
        while (event := await self.next()) is not None:
            assert event.event is None, f"a change came instead of the end: {event}"
            pings += event.comments.count("ping")
            assert pings <= within_beats, f"still open after {pings} beats"

    def count_beats(self) -> None:
        """From now on the stream is read in the background as fast as it comes, counting its
        keep-alives in ``beats``. A test takes the count at a moment of its own (a sign-out
        answered) and asks for the end within a few beats of it (``ended_within``): beats that
        were already on their way while a slow request ran are not counted against the end."""
        self.beats = 0
        self._changes: list[Event] = []

        async def read() -> None:
            while (event := await self._next()) is not None:
                if event.event is not None:
                    self._changes.append(event)
                self.beats += event.comments.count("ping")

        self._reader = asyncio.create_task(read())

    async def ended_within(self, since: int, beats: int = 4) -> None:
        """The server ends the stream (with no change before the end) within ``beats`` beats of
        the count ``since`` (see ``count_beats``)."""
        try:
            await asyncio.wait_for(asyncio.shield(self._reader), PATIENCE)
        except TimeoutError:
            raise AssertionError(f"still open {self.beats - since} beats later") from None
        assert self._changes == [], f"a change came instead of the end: {self._changes}"
        assert self.beats - since <= beats, f"ended only {self.beats - since} beats later"

    async def quiet_for_beats(self, beats: int) -> None:
        """Nothing but keep-alives for ``beats`` beats (counted in pings, not seconds)."""
        pings = 0
        while pings < beats:
            event = await self.next()
            assert event is not None, "the stream ended"
            assert event.event is None, f"unexpected event: {event}"
            pings += event.comments.count("ping")


@asynccontextmanager
async def listening(
    client: httpx.AsyncClient,
    *,
    member: Member | None = None,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[Listener]:
    """A stream that is open and follows everything (its ``: open`` line has come)."""
    sent = {**(member.headers if member else {}), **(headers or {})}
    async with client.stream("GET", "/api/events", params=params, headers=sent) as response:
        assert response.status_code == 200, (await response.aread()).decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        listener = Listener(response)
        first = await listener.next()
        assert first is not None and "open" in first.comments
        yield listener


def positions(cursor: str) -> dict[str, int]:
    """A sync cursor read back: where each stream stands."""
    raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    value: dict[str, int] = json.loads(raw)
    return value


async def feed_cursor(client: httpx.AsyncClient, member: Member, cursor: str = "") -> str:
    """Catch ``member`` up on the sync feed; the cursor where it then stands."""
    while True:
        page = await client.get(
            "/api/sync", params={"cursor": cursor, "limit": 500}, headers=member.headers
        )
        assert page.status_code == 200, page.text
        cursor = page.json()["cursor"]
        if not page.json()["has_more"]:
            return cursor
