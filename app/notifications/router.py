from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.accounts.deps import CallerDep
from app.core.deps import SessionDep
from app.core.errors import responses
from app.core.pagination import CursorQuery, LimitQuery
from app.notifications import service
from app.notifications.schemas import (
    MarkReadIn,
    MarkReadOut,
    NotificationPage,
    NotificationPublic,
)

router = APIRouter(prefix="/api/notifications", tags=["notifications"])


@router.get("", response_model=NotificationPage, responses=responses(401, 422))
async def list_notifications(
    caller: CallerDep,
    session: SessionDep,
    unread_only: Annotated[bool, Query()] = False,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> NotificationPage:
    rows, next_cursor = await service.list_for(
        session, caller.id, unread_only=unread_only, cursor=cursor, limit=limit
    )
    return NotificationPage(
        items=[NotificationPublic.model_validate(n) for n in rows],
        next_cursor=next_cursor,
        unread=await service.unread_count(session, caller.id),
    )


@router.post("/read", response_model=MarkReadOut, responses=responses(401, 422))
async def mark_read(caller: CallerDep, session: SessionDep, body: MarkReadIn) -> MarkReadOut:
    marked = await service.mark_read(session, caller.id, ids=None if body.all else body.ids)
    return MarkReadOut(marked=marked, unread=await service.unread_count(session, caller.id))
