from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from app.core.envelopes import (
    ClearOrSealed,
    DeviceId,
    Envelope,
    NoteEnvelope,
    StoredItems,
    StoredWords,
    ciphertext_of,
)
from app.core.validation import CleanText, clean_line

NEEDS = (
    "affection",
    "reassurance",
    "praise",
    "structure",
    "guidance",
    "space",
    "rest",
    "play",
    "intimacy",
    "aftercare",
    "attention",
    "talk",
)

# Strict: a JSON number, not true (which lax parsing reads as 1) nor a string.
Scale = Annotated[int, Field(ge=1, le=5, strict=True)]
Deal = Annotated[int, Field(ge=-3, le=3, strict=True)]
Note = Annotated[str, CleanText, Field(max_length=1000)]
CUSTOM_NEED_CHARS = 24


class NeedEnvelope(Envelope):
    """A custom need (24 characters at most) encrypted on the device."""

    c: Annotated[str, *ciphertext_of(CUSTOM_NEED_CHARS)]


# Words, or in a dynamic with a pair key their envelope (docs/e2ee.md).
NoteWords = Annotated[Note | NoteEnvelope | None, ClearOrSealed]


# A need neither answered "done" nor closed by its asker within this many days has expired:
# it leaves home and counts as not answered.
NEEDS_EXPIRE_DAYS = 7


class ResponseKind(StrEnum):
    seen = "seen"
    on_it = "on_it"
    done = "done"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CheckInCreate(_In):
    id: DeviceId = None
    mood: Scale
    energy: Scale | None = None
    needs: list[str | NeedEnvelope] = Field(
        default_factory=list,
        max_length=5,
        description=f"up to 5: {', '.join(NEEDS)}, or short custom ones (24 characters at most; "
        "envelopes in a dynamic with a pair key)",
    )
    gave: Scale | None = Field(default=None, description="how much you gave since last time")
    received: Scale | None = Field(default=None, description="how much you received")
    deal: Deal | None = Field(
        default=None,
        description="who gets the better deal: -3 my partner, by far … 0 equal … +3 me, by far",
    )
    note: NoteWords = None
    occurred_at: datetime | None = Field(
        default=None, description="default now; up to 30 days back, 5 minutes ahead"
    )

    @field_validator("needs", mode="before")
    @classmethod
    def _needs(cls, value: object) -> object:
        if not isinstance(value, list):
            return value
        cleaned: list[object] = []
        seen: set[str] = set()
        for raw in value:
            if isinstance(raw, dict):  # an envelope: its shape is checked by NeedEnvelope
                cleaned.append(raw)
                continue
            if not isinstance(raw, str):
                raise ValueError("each need is a string")
            need = clean_line(raw)
            assert isinstance(need, str)
            need = " ".join(need.split())
            if not need:
                raise ValueError("a need cannot be blank")
            if len(need) > CUSTOM_NEED_CHARS:
                raise ValueError("a custom need is 24 characters at most")
            # Compared folded and compatibility-normalised, so "PRAISE" and a phone keyboard's
            # full-width "\uff30raise" are the fixed need, and "Foot rub" twice is a duplicate.
            folded = unicodedata.normalize("NFKC", need).casefold()
            if folded in seen:
                raise ValueError(f"need {need!r} is listed twice")
            seen.add(folded)
            cleaned.append(folded if folded in NEEDS else need)
        return cleaned


def custom_needs(needs: list[str | NeedEnvelope]) -> list[str | NeedEnvelope]:
    """The needs in the member's own words: all but the fixed chips."""
    return [need for need in needs if not (isinstance(need, str) and need in NEEDS)]


class CloseReason(StrEnum):
    met = "met"
    not_needed = "not_needed"


class CloseIn(_In):
    reason: CloseReason = Field(description="met (counts as answered) or not_needed")


class RespondIn(_In):
    id: DeviceId = None
    kind: ResponseKind
    note: NoteWords = None


class ResponsePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    checkin_id: uuid.UUID
    dynamic_id: uuid.UUID
    user_id: uuid.UUID | None
    kind: ResponseKind
    note: StoredWords
    created_at: datetime


class CheckInPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    dynamic_id: uuid.UUID
    user_id: uuid.UUID
    occurred_at: datetime
    mood: int
    energy: int | None
    needs: StoredItems
    gave: int | None
    received: int | None
    deal: int | None
    note: StoredWords
    created_at: datetime
    response_kind: ResponseKind | None = Field(description="the partner's latest answer")
    response_at: datetime | None
    needs_closed_at: datetime | None = Field(
        default=None, description="when the asker closed the needs themselves"
    )
    needs_closed_reason: CloseReason | None = Field(default=None, description="met or not_needed")

    @computed_field(description="when needs still open expire (7 days on); null without needs")
    def needs_expire_at(self) -> datetime | None:
        return self.occurred_at + timedelta(days=NEEDS_EXPIRE_DAYS) if self.needs else None


class CheckInPage(BaseModel):
    items: list[CheckInPublic]
    next_cursor: str | None
