from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from app.balance.schemas import NextStepPublic, Verdict
from app.checkins.schemas import CheckInPublic, ResponseKind
from app.core.envelopes import StoredItems, StoredWords
from app.dynamics.schemas import DynamicPublic
from app.today.waiting import WaitingItem


class OpenNeed(BaseModel):
    checkin_id: uuid.UUID
    user_id: uuid.UUID
    needs: StoredItems
    occurred_at: datetime
    response_kind: ResponseKind | None
    expires_at: datetime = Field(description="7 days on: then they leave home, unanswered")


class Occurrence(BaseModel):
    protocol_id: uuid.UUID
    version_id: uuid.UUID = Field(
        description="the version in force, which its title's envelope names"
    )
    title: StoredWords
    performer_id: uuid.UUID
    at: datetime
    local_time: str = Field(description="HH:MM in the performer's time zone")
    due: bool = Field(
        description="false for a moment before the protocol came in force (not counted in "
        "follow-through either)"
    )
    done: bool


class BalanceSummary(BaseModel):
    verdict: Verdict
    reasons: list[str]
    next_step: NextStepPublic | None


class TodayPublic(BaseModel):
    """Everything the home screen shows, in one call."""

    dynamic: DynamicPublic
    latest_checkins: list[CheckInPublic] = Field(description="each member's latest, if any")
    open_needs: list[OpenNeed] = Field(
        description="needs of the last 7 days neither answered done nor closed by the asker"
    )
    occurrences: list[Occurrence] = Field(
        description="today's scheduled protocol moments, each in its performer's local day; "
        "none while a red stands"
    )
    balance: BalanceSummary
    unread_notifications: int
    waiting: list[WaitingItem] = Field(
        description="what waits for the caller: the partner's signals first, then proposals, "
        "completions to acknowledge, the partner's open needs (and reviews), newest first"
    )


class WaitingCount(BaseModel):
    dynamic_id: uuid.UUID
    count: int


class WaitingCounts(BaseModel):
    """For each of the caller's open dynamics, how many things wait: the switcher's badges."""

    dynamics: list[WaitingCount]
