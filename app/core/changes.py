"""Telling running processes that a change was committed, and only once it was.

A writer ``announce``s each change it records (a stream's name and the change's number). The
announcements travel only if the writing transaction commits:

- on PostgreSQL they are sent with ``pg_notify`` inside that transaction, just before its
  COMMIT: PostgreSQL delivers a notification only when the transaction commits, to every
  session that ``LISTEN``s on the channel, in commit order — whichever process wrote it;
- on SQLite (one app process) they are handed, right after the COMMIT, to the callbacks
  subscribed to the ``Database``'s ``LocalChanges``.

An announcement is ``"<stream> <seq>"``: no content, only where to look.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session

CHANNEL = "accord_changes"
PENDING_KEY = "accord.changes.pending"
LOCAL_KEY = "accord.changes.local"

Listener = Callable[[list[str]], None]


class LocalChanges:
    """Callbacks that hear of committed changes in this process (SQLite's channel)."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def publish(self, announcements: list[str]) -> None:
        for listener in list(self._listeners):
            listener(announcements)


def announce(session: Any, stream: str, seq: int) -> None:
    """Announce a change of ``stream`` numbered ``seq`` when ``session`` commits.

    ``session`` is an ``AsyncSession`` or a ``Session``: both share ``info``."""
    session.info.setdefault(PENDING_KEY, []).append(f"{stream} {seq}")


def parse(announcement: str) -> tuple[str, int] | None:
    stream, _, seq = announcement.partition(" ")
    return (stream, int(seq)) if stream and seq.isdigit() else None


@event.listens_for(Session, "before_commit")
def _notify_in_transaction(session: Session) -> None:
    pending = session.info.get(PENDING_KEY)
    if not pending or session.get_bind().dialect.name != "postgresql":
        return
    # One round trip for all of them; identical payloads in one transaction are folded into
    # one notification by PostgreSQL, which is what a listener wants anyway.
    session.connection().execute(
        text("SELECT pg_notify(:channel, p) FROM unnest(CAST(:payloads AS text[])) AS p"),
        {"channel": CHANNEL, "payloads": list(dict.fromkeys(pending))},
    )


@event.listens_for(Session, "after_commit")
def _publish_locally(session: Session) -> None:
    pending = session.info.pop(PENDING_KEY, None)
    local = session.info.get(LOCAL_KEY)
    if pending and isinstance(local, LocalChanges):
        local.publish(pending)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING_KEY, None)
