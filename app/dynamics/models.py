from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, created_at_field, uuid_pk

# A dynamic's name in the change feed (its members, states and flags, as GET shows them).
DYNAMIC = "dynamic"


class DynamicState(StrEnum):
    active = "active"
    paused = "paused"
    ended = "ended"


class Role(StrEnum):
    dominant = "dominant"
    submissive = "submissive"
    switch = "switch"
    other = "other"


class Invite(SQLModel, table=True):
    __tablename__ = "invites"

    id: uuid.UUID = uuid_pk()
    code: str = Field(max_length=8, unique=True)
    inviter_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    accepted_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dynamic_id: uuid.UUID | None = Field(
        default=None, foreign_key="dynamics.id", ondelete="SET NULL"
    )


class Dynamic(SQLModel, table=True):
    __tablename__ = "dynamics"
    # Two people have at most one dynamic that has not ended: enforced by the database, so two
    # racing invites cannot link the same pair twice.
    __table_args__ = (
        Index(
            "uq_dynamics_open_pair",
            "pair_key",
            unique=True,
            sqlite_where=text("state != 'ended'"),
            postgresql_where=text("state != 'ended'"),
        ),
    )

    id: uuid.UUID = uuid_pk()
    state: str = Field(default=DynamicState.active, max_length=8)
    pair_key: str = Field(max_length=80)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    ended_reason: str | None = Field(default=None, max_length=32)


class Membership(SQLModel, table=True):
    """A member's place in a dynamic, with the flags only that member can lift."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("dynamic_id", "user_id"),)

    id: uuid.UUID = uuid_pk()
    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE", index=True)
    # NULL once the member deleted their account: the partner keeps the shared history.
    user_id: uuid.UUID | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL", index=True
    )
    role: str = Field(default=Role.other, max_length=16)
    nickname: str | None = Field(default=None, max_length=40)
    joined_at: datetime = created_at_field()
    red_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Notes are words, or an envelope's JSON text (docs/e2ee.md): the length is checked on the
    # way in.
    red_note: str | None = Field(default=None, sa_type=Text)
    yellow_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    yellow_note: str | None = Field(default=None, sa_type=Text)
    # "I see you": when this member answered the partner's standing red / yellow, and what
    # they said. Cleared when the partner lifts the flag.
    saw_red_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    saw_yellow_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    saw_note: str | None = Field(default=None, sa_type=Text)
    # When this member finished (or skipped) the first minute after pairing: shown once per
    # member and dynamic, on whichever device they use.
    introduced_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DynamicPause(SQLModel, table=True):
    """A span of time during which a red stood: what a pause freezes (adherence, reminders)."""

    __tablename__ = "dynamic_pauses"
    __table_args__ = (Index("ix_dynamic_pauses_dynamic_started", "dynamic_id", "started_at"),)

    id: uuid.UUID = uuid_pk()
    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE")
    started_at: datetime = created_at_field()
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
