from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import AwareDatetime

from app.accounts.deps import CallerDep
from app.checkins import service
from app.checkins.schemas import (
    CheckInCreate,
    CheckInPage,
    CheckInPublic,
    CloseIn,
    RespondIn,
    ResponsePublic,
)
from app.core.db import utcnow
from app.core.deps import SessionDep
from app.core.errors import responses
from app.core.pagination import CursorQuery, LimitQuery

router = APIRouter(tags=["check-ins"])


@router.post(
    "/api/dynamics/{dynamic_id}/checkins",
    status_code=status.HTTP_201_CREATED,
    response_model=CheckInPublic,
    responses=responses(401, 404, 409, 422),
)
async def check_in(
    dynamic_id: uuid.UUID, body: CheckInCreate, caller: CallerDep, session: SessionDep
) -> CheckInPublic:
    """How you are: mood (required), energy, needs, what you gave and received, the deal
    question, a note. Allowed while a red stands; refused once the dynamic has ended."""
    checkin = await service.check_in(session, dynamic_id, caller.user, body)
    return CheckInPublic.model_validate(checkin)


@router.get(
    "/api/dynamics/{dynamic_id}/checkins",
    response_model=CheckInPage,
    responses=responses(401, 404, 422),
)
async def list_checkins(
    dynamic_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    member: Annotated[uuid.UUID | None, Query(description="only this member's")] = None,
    # Aware only: a time without an offset names no instant (and cannot be compared with one).
    since: Annotated[AwareDatetime | None, Query(description="occurred at or after")] = None,
    until: Annotated[AwareDatetime | None, Query(description="occurred before")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> CheckInPage:
    """Both members' check-ins, newest first."""
    rows, next_cursor = await service.list_page(
        session,
        dynamic_id,
        caller.user,
        member=member,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
    return CheckInPage(
        items=[CheckInPublic.model_validate(c) for c in rows], next_cursor=next_cursor
    )


@router.post(
    "/api/checkins/{checkin_id}/responses",
    status_code=status.HTTP_201_CREATED,
    response_model=ResponsePublic,
    responses=responses(401, 403, 404, 409, 422),
)
async def respond(
    checkin_id: uuid.UUID, body: RespondIn, caller: CallerDep, session: SessionDep
) -> ResponsePublic:
    """Answer your partner's check-in: seen, on_it (I will answer this need) or done."""
    response = await service.respond(session, checkin_id, caller.user, body)
    return ResponsePublic.model_validate(response)


@router.post(
    "/api/checkins/{checkin_id}/close",
    response_model=CheckInPublic,
    responses=responses(401, 403, 404, 409, 422),
)
async def close_needs(
    checkin_id: uuid.UUID, body: CloseIn, caller: CallerDep, session: SessionDep
) -> CheckInPublic:
    """Close the open needs of your own check-in: `met` (they count as answered in the
    balance) or `not_needed` (they no longer count). Needs left open expire after 7 days."""
    checkin = await service.close_needs(session, checkin_id, caller.user, body.reason, now=utcnow())
    return CheckInPublic.model_validate(checkin)


@router.get(
    "/api/checkins/{checkin_id}/responses",
    response_model=list[ResponsePublic],
    responses=responses(401, 404, 422),
)
async def list_responses(
    checkin_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> list[ResponsePublic]:
    checkin = await service.get(session, checkin_id, caller.user)
    return [ResponsePublic.model_validate(r) for r in await service.responses_of(session, checkin)]
