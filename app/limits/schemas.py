from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.validation import clean_line


class Answer(StrEnum):
    yes = "yes"
    maybe = "maybe"
    no = "no"
    hard_limit = "hard_limit"


ALWAYS_SHARED = frozenset({Answer.no, Answer.hard_limit})
DESIRES = frozenset({Answer.yes, Answer.maybe})


def item_key(item: str) -> str:
    """The one name of an item: a catalogue key as is; a custom text with its spaces collapsed
    and its case folded, so that "Foot Rubs" and "foot  rubs" are one item, and a text equal to
    a catalogue key (in any case) is that key."""
    return unicodedata.normalize("NFC", " ".join(item.split()).casefold())


class CatalogueItem(BaseModel):
    key: str
    category: str
    label: str


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

    @field_validator("item", mode="before")
    @classmethod
    def _clean(cls, value: object) -> object:
        # The length limit applies to the form that is stored and compared: case folding can
        # lengthen a text ("ß" → "ss"), and a longer one would neither fit the column nor
        # validate again when the view is built from it.
        value = clean_line(value)
        return item_key(value) if isinstance(value, str) else value


class MyLimits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[ItemAnswer] = Field(max_length=200)


class LimitsView(BaseModel):
    catalogue: list[CatalogueItem]
    mine: list[ItemAnswer]
    partner: list[ItemAnswer] = Field(
        description="the partner's no and hard limits, and their yes/maybe only where you "
        "answered yes or maybe too"
    )
    matches: list[str] = Field(description="items both of you answered yes or maybe")
