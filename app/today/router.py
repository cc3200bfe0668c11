from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from app.accounts.deps import CallerDep
from app.core.deps import NowDep, SessionDep, ViewsDep
from app.core.errors import responses
from app.today import service
from app.today.schemas import TodayPublic, WaitingCounts

router = APIRouter(tags=["today"])


@router.get(
    "/api/dynamics/{dynamic_id}/today",
    response_model=TodayPublic,
    responses=responses(401, 404, 422),
)
async def read_today(
    dynamic_id: uuid.UUID, caller: CallerDep, session: SessionDep, views: ViewsDep, now: NowDep
) -> Response:
    """The home screen: the dynamic's state, both latest check-ins, open needs, today's
    protocol moments with their done state, and the balance verdict."""
    body = await service.today_json(session, views, dynamic_id, caller.user, now=now)
    return Response(body, media_type="application/json")


@router.get("/api/waiting", response_model=WaitingCounts, responses=responses(401))
async def read_waiting(caller: CallerDep, session: SessionDep, now: NowDep) -> WaitingCounts:
    """How many things wait for you in each of your open dynamics (the same count as the
    `waiting` list of each one's today): badges for the dynamic switcher."""
    return await service.waiting_counts(session, caller.user, now=now)
