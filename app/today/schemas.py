from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.balance.schemas import Verdict
from app.checkins.schemas import CheckInPublic, ResponseKind
from app.dynamics.schemas import DynamicPublic


class OpenNeed(BaseModel):
    checkin_id: uuid.UUID
    user_id: uuid.UUID
    needs: list[str]
    occurred_at: datetime
    response_kind: ResponseKind | None


class Occurrence(BaseModel):
    protocol_id: uuid.UUID
    title: str
    performer_id: uuid.UUID
    at: datetime
    local_time: str = Field(description="HH:MM in the performer's time zone")
    done: bool


class BalanceSummary(BaseModel):
    verdict: Verdict
    reasons: list[str]


class TodayPublic(BaseModel):
    """Everything the home screen shows, in one call."""

    dynamic: DynamicPublic
    latest_checkins: list[CheckInPublic] = Field(description="each member's latest, if any")
    open_needs: list[OpenNeed] = Field(description="needs of the last 7 days not yet done")
    occurrences: list[Occurrence] = Field(
        description="today's scheduled protocol moments, each in its performer's local day; "
        "none while a red stands"
    )
    balance: BalanceSummary
    unread_notifications: int
