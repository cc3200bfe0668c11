from __future__ import annotations

import uuid

from fastapi import APIRouter

from app.accounts.deps import CallerDep
from app.core.deps import SessionDep
from app.core.errors import responses
from app.today import service
from app.today.schemas import TodayPublic

router = APIRouter(tags=["today"])


@router.get(
    "/api/dynamics/{dynamic_id}/today",
    response_model=TodayPublic,
    responses=responses(401, 404, 422),
)
async def read_today(dynamic_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> TodayPublic:
    """The home screen: the dynamic's state, both latest check-ins, open needs, today's
    protocol moments with their done state, and the balance verdict."""
    return await service.today(session, dynamic_id, caller.user)
