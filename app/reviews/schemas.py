from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.core.envelopes import ClearOrSealed, Envelope, NoteEnvelope, StoredWords, ciphertext_of
from app.core.validation import CleanText

Scale = Annotated[int, Field(ge=1, le=5, strict=True)]
Deal = Annotated[int, Field(ge=-3, le=3, strict=True)]
Words = Annotated[str, CleanText, Field(max_length=1000)]
Comment = Annotated[str, CleanText, Field(max_length=500)]


class CommentEnvelope(Envelope):
    """A vote's comment (500 characters at most), encrypted on the device."""

    c: Annotated[str, *ciphertext_of(500)]


# Words, or in a private dynamic their envelope (docs/e2ee.md): an answer's for
# ``review_answer:<review id>.<author's user id>:<field>`` (a comment's field is
# ``protocols.<protocol id>.comment``), the summary for ``review:<review id>:summary``.
ReviewWords = Annotated[Words | NoteEnvelope | None, ClearOrSealed]
AREAS = ("care", "attention", "structure", "growth")
CADENCES = (7, 14, 28)


class ReviewState(StrEnum):
    open = "open"
    revealed = "revealed"
    closed = "closed"


class Vote(StrEnum):
    keep = "keep"
    change = "change"
    pause = "pause"
    retire = "retire"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScheduleIn(_In):
    """How often you review: every 7, 14 or 28 days, or null for no cadence (a review can
    still be started at any time). ``next_on`` moves the next date (default: today plus the
    cadence)."""

    every_days: Literal[7, 14, 28] | None = Field(
        description="7 (weekly), 14 (fortnightly), 28 (four-weekly) or null"
    )
    next_on: date | None = Field(default=None, description="today or later, within a year")

    @model_validator(mode="after")
    def _next_needs_cadence(self) -> ScheduleIn:
        if self.every_days is None and self.next_on is not None:
            raise ValueError("next_on needs a cadence (every_days)")
        return self


class SchedulePublic(BaseModel):
    dynamic_id: uuid.UUID
    every_days: int | None
    next_on: date | None = Field(description="the next review date, or null without cadence")
    updated_by: uuid.UUID | None
    updated_at: datetime | None


class AreaIn(_In):
    gave: Scale | None = None
    received: Scale | None = None


class AreasIn(_In):
    care: AreaIn | None = None
    attention: AreaIn | None = None
    structure: AreaIn | None = None
    growth: AreaIn | None = None


class ProtocolVoteIn(_In):
    protocol_id: uuid.UUID
    vote: Vote
    comment: Annotated[Comment | CommentEnvelope | None, ClearOrSealed] = None


class AnswersIn(_In):
    """Your private answers; each save replaces the previous one, until you submit."""

    deal: Deal | None = Field(
        default=None,
        description="who gets the better deal: -3 my partner, by far … 0 equal … +3 me, by far",
    )
    heard: Scale | None = Field(
        default=None,
        description="“I feel as important to this relationship as my partner”: "
        "1 not at all … 5 fully",
    )
    areas: AreasIn | None = Field(
        default=None, description="what you gave and received in care, attention, structure, growth"
    )
    protocols: list[ProtocolVoteIn] = Field(
        default_factory=list,
        max_length=100,
        description="keep / change / pause / retire for protocols in force, with a comment",
    )
    went_well: ReviewWords = None
    wish: ReviewWords = None
    note: ReviewWords = None

    @field_validator("protocols")
    @classmethod
    def _once_each(cls, value: list[ProtocolVoteIn]) -> list[ProtocolVoteIn]:
        ids = [v.protocol_id for v in value]
        if len(set(ids)) != len(ids):
            raise ValueError("each protocol is voted on once")
        return value

    @model_validator(mode="after")
    def _something(self) -> AnswersIn:
        if not any(
            getattr(self, name) not in (None, "", [])
            for name in ("deal", "heard", "areas", "protocols", "went_well", "wish", "note")
        ):
            raise ValueError("answer at least one question")
        return self


class AnswersPublic(BaseModel):
    user_id: uuid.UUID
    deal: int | None
    heard: int | None
    areas: dict[str, dict[str, int | None]]
    protocols: list[dict[str, Any]]
    went_well: StoredWords
    wish: StoredWords
    note: StoredWords
    submitted_at: datetime | None
    updated_at: datetime
    etag: str = Field(description="send it as If-Match to change these answers safely")


class CloseIn(_In):
    summary: ReviewWords = Field(default=None, description="a few shared words: what you decided")


class AgendaAction(BaseModel):
    type: Literal["renegotiate", "withdraw", "retire", "propose", "open"]
    protocol_id: uuid.UUID | None = None
    screen: str | None = Field(default=None, description="for open: checkins, limits, balance")
    prefill: dict[str, Any] | None = Field(
        default=None, description="for propose: suggested title, kind and performer_ids"
    )


class AgendaItem(BaseModel):
    kind: Literal["balance", "needs", "vote", "follow_through", "limits"]
    text: str
    protocol_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    actions: list[AgendaAction]


class Outcome(BaseModel):
    summary: StoredWords
    closed_by: uuid.UUID | None
    closed_at: datetime


class ReviewPublic(BaseModel):
    id: uuid.UUID
    dynamic_id: uuid.UUID
    state: ReviewState
    due_on: date
    opened_by: uuid.UUID | None
    opened_at: datetime
    since: datetime = Field(description="the agenda looks at what happened from here on")
    submitted_by: list[uuid.UUID] = Field(description="who has submitted (never what)")
    mine: AnswersPublic | None
    partner: AnswersPublic | None = Field(description="null until both submitted")
    revealed_at: datetime | None
    agenda: list[AgendaItem] = Field(description="built from the data at reveal; empty before")
    outcome: Outcome | None = Field(description="the shared summary, once closed")


class ReviewPage(BaseModel):
    items: list[ReviewPublic]
    next_cursor: str | None
    schedule: SchedulePublic
