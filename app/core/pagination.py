"""Keyset pagination: ``?cursor=&limit=`` in, ``{"items", "next_cursor"}`` out.

A cursor is opaque to clients: the (time, id) of the last item seen, so pages stay stable while
new items arrive, and a page costs the same however deep it is.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.core.errors import AppError

T = TypeVar("T")

LimitQuery = Annotated[int, Query(ge=1, le=100, description="page size (1-100)")]
CursorQuery = Annotated[
    str | None, Query(max_length=200, description="next_cursor from the previous page")
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(at: datetime, ident: uuid.UUID) -> str:
    raw = json.dumps([at.isoformat(), str(ident)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at, ident = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(at, str) or not isinstance(ident, str):
            raise TypeError("cursor parts are strings")
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when.astimezone(UTC), uuid.UUID(ident)
    except (
        ValueError,
        TypeError,
        AttributeError,
        OverflowError,
        json.JSONDecodeError,
        UnicodeDecodeError,
    ) as exc:
        raise AppError(422, "invalid_cursor", "cursor is not one this API gave out") from exc


async def newest_first(
    session: AsyncSession,
    stmt: SelectOfScalar[T],
    at: Any,
    ident: Any,
    *,
    cursor: str | None,
    limit: int,
) -> tuple[list[T], str | None]:
    """One page of ``stmt``, newest first by (``at``, ``ident``), starting after ``cursor``.

    ``at`` and ``ident`` are the model's time and id columns (``Protocol.created_at``,
    ``Protocol.id``); the next cursor is read from the same attributes of the page's last row.
    One row more than the page is fetched to know whether another page follows.
    """
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor)
        stmt = stmt.where(or_(at < after_at, and_(at == after_at, ident < after_id)))
    stmt = stmt.order_by(at.desc(), ident.desc()).limit(limit + 1)
    rows = list((await session.execute(stmt)).scalars())
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, encode_cursor(getattr(last, at.key), getattr(last, ident.key))
