from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.core.envelopes import (
    CLEAR,
    SEALED,
    ClearOrSealed,
    DeviceId,
    Envelope,
    NoteEnvelope,
    StoredWords,
    WordsOrEnvelope,
    ciphertext_of,
)
from app.core.validation import CleanLine, CleanText, ClockTime
from app.protocols.rules import Status

_ASCII_CLOCK = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")

Title = Annotated[str, CleanLine, Field(min_length=1, max_length=120)]
Description = Annotated[str, CleanText, Field(max_length=4000)]
Reason = Annotated[str, CleanText, Field(max_length=500)]
Note = Annotated[str, CleanText, Field(max_length=1000)]


class TitleEnvelope(Envelope):
    """A title of at most 120 characters, encrypted on the device
    (``protocol_version:<version_id>:title``)."""

    c: Annotated[str, *ciphertext_of(120)]


class DescriptionEnvelope(Envelope):
    """A description of at most 4000 characters (``protocol_version:<version_id>:description``)."""

    c: Annotated[str, *ciphertext_of(4000)]


class ReasonEnvelope(Envelope):
    """A reason of at most 500 characters (``protocol_event:<id>:reason``)."""

    c: Annotated[str, *ciphertext_of(500)]


# A protocol's words, or their envelopes (docs/e2ee.md).
SealedTitle = Annotated[
    Annotated[Title, CLEAR] | Annotated[TitleEnvelope, SEALED], WordsOrEnvelope, ClearOrSealed
]
SealedDescription = Annotated[
    Annotated[Description, CLEAR] | Annotated[DescriptionEnvelope, SEALED],
    WordsOrEnvelope,
    ClearOrSealed,
]
SealedReason = (
    Annotated[
        Annotated[Reason, CLEAR] | Annotated[ReasonEnvelope, SEALED],
        WordsOrEnvelope,
        ClearOrSealed,
    ]
    | None
)
VersionId = Annotated[
    uuid.UUID | None,
    Field(
        description="the new version's id, made on the device; needed with envelopes, whose "
        "associated data names it (protocol_version:<version_id>:title)"
    ),
]


class Kind(StrEnum):
    ritual = "ritual"
    rule = "rule"
    task = "task"
    communication = "communication"
    care = "care"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Schedule(_In):
    """When the protocol is due, in each performer's own time zone. Weekdays: 0 is Monday."""

    times: list[ClockTime] = Field(min_length=1, max_length=12)
    weekdays: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: list(range(7)), min_length=1, max_length=7
    )

    @field_validator("times")
    @classmethod
    def _unique_times(cls, value: list[str]) -> list[str]:
        # ClockTime's pattern lets through other scripts' digits and a trailing newline
        # ("0٨:30", "08:30\n"), which would slip past the check for repeats: ASCII only.
        if any(not _ASCII_CLOCK.fullmatch(t) for t in value):
            raise ValueError("expected times of day as HH:MM (00:00-23:59)")
        if len(set(value)) != len(value):
            raise ValueError("times must not repeat")
        return sorted(value)

    @field_validator("weekdays")
    @classmethod
    def _unique_days(cls, value: list[int]) -> list[int]:
        if len(set(value)) != len(value):
            raise ValueError("weekdays must not repeat")
        return sorted(value)


PerformerIds = Annotated[list[uuid.UUID], Field(min_length=1, max_length=2)]


