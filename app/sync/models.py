"""The change feed's tables: one row per change, numbered per stream.

A stream is ``d:<dynamic_id>`` (a dynamic's shared data) or ``u:<user_id>`` (what belongs to one
user alone: their inbox, their view of the limits). ``change_streams`` holds each stream's
counter; bumping it locks the row until the writing transaction ends, so within a stream the
changes commit in the order of their numbers and a reader never sees number 11 before 10.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import created_at_field, uuid_pk


class Change(SQLModel, table=True):
    __tablename__ = "changes"
    __table_args__ = (UniqueConstraint("stream", "seq"),)

    id: uuid.UUID = uuid_pk()
    stream: str = Field(max_length=40)
    seq: int
    entity: str = Field(max_length=24)
    entity_id: uuid.UUID
    op: str = Field(max_length=8)
    at: datetime = created_at_field()


class ChangeStream(SQLModel, table=True):
    __tablename__ = "change_streams"

    stream: str = Field(max_length=40, primary_key=True)
    seq: int = 0
