from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
    condition: str | None = Field(
        default=None,
        max_length=120,
        description="only with a maybe: what it would take, shown to the partner only with "
        "the match",
    )

    @field_validator("item", mode="before")
    @classmethod
    def _clean(cls, value: object) -> object:
        # The length limit applies to the form that is stored and compared: case folding can
        # lengthen a text ("ß" → "ss"), and a longer one would neither fit the column nor
        # validate again when the view is built from it.
        value = clean_line(value)
        return item_key(value) if isinstance(value, str) else value

    @field_validator("condition", mode="before")
    @classmethod
    def _clean_condition(cls, value: object) -> object:
        value = clean_line(value)
        return value or None

    @model_validator(mode="after")
    def _fits(self) -> ItemAnswer:
        if self.condition is not None and self.answer != Answer.maybe:
            raise ValueError("a condition goes only with a maybe")
        if self.role is not None and self.item in UNDIRECTED:
            raise ValueError(f"{self.item!r} has no direction: leave the role out")
        return self


class MyLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[ItemAnswer] = Field(max_length=200)


class Revealed(BaseModel):
    item: str
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


class LimitsView(BaseModel):
    catalogue: list[CatalogueItem]
    mine: list[ItemAnswer]
    partner: list[ItemAnswer] = Field(
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
    condition: str | None


class ExportedReveal(BaseModel):
    dynamic_id: uuid.UUID
    item: str
    role: Role | None
    revealed_at: datetime
    withdrawn_at: datetime | None
    withdrawn_by: uuid.UUID | None
