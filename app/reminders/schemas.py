from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class ReminderPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str = Field(description="protocol | checkin | review")
    dynamic_id: uuid.UUID | None
    protocol_id: uuid.UUID | None
    wall: str | None = Field(description="the local time it stands for, YYYY-MM-DDTHH:MM")
    zone: str | None
    scheduled_for: datetime
    due_at: datetime = Field(description="when it will be sent (after quiet hours, snoozes)")


class ReminderList(BaseModel):
    items: list[ReminderPublic]


class SnoozeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minutes: Annotated[int, Field(ge=1, le=24 * 60, strict=True)] = 15


class NudgeOut(BaseModel):
    notification_id: uuid.UUID
    next_nudge_at: datetime = Field(description="when you may nudge this partner again")
