from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.accounts.deps import CallerDep
from app.balance import service
from app.balance.schemas import BalancePublic, TrendPublic
from app.core.deps import NowDep, SessionDep, ViewsDep
from app.core.errors import responses

router = APIRouter(tags=["balance"])


@router.get(
    "/api/dynamics/{dynamic_id}/balance",
    response_model=BalancePublic,
    responses=responses(401, 404, 422),
)
async def read_balance(
    dynamic_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    views: ViewsDep,
    now: NowDep,
    days: Annotated[int, Query(ge=1, le=365, description="the window, in days")] = 28,
) -> Response:
    """Equity and importance over the last `days`: identical for both members."""
    body = await service.balance_json(session, views, dynamic_id, caller.user, days=days, now=now)
    return Response(body, media_type="application/json")


@router.get(
    "/api/dynamics/{dynamic_id}/balance/trend",
    response_model=TrendPublic,
    responses=responses(401, 404, 422),
)
async def read_trend(
    dynamic_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    now: NowDep,
    weeks: Annotated[int, Query(ge=1, le=104, description="how many weeks, ending today")] = 12,
) -> TrendPublic:
    """The balance week by week (equity and importance gaps, verdict, each member's means):
    identical for both members, computed from one read of the span."""
    return await service.trend(session, dynamic_id, caller.user, weeks=weeks, now=now)
