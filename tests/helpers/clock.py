"""A clock the code under test takes: it stands still until the test moves it."""

from __future__ import annotations

import asyncio
from datetime import datetime


class Clock:
    """Reads the instant the test last set, and counts how often it was read.

    The reminder dispatcher reads its clock to plan and again for each batch it dispatches,
    between rounds that the loop paces. ``rounds_read`` waits until the clock has been read
    three more times: whether the loop read it once or twice a round, a whole round (its
    dispatch and the pushes that follow it) has then run at the instant set before the wait.
    """

    def __init__(self, at: datetime) -> None:
        assert at.tzinfo is not None, "an aware instant"
        self._at = at
        self._reads = 0
        self._read = asyncio.Event()

    def __call__(self) -> datetime:
        self._reads += 1
        self._read.set()
        return self._at

    def set(self, at: datetime) -> None:
        assert at.tzinfo is not None, "an aware instant"
        self._at = at

    async def rounds_read(self, *, within: float = 30.0) -> None:
        """Returns once a whole round of the reader has run at the instant now set."""
        wanted = self._reads + 3

        async def reads() -> None:
            while self._reads < wanted:
                self._read.clear()
                await self._read.wait()

        await asyncio.wait_for(reads(), timeout=within)
