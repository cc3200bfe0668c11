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
from sqlalchemy import ColumnElement, and_, or_

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


def newest_first_after(
    time_col: Any, id_col: Any, cursor: str | None
) -> ColumnElement[bool] | None:
    """The filter for the page after ``cursor`` when ordering by (time desc, id desc)."""
    if cursor is None:
        return None
    at, ident = decode_cursor(cursor)
    return or_(time_col < at, and_(time_col == at, id_col < ident))


def page_of(rows: list[T], limit: int, key: Any) -> tuple[list[T], str | None]:
    """Trim a list fetched with ``limit + 1`` and build the cursor for the next page."""
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    at, ident = key(rows[-1])
    return rows, encode_cursor(at, ident)
