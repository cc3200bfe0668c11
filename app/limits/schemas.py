from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.core.envelopes import (
    ClearOrSealed,
    Envelope,
    StoredWords,
    b64_chars,
    ciphertext_of,
)
from app.core.validation import clean_line
from app.limits.catalogue import UNDIRECTED


class Answer(StrEnum):
    yes = "yes"
    maybe = "maybe"
    no = "no"
    hard_limit = "hard_limit"


class Role(StrEnum):
    giving = "giving"
    receiving = "receiving"


ALWAYS_SHARED = frozenset({Answer.no, Answer.hard_limit})
DESIRES = frozenset({Answer.yes, Answer.maybe})
# How a missing role (either way, or no direction) is stored.
BOTH = "both"


# A custom item of a dynamic whose words are private: "b:" and its blind index, 32 bytes in
# base64url (a keyed hash of its words made on the phone, the same for both partners; the
# server matches items by it without reading them; docs/e2ee.md, "Limits").
BLIND_INDEX = re.compile(rf"b:[A-Za-z0-9_-]{{{b64_chars(32)}}}")
ITEM_CHARS = 60
CONDITION_CHARS = 120


def is_blind(item: str) -> bool:
    return bool(BLIND_INDEX.fullmatch(item))


class LabelEnvelope(Envelope):
    """A custom item's words (at most 60 characters), sealed on the phone beside its blind
    index, with ``limit_item:<dynamic id>.<index>:label`` as associated data."""

    c: Annotated[str, *ciphertext_of(ITEM_CHARS)]


class ConditionEnvelope(Envelope):
    """A maybe's condition (at most 120 characters), sealed on the phone, with
    ``limit_answer:<user id>.<item>.<role>:condition`` as associated data."""

    c: Annotated[str, *ciphertext_of(CONDITION_CHARS)]


Condition = Annotated[str, Field(max_length=CONDITION_CHARS)]
ConditionWords = Annotated[Condition | ConditionEnvelope | None, ClearOrSealed]


def item_key(item: str) -> str:
    """The one name of an item: a catalogue key as is; a custom text with its spaces collapsed
    and its case folded, so that "Foot Rubs" and "foot  rubs" are one item, and a text equal to
    a catalogue key (in any case) is that key."""
    return unicodedata.normalize("NFC", " ".join(item.split()).casefold())


class CatalogueItem(BaseModel):
    key: str
    category: str
    label: str
    directed: bool = Field(
        description="true when one of you does it to or for the other, so an answer may be "
        "for giving or for receiving"
    )


class ItemAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: Annotated[
        str,
        Field(
            min_length=1,
            max_length=60,
            description="a catalogue key, or a short custom text (compared case-insensitively; "
            "at most 60 characters once case-folded)",
        ),
    ]
    answer: Answer
    role: Role | None = Field(
        default=None,
        description="giving or receiving; null for either way (and for items with no direction)",
    )
    condition: ConditionWords = Field(
        default=None,
        description="only with a maybe: what it would take, shown to the partner only with "
        "the match; an envelope in a dynamic whose words are private",
    )
    label: LabelEnvelope | None = Field(
        default=None,
        description="with a blind-indexed item (b:…) only, and then required: its words, "
        "sealed on the phone",
    )

    @field_validator("item", mode="before")
    @classmethod
    def _clean(cls, value: object) -> object:
        # The length limit applies to the form that is stored and compared: case folding can
        # lengthen a text ("ß" → "ss"), and a longer one would neither fit the column nor
        # validate again when the view is built from it. A blind index is taken as it is.
        value = clean_line(value)
        if not isinstance(value, str) or value.startswith("b:"):
            return value
        return item_key(value)

    @field_validator("condition", mode="before")
    @classmethod
    def _clean_condition(cls, value: object) -> object:
        if isinstance(value, dict):
            return value
        value = clean_line(value)
        return value or None

    @model_validator(mode="after")
    def _fits(self) -> ItemAnswer:
        if self.condition is not None and self.answer != Answer.maybe:
            raise ValueError("a condition goes only with a maybe")
        if self.role is not None and self.item in UNDIRECTED:
            raise ValueError(f"{self.item!r} has no direction: leave the role out")
        if self.item.startswith("b:") and not is_blind(self.item):
            raise ValueError("a blind index is b: and 32 bytes in base64url")
        if is_blind(self.item) and self.label is None:
            raise ValueError("a blind-indexed item comes with its label (its sealed words)")
        if self.label is not None and not is_blind(self.item):
            raise ValueError("a label goes only with a blind-indexed item")
        return self


class Rekey(BaseModel):
    """One custom item written in clear before the pair key, moved to its blind index: the
    caller's answers, the reveals and the partner's answers the caller is shown that name it are
    renamed at once (never a private one of the partner's), so the match it made is kept and
    nothing is counted as changed."""

    model_config = ConfigDict(extra="forbid")

    item: Annotated[str, Field(min_length=1, max_length=ITEM_CHARS)]
    to: Annotated[str, Field(pattern=rf"^{BLIND_INDEX.pattern}$", max_length=2 + b64_chars(32))]
    label: LabelEnvelope

    @field_validator("item", mode="before")
    @classmethod
    def _clean(cls, value: object) -> object:
        value = clean_line(value)
        return item_key(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _renames(self) -> Rekey:
        if self.item.startswith("b:"):
            raise ValueError("item: a custom item in clear, not a blind index")
        return self


class AnswerOut(BaseModel):
    """An answer as read back: its condition and label as stored (words, or an envelope)."""

    item: str
    answer: Answer
    role: Role | None
    condition: StoredWords = None
    label: StoredWords = None


class MyLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[ItemAnswer] = Field(max_length=200)
    rekey: list[Rekey] = Field(
        default_factory=list,
        max_length=400,
        description="in a dynamic whose words are private: custom items still in clear, each "
        'with its blind index and label (docs/e2ee.md, "Limits")',
    )


class Revealed(BaseModel):
    item: str
    label: StoredWords = None
    role: Role | None = Field(description="your side of it: giving, receiving, or null")
    kind: Literal["match", "talk"] | None = Field(
        description="match (both yes), talk (a maybe on either side), or null once withdrawn"
    )
    revealed_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: uuid.UUID | None = Field(
        description="who took back the answer that made it, once someone did"
    )


class HardLimit(BaseModel):
    item: str
    role: Role | None
    label: StoredWords = None


class LimitsView(BaseModel):
    catalogue: list[CatalogueItem]
    mine: list[AnswerOut]
    partner: list[AnswerOut] = Field(
        description="the partner's no and hard limits, and their yes/maybe only where they "
        "meet a yes or maybe of yours (in a direction that fits)"
    )
    partner_hard_limits: list[HardLimit] = Field(description="the partner's hard limits")
    matches: list[str] = Field(description="items both of you answered yes")
    talk: list[str] = Field(description="items where a yes or maybe meets a maybe")
    revealed: list[Revealed] = Field(
        description="every match or talk item ever shown to both of you, newest first"
    )


class ExportedLimit(BaseModel):
    dynamic_id: uuid.UUID
    item: str
    answer: str
    role: Role | None
    condition: StoredWords = None
    label: StoredWords = None


class ExportedReveal(BaseModel):
    dynamic_id: uuid.UUID
    item: str
    label: StoredWords = None
    role: Role | None
    revealed_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: uuid.UUID | None
