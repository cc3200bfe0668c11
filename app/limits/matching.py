"""How two members' answers about one item meet: pure rules, no database.

A direction is a member's side of an activity: ``giving`` (doing it to or for the partner),
``receiving``, or ``both`` (either way, or an item with no direction). My giving meets the
partner's receiving; two givers (or two receivers) do not meet. A yes meeting a yes is a
*match*; a yes or maybe meeting a maybe is something to *talk* about; a yes or maybe meeting a
no or hard limit is nothing at all (the no shows anyway, as safety information).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from app.limits.schemas import BOTH, DESIRES, Answer

Kind = Literal["match", "talk"]


@dataclass(frozen=True)
class Said:
    item: str
    answer: Answer
    role: str  # "giving", "receiving" or BOTH


def fits(mine: str, theirs: str) -> bool:
    """Whether two sides of one item can meet."""
    return mine == BOTH or theirs == BOTH or mine != theirs


def my_side(mine: str, theirs: str) -> str:
    """My side of a meeting: what I said, else the opposite of what the partner said."""
    if mine != BOTH:
        return mine
    return {"giving": "receiving", "receiving": "giving"}.get(theirs, BOTH)


def kind_of(mine: Answer, theirs: Answer) -> Kind | None:
    if mine not in DESIRES or theirs not in DESIRES:
        return None
    return "match" if mine == theirs == Answer.yes else "talk"


def meetings(mine: Iterable[Said], theirs: Iterable[Said]) -> dict[tuple[str, str], Kind]:
    """(item, my side) → match or talk, for every pair of desires that meet."""
    by_item: dict[str, list[Said]] = {}
    for said in theirs:
        by_item.setdefault(said.item, []).append(said)
    met: dict[tuple[str, str], Kind] = {}
    for a in mine:
        for b in by_item.get(a.item, []):
            kind = kind_of(a.answer, b.answer)
            if kind is not None and fits(a.role, b.role):
                met[(a.item, my_side(a.role, b.role))] = kind
    return met
