"""Reading the change feed: what changed in the caller's streams since their cursor.

The caller's streams are ``u:<caller>`` and ``d:<dynamic>`` for every dynamic they are or were
a member of (an ended dynamic keeps its stream, which stops growing because it is read-only).
The cursor is the last number seen per stream; a page is ordered by (stream, seq), so it holds
a prefix of each stream it touches and nothing can be skipped however writes interleave.
Each change carries the entity's current representation, read now, for this reader; an entity
that no longer exists is sent as a delete.
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

from app.checkins.models import CheckIn, CheckInResponse
from app.checkins.schemas import CheckInPublic, ResponsePublic
from app.core.errors import AppError
from app.dynamics import service as dynamics_service
from app.dynamics.models import Dynamic, Membership
from app.limits import service as limits_service
from app.notifications.models import Notification
from app.notifications.schemas import NotificationPublic
from app.protocols import service as protocols_service
from app.protocols.models import Completion, Protocol
from app.protocols.schemas import CompletionPublic
from app.reviews import service as reviews_service  # part: reviews
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


async def streams_of(session: AsyncSession, user_id: uuid.UUID) -> set[str]:
    dynamic_ids = (
        await session.execute(
            select(Membership.dynamic_id).where(col(Membership.user_id) == user_id)
        )
    ).scalars()
    return {r.user_stream(user_id)} | {r.dynamic_stream(d) for d in dynamic_ids}


async def feed(
    session: AsyncSession, user_id: uuid.UUID, cursor: str | None, limit: int
) -> SyncPage:
    given = decode_cursor(cursor)
    streams = await streams_of(session, user_id)
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
    data = await _current(session, user_id, kept)
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


async def _current(
    session: AsyncSession, user_id: uuid.UUID, changes: list[Change]
) -> dict[Key, dict[str, Any]]:
    """The current representation of every entity named (deleted ones are absent)."""
    wanted: dict[str, set[uuid.UUID]] = defaultdict(set)
    for change in changes:
        if change.op == "upsert":
            wanted[change.entity].add(change.entity_id)
    out: dict[Key, dict[str, Any]] = {}

    def put(entity: str, ident: uuid.UUID, model: Any) -> None:
        out[(entity, ident)] = model.model_dump(mode="json")

    if ids := wanted.get(r.DYNAMIC):
        dynamics = (
            await session.execute(select(Dynamic).where(col(Dynamic.id).in_(ids)))
        ).scalars()
        for dynamic in dynamics:
            put(r.DYNAMIC, dynamic.id, await dynamics_service.view(session, dynamic))
    if ids := wanted.get(r.PROTOCOL):
        by_dynamic: dict[uuid.UUID, list[Protocol]] = defaultdict(list)
        for protocol in (
            await session.execute(select(Protocol).where(col(Protocol.id).in_(ids)))
        ).scalars():
            by_dynamic[protocol.dynamic_id].append(protocol)
        for dynamic_id, protocols in by_dynamic.items():
            for public in await protocols_service.views(session, dynamic_id, protocols):
                put(r.PROTOCOL, public.id, public)
    if ids := wanted.get(r.COMPLETION):
        for completion in (
            await session.execute(select(Completion).where(col(Completion.id).in_(ids)))
        ).scalars():
            put(r.COMPLETION, completion.id, CompletionPublic.model_validate(completion))
    if ids := wanted.get(r.CHECKIN):
        for checkin in (
            await session.execute(select(CheckIn).where(col(CheckIn.id).in_(ids)))
        ).scalars():
            put(r.CHECKIN, checkin.id, CheckInPublic.model_validate(checkin))
    if ids := wanted.get(r.CHECKIN_RESPONSE):
        for response in (
            await session.execute(select(CheckInResponse).where(col(CheckInResponse.id).in_(ids)))
        ).scalars():
            put(r.CHECKIN_RESPONSE, response.id, ResponsePublic.model_validate(response))
    if ids := wanted.get(r.LIMITS):
        # Only in the caller's own stream, for dynamics they are a member of; computed for
        # them, so a partner's private answer never shows.
        member_of = set(
            (
                await session.execute(
                    select(Membership.dynamic_id).where(
                        col(Membership.user_id) == user_id, col(Membership.dynamic_id).in_(ids)
                    )
                )
            ).scalars()
        )
        for dynamic_id in sorted(member_of, key=str):
            put(r.LIMITS, dynamic_id, await limits_service.view_for(session, dynamic_id, user_id))
    # part: reviews. Read for this reader: the partner's answers only once revealed.
    if ids := wanted.get(r.REVIEW):
        for review in await reviews_service.sync_views(session, user_id, ids):
            put(r.REVIEW, review.id, review)
    if ids := wanted.get(r.REVIEW_SCHEDULE):
        for schedule in await reviews_service.sync_schedules(session, user_id, ids):
            put(r.REVIEW_SCHEDULE, schedule.dynamic_id, schedule)
    if ids := wanted.get(r.NOTIFICATION):
        for notification in (
            await session.execute(
                select(Notification).where(
                    col(Notification.id).in_(ids), col(Notification.user_id) == user_id
                )
            )
        ).scalars():
            put(r.NOTIFICATION, notification.id, NotificationPublic.model_validate(notification))
    return out
