from __future__ import annotations

import uuid

from fastapi import APIRouter

from app.accounts.deps import CallerDep
from app.core.db import utcnow
from app.core.deps import SessionDep
from app.core.errors import responses
from app.today import service
from app.today.schemas import TodayPublic, WaitingCounts

router = APIRouter(tags=["today"])


@router.get(
    "/api/dynamics/{dynamic_id}/today",
    response_model=TodayPublic,
    responses=responses(401, 404, 422),
)
async def read_today(dynamic_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> TodayPublic:
    """The home screen: the dynamic's state, both latest check-ins, open needs, today's
    protocol moments with their done state, and the balance verdict."""
    return await service.today(session, dynamic_id, caller.user, now=utcnow())


@router.get("/api/waiting", response_model=WaitingCounts, responses=responses(401))
async def read_waiting(caller: CallerDep, session: SessionDep) -> WaitingCounts:
    """How many things wait for you in each of your open dynamics (the same count as the
    `waiting` list of each one's today): badges for the dynamic switcher."""
    return await service.waiting_counts(session, caller.user, now=utcnow())
