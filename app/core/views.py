"""Computed views kept per process, as long as nothing they show can have changed.

Home and the balance are computed from a dozen statements, and read far more often than what
they show changes. Each is kept here as the bytes that were sent, under

- a **key** naming the view and everything it is asked with (the dynamic, the caller when the
  view is the caller's own, the window);
- a **revision**: what the database says about the view's sources *now*, read by the request
  in one statement before it decides (the last change recorded in each stream the view reads,
  see ``app.sync.record``). Every write of something a view shows records a change in one of
  those streams in the same transaction, so an equal revision means equal sources: across
  processes too, as the revision is the database's, not this process's;
- a **horizon**: the first moment the view could read differently with no write at all (a
  need expiring, midnight in a member's zone, the balance's window moving on). From then on
  the entry is not served.

An entry is served only to a request that proved, in that same statement, that the caller may
read the view (the membership): the key says which view, never who may see it.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

# Bytes of the answer and the horizon; ``None`` as horizon means time alone never changes it.
Computed = tuple[bytes, datetime | None]


@dataclass(frozen=True)
class _Entry:
    revision: Hashable
    horizon: datetime | None
    body: bytes


class ViewCache:
    """A bounded store (least recently used goes first) of computed views in one process."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable, revision: Hashable, now: datetime) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.revision != revision or (entry.horizon is not None and now >= entry.horizon):
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry.body

    def put(self, key: Hashable, revision: Hashable, body: bytes, horizon: datetime | None) -> None:
        self._entries[key] = _Entry(revision, horizon, body)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    async def through(
        self,
        key: Hashable,
        revision: Hashable,
        now: datetime,
        compute: Callable[[], Awaitable[Computed]],
    ) -> bytes:
        """The kept view, or ``compute`` it (in the caller's transaction) and keep it."""
        body = self.get(key, revision, now)
        if body is None:
            body, horizon = await compute()
            if horizon is None or horizon > now:
                self.put(key, revision, body, horizon)
        return body
