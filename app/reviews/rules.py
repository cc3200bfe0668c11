"""The review's rules, pure: when the next review is, and the agenda built at reveal.

The agenda is what the two of them should look at together, taken from the data: what the
balance says when it drifts, needs still waiting, protocols someone voted to change, pause or
retire, protocols that rarely happen, limits that changed. Each item carries its actions, so
acting on it is one tap away. The words name what happened, never a diagnosis.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from app.reviews.schemas import AgendaAction, AgendaItem, Vote

LOW_FOLLOW_THROUGH = 0.6  # done in fewer than 6 of 10 scheduled occurrences
MIN_SCHEDULED = 3  # fewer occurrences than this say nothing yet
LOW_HEARD = 2  # "I feel as important …" answered 1 or 2 of 5
MAX_BALANCE_ITEMS = 3
# A protocol whose title the server cannot read (sealed on the phones), as the agenda names it.
SEALED_PROTOCOL = "One of your protocols"
# The strongest vote decides the first action: retiring outweighs pausing outweighs changing.
_WEIGHT = {Vote.keep: 0, Vote.change: 1, Vote.pause: 2, Vote.retire: 3}
_VERB = {
    Vote.keep: "keep",
    Vote.change: "change",
    Vote.pause: "pause",
    Vote.retire: "retire",
}


def next_review(today: date, every_days: int | None) -> date | None:
    return today + timedelta(days=every_days) if every_days else None


@dataclass(frozen=True)
class ProtocolFact:
    id: uuid.UUID
    title: str | None  # None where it is sealed (docs/e2ee.md): the agenda names it without it
    status: str  # active | suspended
    scheduled: int
    done: int


@dataclass(frozen=True)
class VoteFact:
    protocol_id: uuid.UUID
    user_id: uuid.UUID
    vote: Vote


@dataclass(frozen=True)
class WaitingNeeds:
    user_id: uuid.UUID
    needs: Sequence[str]  # in the order raised, repeats kept
    checkins: int


@dataclass(frozen=True)
class Facts:
    members: Sequence[uuid.UUID]
    names: Mapping[uuid.UUID, str]
    verdict: str
    reasons: Sequence[str]
    heard: Mapping[uuid.UUID, int | None]
    protocols: Sequence[ProtocolFact]
    votes: Sequence[VoteFact]
    waiting: Sequence[WaitingNeeds]
    limits_changed: Mapping[uuid.UUID, int]


def _other(facts: Facts, user_id: uuid.UUID) -> uuid.UUID | None:
    return next((m for m in facts.members if m != user_id), None)


def _open(screen: str) -> AgendaAction:
    return AgendaAction(type="open", screen=screen)


def agenda(facts: Facts) -> list[dict[str, Any]]:
    items: list[AgendaItem] = []
    items += _balance_items(facts)
    items += _protocol_items(facts)
    items += _needs_items(facts)
    items += _limits_items(facts)
    return [item.model_dump(mode="json") for item in items]


def _balance_items(facts: Facts) -> list[AgendaItem]:
    items = []
    for member in facts.members:
        heard = facts.heard.get(member)
        if heard is not None and heard <= LOW_HEARD:
            items.append(
                AgendaItem(
                    kind="balance",
                    user_id=member,
                    text=f"{facts.names[member]} does not feel as important to this "
                    f"relationship as their partner right now ({heard} of 5).",
                    actions=[_open("balance")],
                )
            )
    if facts.verdict in ("drifting", "imbalanced"):
        for reason in list(facts.reasons)[:MAX_BALANCE_ITEMS]:
            items.append(
                AgendaItem(
                    kind="balance",
                    text=reason,
                    actions=[
                        _open("balance"),
                        AgendaAction(type="propose", prefill={"kind": "care"}),
                    ],
                )
            )
    return items


def _protocol_items(facts: Facts) -> list[AgendaItem]:
    votes: dict[uuid.UUID, list[VoteFact]] = {}
    for vote in facts.votes:
        votes.setdefault(vote.protocol_id, []).append(vote)
    items = []
    for protocol in facts.protocols:
        cast = sorted(votes.get(protocol.id, []), key=lambda v: facts.members.index(v.user_id))
        strongest = max((v.vote for v in cast), key=lambda v: _WEIGHT[v], default=Vote.keep)
        if strongest != Vote.keep:
            said = "; ".join(
                f"{facts.names[v.user_id]} would like to {_VERB[v.vote]} it" for v in cast
            )
            items.append(
                AgendaItem(
                    kind="vote",
                    protocol_id=protocol.id,
                    text=f"{_named(protocol)}: {said}.",
                    actions=_protocol_actions(protocol, strongest),
                )
            )
        elif (
            protocol.status == "active"
            and protocol.scheduled >= MIN_SCHEDULED
            and protocol.done < LOW_FOLLOW_THROUGH * protocol.scheduled
        ):
            items.append(
                AgendaItem(
                    kind="follow_through",
                    protocol_id=protocol.id,
                    text=f"{_named(protocol)} happened {protocol.done} of {protocol.scheduled} "
                    "times it was due. Would a different version fit your lives better?",
                    actions=[
                        AgendaAction(type="renegotiate", protocol_id=protocol.id),
                        AgendaAction(type="retire", protocol_id=protocol.id),
                    ],
                )
            )
    return items


def _named(protocol: ProtocolFact) -> str:
    """A protocol as the agenda names it: its title in quotes, or, sealed, by its id alone (the
    item carries protocol_id, whose title the phone opens)."""
    return f"“{protocol.title}”" if protocol.title is not None else SEALED_PROTOCOL


def _protocol_actions(protocol: ProtocolFact, strongest: Vote) -> list[AgendaAction]:
    renegotiate = AgendaAction(type="renegotiate", protocol_id=protocol.id)
    retire = AgendaAction(type="retire", protocol_id=protocol.id)
    withdraw = AgendaAction(type="withdraw", protocol_id=protocol.id)
    if strongest == Vote.retire:
        return [retire, renegotiate]
    if strongest == Vote.pause and protocol.status == "active":
        return [withdraw, renegotiate]
    return [renegotiate, retire]


def _needs_items(facts: Facts) -> list[AgendaItem]:
    items = []
    for waiting in facts.waiting:
        if not waiting.checkins:
            continue
        name = facts.names[waiting.user_id]
        needs = list(dict.fromkeys(waiting.needs))
        times = "once" if waiting.checkins == 1 else f"in {waiting.checkins} check-ins"
        partner = _other(facts, waiting.user_id)
        items.append(
            AgendaItem(
                kind="needs",
                user_id=waiting.user_id,
                text=f"{name} asked for {', '.join(needs)} {times}, and is still waiting.",
                actions=[
                    _open("checkins"),
                    AgendaAction(
                        type="propose",
                        prefill={
                            "title": f"Care for {name}",
                            "kind": "care",
                            "performer_ids": [str(partner)] if partner else [],
                        },
                    ),
                ],
            )
        )
    return items


def _limits_items(facts: Facts) -> list[AgendaItem]:
    items = []
    for member in facts.members:
        changed = facts.limits_changed.get(member, 0)
        if changed:
            answers = "answer" if changed == 1 else "answers"
            items.append(
                AgendaItem(
                    kind="limits",
                    user_id=member,
                    text=f"{facts.names[member]} changed {changed} {answers} in limits and "
                    "desires since the last review.",
                    actions=[_open("limits")],
                )
            )
    return items
