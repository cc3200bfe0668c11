from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from app.accounts.deps import CallerDep
from app.core.deps import SessionDep
from app.core.errors import responses
from app.core.pagination import LimitQuery
from app.reminders import service
from app.reminders.schemas import NudgeOut, ReminderList, ReminderPublic, SnoozeIn

router = APIRouter(tags=["reminders"])


@router.get("/api/reminders", response_model=ReminderList, responses=responses(401, 422))
async def list_reminders(
    caller: CallerDep, session: SessionDep, limit: LimitQuery = 50
) -> ReminderList:
    """Your upcoming reminders (the next day or so), soonest first."""
    rows = await service.upcoming(session, caller.user, limit=limit)
    return ReminderList(items=[ReminderPublic.model_validate(r) for r in rows])


@router.post(
    "/api/reminders/{reminder_id}/snooze",
    response_model=ReminderPublic,
    responses=responses(401, 404, 409, 422),
)
async def snooze(
    reminder_id: uuid.UUID, caller: CallerDep, session: SessionDep, body: SnoozeIn | None = None
) -> ReminderPublic:
    """Move one of your reminders later (1 minute to a day; default 15)."""
    reminder = await service.snooze(session, reminder_id, caller.user, (body or SnoozeIn()).minutes)
    return ReminderPublic.model_validate(reminder)


@router.post(
    "/api/dynamics/{dynamic_id}/nudge",
    status_code=status.HTTP_201_CREATED,
    response_model=NudgeOut,
    responses=responses(401, 404, 409, 422, 429),
)
async def nudge(dynamic_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> NudgeOut:
    """A gentle "thinking of you" to your partner: one a day (429 beyond); not under a red."""
    sent, next_at = await service.nudge(session, dynamic_id, caller.user)
    return NudgeOut(notification_id=sent.id, next_nudge_at=next_at)
