from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, created_at_field, uuid_pk


class LimitAnswer(SQLModel, table=True):
    """One member's answer about one activity, in one dynamic, for one direction."""

    __tablename__ = "limit_answers"
    __table_args__ = (UniqueConstraint("dynamic_id", "user_id", "item", "role"),)

    id: uuid.UUID = uuid_pk()
    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE", index=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE")
    # A catalogue key, a custom text (schemas.item_key), or in a dynamic whose words are
    # private a custom item's blind index ("b:…", made on the phone; docs/e2ee.md).
    item: str = Field(max_length=80)
    answer: str = Field(max_length=12)
    # "giving", "receiving", or "both" (the API's null: either way, or no direction at all).
    role: str = Field(default="both", max_length=10)
    # Only on a "maybe": words, or their envelope's JSON in a private dynamic.
    condition: str | None = Field(default=None, sa_type=Text)
    # A blind-indexed item's words, as an envelope's JSON (null for any other item).
    label: str | None = Field(default=None, sa_type=Text)
    updated_at: datetime = created_at_field()


class LimitReveal(SQLModel, table=True):
    """The fact that both members' desires about one item (and direction) met and were shown to
    both. Kept when the match ends, with who took their answer back, so that nobody learns a
    partner's private desire without the partner seeing that it was revealed."""

    __tablename__ = "limit_reveals"
    __table_args__ = (Index("ix_limit_reveals_dynamic_item", "dynamic_id", "item"),)

    id: uuid.UUID = uuid_pk()
    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE")
    item: str = Field(max_length=80)
    # A blind-indexed item's words, as an envelope's JSON, kept with the reveal so that it
    # keeps its name once the answers that made it are gone.
    label: str | None = Field(default=None, sa_type=Text)
    # Who would give and who would receive; both NULL when the match has no direction.
    giver_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    receiver_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    revealed_at: datetime = created_at_field()
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    withdrawn_by: uuid.UUID | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL"
    )
