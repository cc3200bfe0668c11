"""Property tests of the consent rules: two yeses to start, one no to stop."""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.protocols import rules
from app.protocols.rules import NotAMember, NotNow, Outcome, ProtocolState, RuleError, Status

A = uuid.UUID(int=1)
B = uuid.UUID(int=2)
MEMBERS = frozenset({A, B})

ACTIONS = ("agree", "agree_open", "renegotiate", "decline", "withdraw", "retire", "pause", "resume")
steps = st.lists(
    st.tuples(st.sampled_from(ACTIONS), st.sampled_from([A, B]), st.integers(0, 8)),
    max_size=60,
)


def other(member: uuid.UUID) -> uuid.UUID:
    return B if member == A else A


def _invariants(state: ProtocolState) -> None:
    assert (state.status == Status.active) == (state.in_force is not None)
    if state.open_version is None:
        assert state.agreed == frozenset()
    else:
        assert 1 <= state.open_version <= state.version
    assert state.agreed <= state.members
    if state.status in rules.FINAL:
        assert state.open_version is None and state.in_force is None


@settings(max_examples=600, deadline=None)
@given(first=st.sampled_from([A, B]), script=steps)
def test_no_sequence_activates_without_both_agreeing(
    first: uuid.UUID, script: list[tuple[str, uuid.UUID, int]]
) -> None:
    outcome = rules.propose(MEMBERS, first)
    state = outcome.state
    # The oracle: who has said yes to which version since the last time consent was withdrawn.
    consents: dict[int, set[uuid.UUID]] = {1: {first}}
    paused = False
    for action, by, number in script:
        before = state
        if action == "pause":
            paused = True
            continue
        if action == "resume":
            paused = False
            continue
        try:
            if action == "agree":
                outcome = rules.agree(state, by, number, paused=paused)
            elif action == "agree_open":
                outcome = rules.agree(state, by, state.open_version or 0, paused=paused)
            elif action == "renegotiate":
                outcome = rules.renegotiate(state, by)
            elif action == "decline":
                outcome = rules.decline(state, by)
            elif action == "withdraw":
                outcome = rules.withdraw(state, by)
            else:
                outcome = rules.retire(state, by)
        except RuleError as refused:
            # Both are members, so a refusal is always about the protocol as it stands.
            assert isinstance(refused, NotNow), refused
            continue
        state = outcome.state
        _invariants(state)

        if action in ("agree", "agree_open"):
            # Nobody agrees for their partner, to a stale version, or while a red stands.
            assert not paused
            assert number == before.open_version or action == "agree_open"
            assert state.agreed - before.agreed <= {by}
            consents.setdefault(before.open_version or 0, set()).add(by)
        elif action == "renegotiate":
            consents[state.version] = {by}
        elif action == "withdraw":
            assert state.status != Status.active  # one no always stops it
            if before.status == Status.active:
                consents = {}
            else:
                for agreed in consents.values():
                    agreed.discard(by)
        elif action == "decline":
            assert state.status != Status.active or state.in_force == before.in_force
            consents.pop(before.open_version or 0, None)

        if state.status == Status.active:
            assert state.in_force is not None
            # Both members said yes to exactly the version in force.
            assert consents.get(state.in_force, set()) == set(MEMBERS), (state, consents)
            if before.status != Status.active or before.in_force != state.in_force:
                assert action in ("agree", "agree_open") and not paused
        if before.status in rules.FINAL:
            pytest.fail("an action succeeded on a final protocol")


def test_two_yeses_start_it() -> None:
    state = rules.propose(MEMBERS, A).state
    assert state.status == Status.proposed and state.agreed == {A}
    outcome: Outcome = rules.agree(state, B, 1, paused=False)
    assert outcome.state.status == Status.active
    assert outcome.state.in_force == 1
    assert outcome.events == ("agreed", "activated")


def test_stale_version_is_a_conflict() -> None:
    state = rules.renegotiate(rules.propose(MEMBERS, A).state, A).state
    with pytest.raises(RuleError) as refused:
        rules.agree(state, B, 1, paused=False)
    assert refused.value.code == "stale_version"


def test_renegotiation_keeps_the_agreed_version_in_force() -> None:
    active = rules.agree(rules.propose(MEMBERS, A).state, B, 1, paused=False).state
    changed = rules.renegotiate(active, B).state
    assert changed.status == Status.active and changed.in_force == 1 and changed.open_version == 2
    declined = rules.decline(changed, A).state
    assert declined.status == Status.active and declined.in_force == 1
    assert declined.open_version is None
    agreed = rules.agree(changed, A, 2, paused=False).state
    assert agreed.in_force == 2


def test_one_no_suspends_and_both_must_agree_again() -> None:
    active = rules.agree(rules.propose(MEMBERS, A).state, B, 1, paused=False).state
    suspended = rules.withdraw(active, B).state
    assert suspended.status == Status.suspended
    assert suspended.agreed == frozenset()
    half = rules.agree(suspended, A, 1, paused=False).state
    assert half.status == Status.suspended
    assert rules.agree(half, B, 1, paused=False).state.status == Status.active


@pytest.mark.parametrize("action", ["agree", "renegotiate", "decline", "withdraw", "retire"])
def test_an_outsider_takes_no_part(action: str) -> None:
    outsider = uuid.UUID(int=3)
    state = rules.propose(MEMBERS, A).state
    with pytest.raises(NotAMember) as refused:
        if action == "agree":
            rules.agree(state, outsider, 1, paused=False)
        else:
            getattr(rules, action)(state, outsider)
    assert refused.value.code == "not_a_member"
    with pytest.raises(NotAMember):
        rules.propose(MEMBERS, outsider)


def test_red_blocks_agreement() -> None:
    state = rules.propose(MEMBERS, A).state
    with pytest.raises(RuleError) as refused:
        rules.agree(state, B, 1, paused=True)
    assert refused.value.code == "dynamic_paused"


def test_live_agreements_mirror_the_state() -> None:
    active = rules.agree(rules.propose(MEMBERS, A).state, B, 1, paused=False).state
    changed = rules.renegotiate(active, A).state
    assert changed.live_agreements() == {(1, A), (1, B), (2, A)}
    assert rules.withdraw(changed, B).state.live_agreements() == frozenset()


def test_withdrawing_after_a_declined_renegotiation_reopens_the_agreed_terms() -> None:
    active = rules.agree(rules.propose(MEMBERS, A).state, B, 1, paused=False).state
    declined = rules.decline(rules.renegotiate(active, A).state, B).state
    suspended = rules.withdraw(declined, B).state
    assert suspended.open_version == 1  # not version 2, which B refused
    with pytest.raises(RuleError):
        rules.agree(suspended, A, 2, paused=False)
    assert (
        rules.agree(
            rules.agree(suspended, A, 1, paused=False).state, B, 1, paused=False
        ).state.in_force
        == 1
    )
