from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class Verdict(StrEnum):
    balanced = "balanced"
    drifting = "drifting"
    imbalanced = "imbalanced"
    not_enough_data = "not_enough_data"


class MemberBalance(BaseModel):
    user_id: uuid.UUID
    display_name: str
    checkins: int
    checkin_share: float | None
    mean_mood: float | None
    mean_energy: float | None
    mean_gave: float | None
    mean_received: float | None
    mean_deal: float | None = Field(description="-3 partner by far … +3 me by far")
    needs_raised: int
    needs_answered: int = Field(description="needs the partner answered 'done'")
    completions_performed: int
    completions_acknowledged: int


class GapPublic(BaseModel):
    value: float | None = Field(
        description="in [-1, 1], signed from the first member's side; null without data"
    )
    parts: dict[str, float | None]


class DayMember(BaseModel):
    user_id: uuid.UUID
    checkins: int
    mean_mood: float | None
    mean_gave: float | None
    mean_received: float | None
    needs_raised: int
    needs_answered: int


class DayPublic(BaseModel):
    date: date
    members: list[DayMember]


class NextStepPublic(BaseModel):
    kind: str = Field(description="check_in, answer_needs, start_review or raise_yellow")
    member: uuid.UUID | None = Field(description="whose check-ins or needs it is about, if one's")


class BalancePublic(BaseModel):
    """The same for both members: members are ordered by user id, not by who asks."""

    dynamic_id: uuid.UUID
    days: int
    start: datetime
    end: datetime
    members: list[MemberBalance]
    equity_gap: GapPublic = Field(
        description="> 0: the first member receives more for what they give than the second"
    )
    importance_gap: GapPublic = Field(
        description="> 0: the first member is more heard (check-ins, needs answered)"
    )
    under_benefited: uuid.UUID | None
    over_benefited: uuid.UUID | None
    verdict: Verdict
    reasons: list[str]
    series: list[DayPublic]
    next_step: NextStepPublic | None = Field(
        description="the one step the balance suggests; null when balanced"
    )


class WeekMember(BaseModel):
    user_id: uuid.UUID
    mean_mood: float | None
    mean_gave: float | None
    mean_received: float | None
    checkins: int


class WeekPublic(BaseModel):
    start: datetime
    end: datetime
    equity_gap: float | None = Field(description="as the balance's, over this week")
    importance_gap: float | None
    verdict: Verdict
    members: list[WeekMember]


class TrendMemberName(BaseModel):
    user_id: uuid.UUID
    display_name: str


class TrendPublic(BaseModel):
    """Week by week, oldest first; the same for both members (members ordered by user id)."""

    dynamic_id: uuid.UUID
    members: list[TrendMemberName]
    weeks: list[WeekPublic]
