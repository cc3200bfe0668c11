from __future__ import annotations

import uuid

from fastapi import APIRouter

from app.accounts.deps import CallerDep
from app.core.deps import SessionDep
from app.core.errors import responses
from app.limits import service
from app.limits.schemas import LimitsView, MyLimits

router = APIRouter(prefix="/api/dynamics/{dynamic_id}/limits", tags=["limits"])


@router.get("", response_model=LimitsView, responses=responses(401, 404, 422))
async def read_limits(dynamic_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> LimitsView:
    """The checklist, your answers, and what your partner's answers may show you: their no and
    hard limits always, their yes and maybe only where you said yes or maybe too."""
    return await service.view(session, dynamic_id, caller.user)


@router.put("/mine", response_model=LimitsView, responses=responses(401, 404, 409, 422))
async def replace_my_limits(
    dynamic_id: uuid.UUID, body: MyLimits, caller: CallerDep, session: SessionDep
) -> LimitsView:
    """Replace all your answers in this dynamic. Only you edit yours. In a dynamic whose words
    are private, custom items are blind indexes with their words sealed (``label``), and
    ``rekey`` moves custom items written before the pair key to theirs."""
    return await service.replace_mine(session, dynamic_id, caller.user, body.items, body.rekey)
