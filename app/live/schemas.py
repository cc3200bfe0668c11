from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class TicketCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketPublic(BaseModel):
    ticket: str = Field(description="send it as ?ticket= to GET /api/events, once, within 60 s")
    expires_at: datetime
