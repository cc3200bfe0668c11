"""The review's pure rules: the next date, and the agenda from made-up histories."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.reviews.rules import Facts, ProtocolFact, VoteFact, WaitingNeeds, agenda, next_review
from app.reviews.schemas import Vote

MARA = uuid.UUID("00000000-0000-4000-8000-00000000000a")
THEO = uuid.UUID("00000000-0000-4000-8000-00000000000b")
NAMES = {MARA: "Mara", THEO: "Theo"}
KNEEL = uuid.UUID("00000000-0000-4000-8000-0000000000c1")
REPORT = uuid.UUID("00000000-0000-4000-8000-0000000000c2")


def facts(**changes: Any) -> Facts:
    base: dict[str, Any] = {
        "members": [MARA, THEO],
        "names": NAMES,
        "verdict": "balanced",
        "reasons": [],
        "heard": {},
        "protocols": [],
        "votes": [],
        "waiting": [],
        "limits_changed": {},
    }
    return Facts(**{**base, **changes})


def protocol(
    pid: uuid.UUID, title: str, *, scheduled: int = 0, done: int = 0, status: str = "active"
) -> ProtocolFact:
    return ProtocolFact(id=pid, title=title, status=status, scheduled=scheduled, done=done)


def test_a_quiet_month_has_an_empty_agenda() -> None:
    quiet = facts(
        heard={MARA: 4, THEO: 5},
        protocols=[protocol(KNEEL, "Kneel at the door", scheduled=20, done=19)],
        votes=[VoteFact(KNEEL, MARA, Vote.keep), VoteFact(KNEEL, THEO, Vote.keep)],
        reasons=["Both of you check in about as often"],
    )
    assert agenda(quiet) == []


def test_low_follow_through_invites_a_different_version() -> None:
    (item,) = agenda(facts(protocols=[protocol(REPORT, "Evening report", scheduled=10, done=3)]))
    assert item["kind"] == "follow_through"
    assert "“Evening report” happened 3 of 10 times" in item["text"]
    assert [a["type"] for a in item["actions"]] == ["renegotiate", "retire"]


def test_too_few_occurrences_or_a_suspended_protocol_say_nothing_about_follow_through() -> None:
    assert agenda(facts(protocols=[protocol(REPORT, "Evening report", scheduled=2, done=0)])) == []
    suspended = protocol(REPORT, "Evening report", scheduled=10, done=0, status="suspended")
    assert agenda(facts(protocols=[suspended])) == []


def test_the_strongest_vote_decides_the_first_action() -> None:
    cases = [
        ([Vote.change], "active", ["renegotiate", "retire"]),
        ([Vote.pause, Vote.change], "active", ["withdraw", "renegotiate"]),
        ([Vote.pause], "suspended", ["renegotiate", "retire"]),  # already paused
        ([Vote.retire, Vote.keep], "active", ["retire", "renegotiate"]),
    ]
    for votes, status, actions in cases:
        cast = [VoteFact(KNEEL, who, vote) for who, vote in zip((MARA, THEO), votes, strict=False)]
        (item,) = agenda(
            facts(protocols=[protocol(KNEEL, "Kneel at the door", status=status)], votes=cast)
        )
        assert item["kind"] == "vote" and item["protocol_id"] == str(KNEEL)
        assert [a["type"] for a in item["actions"]] == actions, (votes, status)
        assert "Mara would like to" in item["text"]


def test_needs_left_waiting_name_what_was_asked_and_suggest_care_from_the_partner() -> None:
    waiting = WaitingNeeds(user_id=THEO, needs=["reassurance", "praise", "reassurance"], checkins=3)
    (item,) = agenda(facts(waiting=[waiting]))
    assert (
        item["text"] == "Theo asked for reassurance, praise in 3 check-ins, and is still waiting."
    )
    propose = item["actions"][1]
    assert propose["prefill"] == {
        "title": "Care for Theo",
        "kind": "care",
        "performer_ids": [str(MARA)],
    }


def test_balance_reasons_only_while_it_drifts_and_a_member_who_feels_less_important() -> None:
    reasons = ["Theo has been giving more than receiving", "Mara checks in more", "a", "b"]
    drifting = agenda(facts(verdict="drifting", reasons=reasons, heard={MARA: 2, THEO: 3}))
    texts = [i["text"] for i in drifting]
    assert texts[0].startswith("Mara does not feel as important") and "(2 of 5)" in texts[0]
    assert texts[1:] == reasons[:3]
    assert agenda(facts(verdict="balanced", reasons=reasons)) == []


def test_limits_say_how_many_never_which() -> None:
    (item,) = agenda(facts(limits_changed={THEO: 1}))
    assert item["text"] == "Theo changed 1 answer in limits and desires since the last review."


@given(
    votes=st.lists(
        st.tuples(st.sampled_from([MARA, THEO]), st.sampled_from(list(Vote))),
        max_size=2,
        unique_by=lambda v: v[0],
    ),
    scheduled=st.integers(0, 40),
    done=st.integers(0, 40),
)
def test_each_protocol_is_on_the_agenda_at_most_once(
    votes: list[tuple[uuid.UUID, Vote]], scheduled: int, done: int
) -> None:
    items = agenda(
        facts(
            protocols=[protocol(KNEEL, "Kneel", scheduled=scheduled, done=min(done, scheduled))],
            votes=[VoteFact(KNEEL, who, vote) for who, vote in votes],
        )
    )
    assert len(items) <= 1
    for item in items:
        assert item["actions"] and all(a["protocol_id"] == str(KNEEL) for a in item["actions"])


def test_the_next_review_is_the_cadence_away() -> None:
    assert next_review(date(2026, 12, 28), 7) == date(2027, 1, 4)
    assert next_review(date(2026, 12, 28), None) is None
