"""Reading the change feed: what changed in the caller's streams since their cursor.

The caller's streams are ``u:<caller>`` and ``d:<dynamic>`` for every dynamic they are or were
a member of (an ended dynamic keeps its stream, which stops growing because it is read-only).
The cursor is the last number seen per stream; a page is ordered by (stream, seq), so it holds
a prefix of each stream it touches and nothing can be skipped however writes interleave.
Each change carries the entity's current representation, read now, for this reader, by the
loader its part declares (``Part.sync``); an entity that no longer exists is sent as a delete.
The streams a caller reads besides their own come from the parts too (``Part.streams``).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.core.declaration import Loader, Parts
from app.core.errors import AppError
from app.sync import record as r
from app.sync.models import Change
from app.sync.schemas import ChangePublic, SyncPage

MAX_STREAM_SEQ = 2**31 - 1  # the column is a 32-bit integer


def _bad_cursor() -> AppError:
    return AppError(422, "invalid_cursor", "cursor is not one this API gave out")


def encode_cursor(positions: dict[str, int]) -> str:
    raw = json.dumps(dict(sorted(positions.items())), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, int]:
    if not cursor:
        return {}
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True))
    except (ValueError, UnicodeError, binascii.Error, RecursionError):
        raise _bad_cursor() from None
    if not isinstance(value, dict):
        raise _bad_cursor()
    positions: dict[str, int] = {}
    for stream, seq in value.items():
        if type(seq) is not int or not 0 <= seq <= MAX_STREAM_SEQ:
            raise _bad_cursor()
        positions[stream] = seq
    return positions


async def streams_of(session: AsyncSession, user_id: uuid.UUID, parts: Parts) -> set[str]:
    """The user's own stream and those the parts say they read (their dynamics')."""
    streams = {r.user_stream(user_id)}
    for part in parts:
        if part.streams is not None:
            streams.update(await part.streams(session, user_id))
    return streams


async def feed(
    session: AsyncSession, user_id: uuid.UUID, cursor: str | None, limit: int, parts: Parts
) -> SyncPage:
    given = decode_cursor(cursor)
    streams = await streams_of(session, user_id, parts)
    # A stream that is not the caller's is dropped without a word: an error would tell them
    # it exists.
    positions = {s: n for s, n in given.items() if s in streams}
    fresh = sorted(streams - set(positions))
    conditions: list[Any] = []
    if fresh:
        conditions.append(col(Change.stream).in_(fresh))
    for stream, seq in sorted(positions.items()):
        conditions.append(and_(col(Change.stream) == stream, col(Change.seq) > seq))
    rows = list(
        (
            await session.execute(
                select(Change)
                .where(or_(*conditions))
                .order_by(col(Change.stream), col(Change.seq))
                .limit(limit + 1)
            )
        ).scalars()
    )
    has_more = len(rows) > limit
    rows = rows[:limit]
    for change in rows:
        positions[change.stream] = max(positions.get(change.stream, 0), change.seq)
    # The same entity changed several times in the page is sent once, as of now.
    last: dict[tuple[str, uuid.UUID], Change] = {}
    for change in rows:
        key = (change.entity, change.entity_id)
        last.pop(key, None)
        last[key] = change
    kept = list(last.values())
    data = await _current(session, user_id, kept, parts)
    changes = []
    for change in kept:
        current = data.get((change.entity, change.entity_id))
        changes.append(
            ChangePublic(
                entity=change.entity,
                id=change.entity_id,
                op="upsert" if current is not None else "delete",
                data=current,
                at=change.at,
            )
        )
    return SyncPage(changes=changes, cursor=encode_cursor(positions), has_more=has_more)


Key = tuple[str, uuid.UUID]


def loaders(parts: Parts) -> dict[str, Loader]:
    return {entity.name: entity.load for part in parts for entity in part.sync}


async def _current(
    session: AsyncSession, user_id: uuid.UUID, changes: list[Change], parts: Parts
) -> dict[Key, dict[str, Any]]:
    """The current representation of every entity named (deleted ones are absent), each read
    by its part's loader, for this reader."""
    wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
    for change in changes:
        if change.op == "upsert":
            wanted[change.entity].add(change.entity_id)
    load = loaders(parts)
    out: dict[Key, dict[str, Any]] = {}
    for entity, ids in wanted.items():
        if entity not in load:  # no part declares it (any more): nothing of it is shown
            continue
        for ident, model in (await load[entity](session, user_id, ids)).items():
            out[(entity, ident)] = model.model_dump(mode="json")
    return out
