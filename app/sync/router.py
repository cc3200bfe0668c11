from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.accounts.deps import CallerDep
from app.core.deps import PartsDep, SessionDep
from app.core.errors import responses
from app.sync import service
from app.sync.schemas import SyncPage

router = APIRouter(prefix="/api/sync", tags=["sync"])


@router.get("", response_model=SyncPage, responses=responses(401, 422))
async def sync(
    caller: CallerDep,
    session: SessionDep,
    parts: PartsDep,
    cursor: Annotated[
        str | None,
        Query(max_length=20000, description="the cursor of the previous answer; empty: all"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="changes per page (1-500)")] = 200,
) -> SyncPage:
    """Everything that changed in your dynamics and your inbox since ``cursor``, oldest first
    per stream. Apply the changes, keep the new cursor, and ask again while ``has_more``."""
    return await service.feed(session, caller.id, cursor, limit, parts)
