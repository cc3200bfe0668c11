from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ChangePublic(BaseModel):
    entity: str = Field(
        description="dynamic | protocol | completion | checkin | checkin_response | limits | "
        "notification"
    )
    id: uuid.UUID = Field(description="the entity's id (for limits: the dynamic's id)")
    op: Literal["upsert", "delete"]
    data: dict[str, Any] | None = Field(
        description="the entity as its REST route shows it to you now; null for a delete"
    )
    at: datetime = Field(description="when the change was recorded")


class SyncPage(BaseModel):
    changes: list[ChangePublic]
    cursor: str = Field(description="send it back as ?cursor= to get what changed after")
    has_more: bool = Field(description="true: ask again at once with the new cursor")
