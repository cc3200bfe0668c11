from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import created_at_field, uuid_pk


class LimitAnswer(SQLModel, table=True):
    """One member's answer about one activity, in one dynamic."""

    __tablename__ = "limit_answers"
    __table_args__ = (UniqueConstraint("dynamic_id", "user_id", "item"),)

    id: uuid.UUID = uuid_pk()
    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE", index=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    item: str = Field(max_length=80)  # a catalogue key, or a custom text (schemas.item_key)
    answer: str = Field(max_length=12)
    updated_at: datetime = created_at_field()
