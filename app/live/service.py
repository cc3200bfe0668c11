"""Who may hold a live stream, and what it says.

A stream says only *that* something changed, and where the caller's sync feed now stands: each
``change`` event carries the sync cursor of the newest change in every stream the caller can
read (``app.sync``), and the client pulls the feed to learn what. So nothing private travels
on it, and a missed event costs nothing: the next one, or a replay, carries a newer cursor.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from sse_starlette import ServerSentEvent

from app.accounts.repository import load_signed_in_user
from app.core.config import Settings
from app.core.db import Database, utcnow, write_session
from app.core.declaration import Parts
from app.core.deps import unauthorized
from app.core.security import InvalidToken, decode_access_token, hash_token
from app.live.hub import Hub, Stream
from app.live.models import LiveTicket
from app.sync import service as sync_service
from app.sync.models import ChangeStream

TICKET_SECONDS = 60
# How long a browser waits before it reconnects a dropped stream on its own.
RETRY_MS = 3000


@dataclass(frozen=True)
class Holder:
    user_id: uuid.UUID
    session_id: uuid.UUID


async def issue_ticket(
    session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID
) -> tuple[str, datetime]:
    ticket = secrets.token_urlsafe(32)
    expires_at = utcnow() + timedelta(seconds=TICKET_SECONDS)
    session.add(
        LiveTicket(
            ticket_hash=hash_token(ticket),
            user_id=user_id,
            session_id=session_id,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return ticket, expires_at


async def _redeem(db: Database, ticket: str) -> Holder | None:
    """Spend a ticket: of two uses racing, exactly one changes the row."""
    now = utcnow()
    async with write_session(db) as session:
        row = (
            await session.execute(
                update(LiveTicket)
                .where(
                    col(LiveTicket.ticket_hash) == hash_token(ticket),
                    col(LiveTicket.used_at).is_(None),
                    col(LiveTicket.expires_at) > now,
                )
                .values(used_at=now)
                .returning(col(LiveTicket.user_id), col(LiveTicket.session_id))
            )
        ).first()
    return Holder(row[0], row[1]) if row is not None else None


async def authenticate(
    db: Database, settings: Settings, *, bearer: str | None, ticket: str | None
) -> Holder:
    """The stream's holder, from a single-use ticket or an access token, with a live session."""
    if ticket is not None:
        holder = await _redeem(db, ticket)
        if holder is None:
            raise unauthorized("this ticket is unknown, used or expired; ask for a new one")
    elif bearer is not None:
        try:
            claims = decode_access_token(settings, bearer)
        except InvalidToken:
            raise unauthorized("invalid or expired access token") from None
        holder = Holder(claims.user_id, claims.session_id)
    else:
        raise unauthorized()
    async with db.reader() as session:
        if await load_signed_in_user(session, holder.user_id, holder.session_id) is None:
            raise unauthorized("session ended; sign in again")
    return holder


def parse_cursor(raw: str | None) -> dict[str, int] | None:
    """The client's position (``Last-Event-ID`` or ``?cursor=``), or None if it gave none."""
    return sync_service.decode_cursor(raw) if raw else None


async def _look_again(db: Database, hub: Hub, stream: Stream, parts: Parts) -> None:
    """Read what the stream follows and where each of those streams stands now.

    Follow first, then read, each read in a transaction of its own: a change committed before
    the read is read, and one committed after it is heard, so none falls in between. The
    person's own stream is followed before anything is read, so that a dynamic they join
    meanwhile is looked up again (its announcement lands on their own stream, and marks the
    stream for another look)."""
    stream.reload = False
    hub.follow(stream, set(stream.follows) | {stream.own_stream})
    async with db.reader() as session:
        names = await sync_service.streams_of(session, stream.user_id, parts)
    hub.follow(stream, names)
    async with db.reader() as session:
        heads = await session.execute(
            select(ChangeStream.stream, ChangeStream.seq).where(
                col(ChangeStream.stream).in_(sorted(names))
            )
        )
        for name, seq in heads.all():
            stream.advance(name, int(seq))


def _change(stream: Stream) -> ServerSentEvent:
    cursor = sync_service.encode_cursor(stream.positions)
    return ServerSentEvent(
        event="change", id=cursor, data=json.dumps({"cursor": cursor}, separators=(",", ":"))
    )


async def events(
    db: Database, hub: Hub, stream: Stream, given: dict[str, int] | None, parts: Parts
) -> AsyncIterator[ServerSentEvent]:
    """The body of ``GET /api/events``: a ``change`` whenever a followed stream moves, a
    comment on every beat, and an end when the hub ends the stream (sign-out, lifetime,
    shutdown)."""
    try:
        await _look_again(db, hub, stream, parts)
        stream.moved = False
        # From this line on, every committed change is heard: the client knows the stream is
        # open, and how long to wait before reconnecting should it drop.
        yield ServerSentEvent(comment="open", retry=RETRY_MS)
        if given is not None and any(
            seq > given.get(name, 0) for name, seq in stream.positions.items()
        ):
            # The feed moved since the position the client gave: it has something to fetch.
            yield _change(stream)
        while True:
            await stream.wait()
            if stream.ended is not None:
                return
            if stream.reload:
                await _look_again(db, hub, stream, parts)
            if stream.moved:
                stream.moved = False
                yield _change(stream)
            if stream.ping:
                stream.ping = False
                yield ServerSentEvent(comment="ping")
    finally:
        hub.close(stream)