def _check_performers(value: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
    if value is not None and len(set(value)) != len(value):
        raise ValueError("performer_ids must not repeat")
    return value


class ProtocolCreate(_In):
    version_id: VersionId = None
    title: SealedTitle
    description: SealedDescription = ""
    kind: Kind
    performer_ids: PerformerIds
    schedule: Schedule | None = None
    reminders: bool = True
    review_on: date | None = None

    _performers = field_validator("performer_ids")(_check_performers)


class ProtocolUpdate(_In):
    """A renegotiation: the fields given replace those of the newest version."""

    version_id: VersionId = None
    title: SealedTitle | None = None
    description: SealedDescription | None = None
    kind: Kind | None = None
    performer_ids: PerformerIds | None = None
    schedule: Schedule | None = None
    reminders: bool | None = None
    review_on: date | None = None

    _performers = field_validator("performer_ids")(_check_performers)

    @model_validator(mode="after")
    def _something(self) -> ProtocolUpdate:
        if not self.model_fields_set:
            raise ValueError("change at least one field")
        for name in ("title", "description", "kind", "performer_ids", "reminders"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class AgreeIn(_In):
    version: int = Field(ge=1, description="the version you read and agree to")


class ReasonIn(_In):
    id: DeviceId = Field(
        default=None, description="the event's id, made on the device: protocol_event:<id>:reason"
    )
    reason: SealedReason = None


class Terms(BaseModel):
    number: int
    version_id: uuid.UUID = Field(description="the version's id, which its envelopes name")
    title: StoredWords
    description: StoredWords
    kind: Kind
    performer_ids: list[uuid.UUID]
    schedule: Schedule | None
    reminders: bool
    review_on: date | None
    created_by: uuid.UUID | None
    created_at: datetime


class Adherence(BaseModel):
    window_days: int
    scheduled: int = Field(description="occurrences due while active and not paused")
    done: int = Field(description="occurrences with a completion on the same local day")
    rate: float | None = Field(description="done / scheduled, or null with nothing scheduled")


class ProtocolPublic(BaseModel):
    id: uuid.UUID
    dynamic_id: uuid.UUID
    status: Status
    version: int = Field(
        description="the version whose terms are shown: the one waiting for agreement (name it "
        "when agreeing), else the one in force; a declined renegotiation is only in the history"
    )
    pending: bool = Field(description="a version is waiting for agreement")
    agreed_by: list[uuid.UUID] = Field(description="members who agree to this version")
    version_id: uuid.UUID = Field(description="that version's id, which its envelopes name")
    title: StoredWords
    description: StoredWords
    kind: Kind
    performer_ids: list[uuid.UUID]
    schedule: Schedule | None
    reminders: bool
    review_on: date | None
    in_force: Terms | None = Field(description="the terms both agreed to, while active")
    adherence: Adherence | None
    etag: str
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime


class ProtocolPage(BaseModel):
    items: list[ProtocolPublic]
    next_cursor: str | None


class AgreementPublic(BaseModel):
    user_id: uuid.UUID | None
    agreed_at: datetime
    withdrawn_at: datetime | None


class VersionHistory(Terms):
    agreements: list[AgreementPublic]
    changes: dict[str, dict[str, Any]] | None = Field(
        description="field by field difference from the previous version: {field: {from, to}}; "
        "words sealed in either version are left out (the server cannot read them: the phone "
        "opens both and compares)"
    )


class EventPublic(BaseModel):
    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    action: str
    version: int
    reason: StoredWords


class ProtocolHistory(BaseModel):
    protocol_id: uuid.UUID
    versions: list[VersionHistory]
    events: list[EventPublic]


# A completion's and an acknowledgement's note: words, or their envelope (docs/e2ee.md).
CompletionNote = Annotated[Note | NoteEnvelope | None, ClearOrSealed]


class CompletionCreate(_In):
    id: DeviceId = None
    occurred_at: datetime | None = Field(
        default=None, description="when it was done; default now; up to 30 days back"
    )
    note: CompletionNote = None


class AcknowledgeIn(_In):
    note: CompletionNote = Field(
        default=None,
        description="an envelope's associated data: completion:<id>:acknowledgement_note",
    )


class CompletionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    protocol_id: uuid.UUID
    dynamic_id: uuid.UUID
    version: int
    user_id: uuid.UUID | None
    occurred_at: datetime
    note: StoredWords
    created_at: datetime
    acknowledged_by: uuid.UUID | None
    acknowledged_at: datetime | None
    acknowledgement_note: StoredWords


class CompletionPage(BaseModel):
    items: list[CompletionPublic]
    next_cursor: str | None
