from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, created_at_field, uuid_pk

# Their names in the change feed (both in the dynamic's stream).
PROTOCOL = "protocol"
COMPLETION = "completion"


class Protocol(SQLModel, table=True):
    """A negotiated rule, ritual or task. Its terms live in versions; this row is its state."""

    __tablename__ = "protocols"
    __table_args__ = (Index("ix_protocols_dynamic_created", "dynamic_id", "created_at", "id"),)

    id: uuid.UUID = uuid_pk()
    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE")
    status: str = Field(max_length=12)
    version: int = 1  # the newest version's number
    in_force_version: int | None = None
    open_version: int | None = None
    revision: int = 1  # bumped on every change: the ETag
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class ProtocolVersion(SQLModel, table=True):
    """The terms as one member put them forward. Versions are never edited, only added."""

    __tablename__ = "protocol_versions"
    __table_args__ = (UniqueConstraint("protocol_id", "number"),)

    id: uuid.UUID = uuid_pk()
    protocol_id: uuid.UUID = Field(foreign_key="protocols.id", ondelete="CASCADE")
    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE", index=True)
    number: int
    # Words, or their envelopes' JSON (protocol_version:<id>:title): lengths are checked on the
    # way in (docs/e2ee.md).
    title: str = Field(sa_type=Text)
    description: str = Field(default="", sa_type=Text)
    kind: str = Field(max_length=16)
    performer_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    schedule: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    reminders: bool = True
    review_on: date | None = None
    created_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = created_at_field()


class ProtocolAgreement(SQLModel, table=True):
    """One member's yes to one version. Withdrawn, it stays in the history with its time."""

    __tablename__ = "protocol_agreements"
    __table_args__ = (
        # At most one standing yes per member and version: concurrent agrees cannot double up.
        Index(
            "uq_protocol_agreements_live",
            "protocol_id",
            "version",
            "user_id",
            unique=True,
            sqlite_where=text("withdrawn_at IS NULL"),
            postgresql_where=text("withdrawn_at IS NULL"),
        ),
    )

    id: uuid.UUID = uuid_pk()
    protocol_id: uuid.UUID = Field(foreign_key="protocols.id", ondelete="CASCADE", index=True)
    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE")
    version: int
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    agreed_at: datetime = created_at_field()
    withdrawn_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ProtocolEvent(SQLModel, table=True):
    """The protocol's history: who did what to which version, when."""

    __tablename__ = "protocol_events"
    __table_args__ = (UniqueConstraint("protocol_id", "seq"),)

    id: uuid.UUID = uuid_pk()
    seq: int  # order within the protocol: events of one change share a time
    protocol_id: uuid.UUID = Field(foreign_key="protocols.id", ondelete="CASCADE")
    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE")
    version: int
    action: str = Field(max_length=16)
    actor_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    reason: str | None = Field(default=None, sa_type=Text)  # or an envelope's JSON
    at: datetime = created_at_field()


class Completion(SQLModel, table=True):
    __tablename__ = "completions"
    __table_args__ = (
        Index("ix_completions_protocol_occurred", "protocol_id", "occurred_at", "id"),
        Index("ix_completions_dynamic_occurred", "dynamic_id", "occurred_at"),
    )

    id: uuid.UUID = uuid_pk()
    protocol_id: uuid.UUID = Field(foreign_key="protocols.id", ondelete="CASCADE")
    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE")
    version: int
    user_id: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    # Words, or an envelope's JSON text (docs/e2ee.md): the length is checked on the way in.
    note: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = created_at_field()
    acknowledged_by: uuid.UUID | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL"
    )
    acknowledged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    acknowledgement_note: str | None = Field(default=None, sa_type=Text)
