from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class NotificationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    dynamic_id: uuid.UUID | None
    actor_id: uuid.UUID | None
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationPublic]
    next_cursor: str | None
    unread: int = Field(description="unread notifications in the whole inbox")


class MarkReadIn(BaseModel):
    """Either ``ids`` (up to 200) or ``"all": true``."""

    model_config = ConfigDict(extra="forbid")

    ids: list[uuid.UUID] | None = Field(default=None, max_length=200)
    all: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> MarkReadIn:
        if (self.ids is None) == (not self.all):
            raise ValueError("give either ids or all=true")
        return self


class MarkReadOut(BaseModel):
    marked: int
    unread: int
