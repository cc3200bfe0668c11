from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, status

from app.accounts.deps import CallerDep
from app.core.deps import SessionDep
from app.core.errors import responses
from app.core.pagination import CursorQuery, LimitQuery
from app.reviews import service
from app.reviews.schemas import (
    AnswersIn,
    CloseIn,
    ReviewPage,
    ReviewPublic,
    ScheduleIn,
    SchedulePublic,
)

router = APIRouter(tags=["reviews"])


@router.get(
    "/api/dynamics/{dynamic_id}/reviews/schedule",
    response_model=SchedulePublic,
    responses=responses(401, 404, 422),
)
async def get_schedule(
    dynamic_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> SchedulePublic:
    """How often you review, and when the next review is."""
    return await service.get_schedule(session, dynamic_id, caller.user)


@router.put(
    "/api/dynamics/{dynamic_id}/reviews/schedule",
    response_model=SchedulePublic,
    responses=responses(401, 404, 409, 422),
)
async def set_schedule(
    dynamic_id: uuid.UUID, body: ScheduleIn, caller: CallerDep, session: SessionDep
) -> SchedulePublic:
    """Either member sets the cadence (7, 14, 28 days or null); both are reminded the day
    before the next review."""
    return await service.set_schedule(session, dynamic_id, caller.user, body)


@router.post(
    "/api/dynamics/{dynamic_id}/reviews",
    status_code=status.HTTP_201_CREATED,
    response_model=ReviewPublic,
    responses=responses(401, 404, 409, 422),
)
async def start_review(
    dynamic_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> ReviewPublic:
    """Start a review now (either member, at any time). 409 review_in_progress while another
    is open or revealed."""
    review = await service.start(session, dynamic_id, caller.user)
    return await service.view(session, review, caller.user)


@router.get(
    "/api/dynamics/{dynamic_id}/reviews",
    response_model=ReviewPage,
    responses=responses(401, 404, 422),
)
async def list_reviews(
    dynamic_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 20,
) -> ReviewPage:
    """Past and current reviews, newest first, with the cadence."""
    items, next_cursor, schedule = await service.list_page(
        session, dynamic_id, caller.user, cursor=cursor, limit=limit
    )
    return ReviewPage(items=items, next_cursor=next_cursor, schedule=schedule)


@router.get(
    "/api/reviews/{review_id}",
    response_model=ReviewPublic,
    responses=responses(401, 404, 422),
)
async def get_review(review_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> ReviewPublic:
    """Your answers; your partner's only once both of you submitted; then the agenda."""
    return await service.get(session, review_id, caller.user)


@router.put(
    "/api/reviews/{review_id}/answers/mine",
    response_model=ReviewPublic,
    responses=responses(401, 404, 409, 412, 422),
)
async def save_answers(
    review_id: uuid.UUID,
    body: AnswersIn,
    caller: CallerDep,
    session: SessionDep,
    if_match: Annotated[str | None, Header(max_length=200)] = None,
) -> ReviewPublic:
    """Save your private answers (each save replaces the last), until you submit. With
    If-Match (``mine.etag``), a save from a stale screen is a 412."""
    review = await service.save_answers(session, review_id, caller.user, body, if_match=if_match)
    return await service.view(session, review, caller.user)


@router.post(
    "/api/reviews/{review_id}/submit",
    response_model=ReviewPublic,
    responses=responses(401, 404, 409, 422),
)
async def submit_answers(
    review_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> ReviewPublic:
    """Your answers are final. When both of you submitted, the review is revealed."""
    review = await service.submit(session, review_id, caller.user)
    return await service.view(session, review, caller.user)


@router.post(
    "/api/reviews/{review_id}/close",
    response_model=ReviewPublic,
    responses=responses(401, 404, 409, 422),
)
async def close_review(
    review_id: uuid.UUID, body: CloseIn, caller: CallerDep, session: SessionDep
) -> ReviewPublic:
    """Close a revealed review with a short shared summary of what you decided."""
    review = await service.close(session, review_id, caller.user, body.summary)
    return await service.view(session, review, caller.user)
