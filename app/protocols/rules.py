"""The consent rules of a protocol, as a pure state machine: two yeses to start, one no to stop.

Nothing here touches the database or HTTP, so the rules are tested directly, with property
tests over arbitrary sequences of actions (``tests/test_protocol_rules.py``). The service loads a
``ProtocolState``, asks this module what an action does, and stores the answer. A refusal is a
``RuleError`` naming why (``NotAMember`` or ``NotNow``); the service turns it into the API's
answer.

States (see docs/consent.md for the table):

- ``proposed``: a version is open for agreement and none was ever in force;
- ``active``: both members agreed to the version ``in_force``; a renegotiation may have a newer
  version open for agreement meanwhile, and the agreed one stays in force until both agree;
- ``suspended``: a member withdrew consent; it becomes active only when both agree again;
- ``declined`` (a proposal the other member refused) and ``retired`` are final.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from enum import StrEnum


class Status(StrEnum):
    proposed = "proposed"
    active = "active"
    suspended = "suspended"
    declined = "declined"
    retired = "retired"


FINAL = frozenset({Status.declined, Status.retired})


class RuleError(Exception):
    """The rules refuse an action: ``code`` names why, ``detail`` says it in words."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class NotAMember(RuleError):
    """Only the two members of the dynamic take part in its protocols."""


class NotNow(RuleError):
    """The action does not fit the protocol as it stands: it is closed, the version is stale,
    a red stands, or there is nothing to answer."""


@dataclass(frozen=True)
class ProtocolState:
    members: frozenset[uuid.UUID]
    status: Status
    version: int  # the newest version's number
    in_force: int | None  # the version both members agreed to, while active
    open_version: int | None  # the version awaiting agreement, if any
    agreed: frozenset[uuid.UUID]  # who agrees to ``open_version``

    def live_agreements(self) -> frozenset[tuple[int, uuid.UUID]]:
        """The (version, member) agreements that stand in this state."""
        standing: set[tuple[int, uuid.UUID]] = set()
        if self.in_force is not None:
            standing |= {(self.in_force, m) for m in self.members}
        if self.open_version is not None:
            standing |= {(self.open_version, m) for m in self.agreed}
        return frozenset(standing)


@dataclass(frozen=True)
class Outcome:
    state: ProtocolState
    events: tuple[str, ...]  # what happened, in order, for the history and notifications


def _member(state: ProtocolState, by: uuid.UUID) -> None:
    if by not in state.members:
        raise NotAMember("not_a_member", "only the two members of the dynamic take part")


def _open(state: ProtocolState) -> None:
    if state.status in FINAL:
        raise NotNow("protocol_closed", f"this protocol is {state.status}")


def propose(members: frozenset[uuid.UUID], by: uuid.UUID) -> Outcome:
    """A new protocol. Proposing is the proposer's agreement to version 1."""
    state = ProtocolState(
        members=members,
        status=Status.proposed,
        version=1,
        in_force=None,
        open_version=1,
        agreed=frozenset(),
    )
    _member(state, by)
    return Outcome(replace(state, agreed=frozenset({by})), ("proposed",))


def agree(state: ProtocolState, by: uuid.UUID, version: int, *, paused: bool) -> Outcome:
    """Agree to the open version, named by number so nobody agrees to text that changed."""
    _member(state, by)
    _open(state)
    if state.open_version is None:
        raise NotNow("nothing_to_agree", "no version is waiting for agreement")
    if version != state.open_version:
        raise NotNow(
            "stale_version",
            f"version {version} is not the one open for agreement "
            f"(version {state.open_version}); read it again",
        )
    if paused:
        raise NotNow("dynamic_paused", "a red is standing; agreements wait until it is lifted")
    if by in state.agreed:
        return Outcome(state, ())
    agreed = state.agreed | {by}
    if agreed != state.members:
        return Outcome(replace(state, agreed=agreed), ("agreed",))
    events = ("agreed", "reactivated" if state.status == Status.suspended else "activated")
    active = replace(
        state,
        status=Status.active,
        in_force=state.open_version,
        open_version=None,
        agreed=frozenset(),
    )
    return Outcome(active, events)


def renegotiate(state: ProtocolState, by: uuid.UUID) -> Outcome:
    """A change makes a new version, agreed by its author; an agreed version stays in force."""
    _member(state, by)
    _open(state)
    version = state.version + 1
    return Outcome(
        replace(state, version=version, open_version=version, agreed=frozenset({by})),
        ("renegotiated",),
    )


def decline(state: ProtocolState, by: uuid.UUID) -> Outcome:
    """Refuse the version the partner put forward."""
    _member(state, by)
    _open(state)
    if state.open_version is None or not state.agreed:
        raise NotNow("nothing_to_decline", "no version is waiting for your answer")
    if by in state.agreed:
        raise NotNow("already_agreed", "you agreed to this version; withdraw your consent instead")
    if state.status == Status.proposed:
        return Outcome(
            replace(state, status=Status.declined, open_version=None, agreed=frozenset()),
            ("declined",),
        )
    if state.status == Status.active:
        # The renegotiation is refused; the agreed version simply stays in force.
        return Outcome(replace(state, open_version=None, agreed=frozenset()), ("declined",))
    return Outcome(replace(state, agreed=frozenset()), ("declined",))


def withdraw(state: ProtocolState, by: uuid.UUID) -> Outcome:
    """One member's no: an active protocol is suspended at once, whoever withdraws."""
    _member(state, by)
    _open(state)
    if state.status == Status.active:
        # Both must agree again to what is on the table: a pending renegotiation if there is
        # one, else the terms that were in force (never a version that was declined).
        reopened = state.open_version if state.open_version is not None else state.in_force
        suspended = replace(
            state,
            status=Status.suspended,
            in_force=None,
            open_version=reopened,
            agreed=frozenset(),
        )
        return Outcome(suspended, ("withdrawn", "suspended"))
    if by not in state.agreed:
        raise NotNow("nothing_to_withdraw", "you have not agreed to this protocol")
    return Outcome(replace(state, agreed=state.agreed - {by}), ("withdrawn",))


def retire(state: ProtocolState, by: uuid.UUID) -> Outcome:
    """Either member may end a protocol for good."""
    _member(state, by)
    _open(state)
    return Outcome(
        replace(state, status=Status.retired, in_force=None, open_version=None, agreed=frozenset()),
        ("retired",),
    )
