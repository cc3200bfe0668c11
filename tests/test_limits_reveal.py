"""Limits, second version: no silent reveal, directions and conditions, talk items.

The promise under test: nobody learns a partner's private desire without the partner seeing
that it was revealed. Trying answers out (the probe: "maybe" to everything, read, revert) is
possible, but it leaves facts the partner sees (what was revealed, when, withdrawn by whom)
and an inbox entry for every save. Everything goes through the real app on both databases.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.limits.catalogue import DIRECTED, KEYS, UNDIRECTED
from tests.helpers import Member, error_code, pair
from tests.test_limits import DESIRES, limits_notices, read

ITEM = "sensation.spanking_hand"  # an item with a direction
assert ITEM in DIRECTED

Entry = dict[str, Any]


def body(*entries: Entry) -> dict[str, Any]:
    return {"items": list(entries)}


def said(item: str, answer: str, role: str | None = None, condition: str | None = None) -> Entry:
    entry: Entry = {"item": item, "answer": answer}
    if role is not None:
        entry["role"] = role
    if condition is not None:
        entry["condition"] = condition
    return entry


async def save(
    client: httpx.AsyncClient, member: Member, dynamic_id: str, *entries: Entry
) -> dict[str, Any]:
    response = await client.put(
        f"/api/dynamics/{dynamic_id}/limits/mine", json=body(*entries), headers=member.headers
    )
    assert response.status_code == 200, response.text
    view: dict[str, Any] = response.json()
    return view


def current(view: dict[str, Any]) -> dict[tuple[str, str | None], str]:
    """(item, my side) → match/talk, of the reveals that stand."""
    return {(r["item"], r["role"]): r["kind"] for r in view["revealed"] if not r["withdrawn_by"]}


# --- the probe ----------------------------------------------------------------------------------


async def test_the_probe_leaves_a_trace_the_partner_sees(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    """Alice answers maybe to all 42 items, reads Bob's private desires, and restores her old
    answers. Bob's view and inbox show exactly what she saw, when, and that she took it back."""
    keys = sorted(KEYS)
    bob_yes, bob_maybe = keys[:5], keys[5:9]
    bob_no, bob_hard = keys[9:12], keys[12:14]
    await save(
        client,
        bob,
        dynamic_id,
        *[said(k, "yes") for k in bob_yes],
        *[said(k, "maybe", condition="slowly, and we talk first") for k in bob_maybe],
        *[said(k, "no") for k in bob_no],
        *[said(k, "hard_limit") for k in bob_hard],
    )
    old = [said(keys[20], "no"), said(keys[21], "yes")]
    await save(client, alice, dynamic_id, *old)
    await client.post("/api/notifications/read", json={"all": True}, headers=bob.headers)
    assert (await read(client, alice, dynamic_id))["revealed"] == []

    # The probe.
    probe = await save(client, alice, dynamic_id, *[said(k, "maybe") for k in keys])
    learned = set(bob_yes) | set(bob_maybe)
    assert {e["item"] for e in probe["partner"] if e["answer"] in DESIRES} == learned
    assert set(probe["talk"]) == learned and probe["matches"] == []
    # Bob's condition on a maybe comes with the reveal.
    assert {e["condition"] for e in probe["partner"] if e["item"] in bob_maybe} == {
        "slowly, and we talk first"
    }
    reverted = await save(client, alice, dynamic_id, *old)
    assert [e for e in reverted["partner"] if e["answer"] in DESIRES] == []

    # Bob sees every item Alice saw, when it was revealed, and that Alice withdrew it.
    for member in (bob, alice):
        view = await read(client, member, dynamic_id)
        revealed = {r["item"]: r for r in view["revealed"]}
        assert set(revealed) == learned, member.name
        for fact in revealed.values():
            assert fact["withdrawn_by"] == alice.id
            assert fact["withdrawn_at"] >= fact["revealed_at"]
            assert fact["kind"] is None and fact["role"] is None
        assert current(view) == {}
    # And his inbox says so, in numbers: 42 answers changed and 9 appeared; then they went.
    notices = await limits_notices(client, bob)
    assert [n["data"] for n in notices[:2]] == [
        {"changed": 42, "appeared": 0, "withdrawn": len(learned)},
        {"changed": 42, "appeared": len(learned), "withdrawn": 0},
    ]
    assert all(n["read_at"] is None for n in notices[:2])
    assert all(n["actor_id"] == alice.id for n in notices[:2])
    # The facts are in both exports, and in the feed of each.
    for member in (alice, bob):
        export = (await client.get("/api/me/export", headers=member.headers)).json()
        assert {r["item"] for r in export["limit_reveals"]} == learned
        feed = (await client.get("/api/sync", headers=member.headers)).json()
        limits = next(c["data"] for c in feed["changes"] if c["entity"] == "limits")
        assert limits == await read(client, member, dynamic_id)


async def test_a_reveal_that_comes_back_is_revealed_again(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    await save(client, bob, dynamic_id, said("care.praise", "yes"))
    first = await save(client, alice, dynamic_id, said("care.praise", "yes"))
    assert current(first) == {("care.praise", None): "match"}
    await save(client, bob, dynamic_id)
    gone = await read(client, alice, dynamic_id)
    assert [(r["item"], r["withdrawn_by"]) for r in gone["revealed"]] == [("care.praise", bob.id)]
    back = await save(client, bob, dynamic_id, said("care.praise", "maybe"))
    assert current(back) == {("care.praise", None): "talk"}
    [fact] = back["revealed"]
    assert fact["revealed_at"] >= first["revealed"][0]["revealed_at"]
    assert fact["withdrawn_by"] is None and fact["withdrawn_at"] is None


async def test_deleting_an_account_withdraws_what_it_revealed(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    """The partner keeps the history, but no desire of a deleted account stands as shown."""
    await save(client, bob, dynamic_id, said("care.praise", "yes"))
    await save(client, alice, dynamic_id, said("care.praise", "yes"), said(ITEM, "maybe"))
    await save(client, bob, dynamic_id, said("care.praise", "yes"), said(ITEM, "yes"))
    assert len(current(await read(client, alice, dynamic_id))) == 2
    gone = await client.request(
        "DELETE", "/api/me", json={"password": bob.password}, headers=bob.headers
    )
    assert gone.status_code == 204, gone.text
    view = await read(client, alice, dynamic_id)
    assert sorted(r["item"] for r in view["revealed"]) == sorted(["care.praise", ITEM])
    # Withdrawn, by someone who is no longer there to name.
    assert all(r["withdrawn_at"] and r["kind"] is None for r in view["revealed"])
    assert [r["withdrawn_by"] for r in view["revealed"]] == [None, None]
    assert view["partner"] == []


# --- directions ---------------------------------------------------------------------------------

# (Alice's role, Bob's role) → Alice's side of the match (None: either way), or False when
# they do not meet.
DIRECTIONS: list[tuple[str | None, str | None, str | bool | None]] = [
    (None, None, None),
    (None, "giving", "receiving"),
    (None, "receiving", "giving"),
    ("giving", None, "giving"),
    ("giving", "receiving", "giving"),
    ("giving", "giving", False),
    ("receiving", None, "receiving"),
    ("receiving", "giving", "receiving"),
    ("receiving", "receiving", False),
]
OTHER_SIDE = {"giving": "receiving", "receiving": "giving", None: None}


@pytest.mark.parametrize(("alice_role", "bob_role", "side"), DIRECTIONS)
async def test_giving_meets_receiving(
    client: httpx.AsyncClient,
    alice: Member,
    bob: Member,
    dynamic_id: str,
    alice_role: str | None,
    bob_role: str | None,
    side: str | bool | None,
) -> None:
    await save(client, bob, dynamic_id, said(ITEM, "yes", bob_role))
    alice_view = await save(client, alice, dynamic_id, said(ITEM, "yes", alice_role))
    bob_view = await read(client, bob, dynamic_id)
    if isinstance(side, bool):
        # Two givers (or two receivers) do not meet: nothing is revealed to either.
        for view in (alice_view, bob_view):
            assert view["matches"] == view["partner"] == view["revealed"] == []
        return
    assert alice_view["matches"] == bob_view["matches"] == [ITEM]
    assert current(alice_view) == {(ITEM, side): "match"}
    assert current(bob_view) == {(ITEM, OTHER_SIDE[side]): "match"}
    # Each sees the other's answer as the other gave it.
    assert alice_view["partner"] == [
        said(ITEM, "yes", bob_role) | {"role": bob_role, "condition": None, "label": None}
    ]
    assert bob_view["partner"] == [
        said(ITEM, "yes", alice_role) | {"role": alice_role, "condition": None, "label": None}
    ]


async def test_one_direction_yes_the_other_no(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    """Alice would give but not receive; Bob would either way: a match for Alice giving, and
    Bob sees Alice's no to receiving (safety information), never as a match."""
    await save(client, bob, dynamic_id, said(ITEM, "yes"))
    alice_view = await save(
        client, alice, dynamic_id, said(ITEM, "yes", "giving"), said(ITEM, "no", "receiving")
    )
    bob_view = await read(client, bob, dynamic_id)
    assert current(alice_view) == {(ITEM, "giving"): "match"}
    assert current(bob_view) == {(ITEM, "receiving"): "match"}
    # Each export says the reveal from its owner's side, and the owner's own directions.
    for member, side in ((alice, "giving"), (bob, "receiving")):
        export = (await client.get("/api/me/export", headers=member.headers)).json()
        assert [(r["item"], r["role"]) for r in export["limit_reveals"]] == [(ITEM, side)]
    alice_export = (await client.get("/api/me/export", headers=alice.headers)).json()
    assert sorted((e["answer"], e["role"]) for e in alice_export["limits"]) == [
        ("no", "receiving"),
        ("yes", "giving"),
    ]
    assert sorted((e["answer"], e["role"]) for e in bob_view["partner"]) == [
        ("no", "receiving"),
        ("yes", "giving"),
    ]


async def test_a_yes_meeting_a_no_or_hard_limit_is_nothing(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    await save(
        client,
        bob,
        dynamic_id,
        said("care.praise", "no"),
        said(ITEM, "hard_limit", "receiving"),
        said("verbal.orders", "maybe"),
    )
    view = await save(
        client,
        alice,
        dynamic_id,
        said("care.praise", "yes"),
        said(ITEM, "yes", "giving"),
        said("verbal.orders", "no"),
    )
    assert view["matches"] == view["talk"] == view["revealed"] == []
    # Bob's no and hard limit show (safety information); his maybe meeting Alice's no does not.
    assert sorted((e["item"], e["answer"]) for e in view["partner"]) == [
        ("care.praise", "no"),
        (ITEM, "hard_limit"),
    ]
    assert view["partner_hard_limits"] == [{"item": ITEM, "role": "receiving", "label": None}]
    bob_view = await read(client, bob, dynamic_id)
    assert [e["item"] for e in bob_view["partner"]] == ["verbal.orders"]
    assert bob_view["partner"][0]["answer"] == "no"


async def test_a_condition_is_shown_only_with_the_reveal(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    condition = "only with a check-in the day before"
    mine = await save(client, alice, dynamic_id, said("restraint.rope", "maybe", None, condition))
    assert mine["mine"] == [
        said("restraint.rope", "maybe", None, condition) | {"role": None, "label": None}
    ]
    before = await read(client, bob, dynamic_id)
    assert condition not in json.dumps(before)
    assert condition not in (await client.get("/api/notifications", headers=bob.headers)).text
    after = await save(client, bob, dynamic_id, said("restraint.rope", "yes"))
    assert after["talk"] == ["restraint.rope"]
    assert after["partner"] == [
        said("restraint.rope", "maybe", None, condition) | {"role": None, "label": None}
    ]
    # Alice's export holds her condition; Bob's holds only the reveal, never her answer.
    alice_export = (await client.get("/api/me/export", headers=alice.headers)).json()
    assert [(e["item"], e["answer"], e["condition"]) for e in alice_export["limits"]] == [
        ("restraint.rope", "maybe", condition)
    ]
    bob_export = (await client.get("/api/me/export", headers=bob.headers)).json()
    assert [r["item"] for r in bob_export["limit_reveals"]] == ["restraint.rope"]
    assert condition not in json.dumps(bob_export)


@pytest.mark.parametrize(
    ("entries", "code", "words"),
    [
        ([said("care.checkins_daily", "yes", "giving")], "validation_error", "no direction"),
        ([said("care.praise", "yes", None, "if asked")], "validation_error", "only with a maybe"),
        ([said("care.praise", "no", None, "never")], "validation_error", "only with a maybe"),
        ([said("care.praise", "maybe", None, "x" * 121)], "validation_error", "120"),
        ([said("care.praise", "maybe", None, "two\nlines")], "validation_error", "single line"),
        ([said(ITEM, "yes", "sideways")], "validation_error", "giving"),
        ([said(ITEM, "yes"), said(ITEM, "no", "giving")], "mixed_directions", "either way"),
        ([said(ITEM, "yes", "giving"), said(ITEM, "no", "giving")], "duplicate_item", "twice"),
    ],
    ids=[
        "role-on-undirected",
        "condition-on-yes",
        "condition-on-no",
        "condition-too-long",
        "condition-newline",
        "unknown-role",
        "mixed",
        "same-direction-twice",
    ],
)
async def test_bad_directions_and_conditions_are_422(
    client: httpx.AsyncClient,
    alice: Member,
    dynamic_id: str,
    entries: list[Entry],
    code: str,
    words: str,
) -> None:
    await save(client, alice, dynamic_id, said("verbal.orders", "no"))
    response = await client.put(
        f"/api/dynamics/{dynamic_id}/limits/mine", json=body(*entries), headers=alice.headers
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == code
    assert words in response.text
    assert (await read(client, alice, dynamic_id))["mine"] == [
        said("verbal.orders", "no") | {"role": None, "condition": None, "label": None}
    ]


async def test_an_empty_condition_is_none_and_every_item_may_be_either_way(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str
) -> None:
    view = await save(
        client,
        alice,
        dynamic_id,
        said("care.praise", "maybe", None, "   "),
        said(ITEM, "yes", "giving"),
        said(ITEM, "maybe", "receiving"),
        said("foot rubs", "yes", "receiving"),
        *[said(k, "no") for k in sorted(UNDIRECTED)],
    )
    praise = said("care.praise", "maybe") | {"role": None, "condition": None, "label": None}
    assert praise in view["mine"]
    assert len(view["mine"]) == 4 + len(UNDIRECTED)


# --- the property -------------------------------------------------------------------------------

PROPERTY_ITEMS = (ITEM, "restraint.rope", "care.praise", "velvet rope")
ROLES = (None, "giving", "receiving")


@st.composite
def answer_sets(draw: st.DrawFn) -> list[Entry]:
    """Answers to some of the items, each either way or for one or both directions."""
    entries = []
    for item in draw(st.sets(st.sampled_from(PROPERTY_ITEMS))):
        roles = draw(
            st.sampled_from([(None,), ("giving",), ("receiving",), ("giving", "receiving")])
        )
        for role in roles:
            answer = draw(st.sampled_from(("yes", "maybe", "no", "hard_limit")))
            entries.append(said(item, answer, role))
    return entries


class Rounds:
    """A fresh dynamic for every example (reveals are facts that stay): the fixtures' one for
    the first, then Alice leaves and they pair again."""

    fixture: str | None = None
    current: str | None = None


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(bob_answers=answer_sets(), alice_saves=st.lists(answer_sets(), min_size=1, max_size=5))
async def test_no_sequence_of_saves_shows_a_desire_the_partner_cannot_see_revealed(
    client: httpx.AsyncClient,
    alice: Member,
    bob: Member,
    dynamic_id: str,
    bob_answers: list[Entry],
    alice_saves: list[list[Entry]],
) -> None:
    if Rounds.fixture != dynamic_id:
        Rounds.fixture = Rounds.current = dynamic_id
    else:
        left = await client.post(f"/api/dynamics/{Rounds.current}/leave", headers=alice.headers)
        assert left.status_code == 200, left.text
        Rounds.current = await pair(client, alice, bob)
    dynamic_id = str(Rounds.current)
    await save(client, bob, dynamic_id, *bob_answers)
    ever_seen: set[str] = set()
    for answers in alice_saves:
        alice_view = await save(client, alice, dynamic_id, *answers)
        bob_view = await read(client, bob, dynamic_id)
        # What Alice may see of Bob's desires now, however it is shown to her.
        seen = {e["item"] for e in alice_view["partner"] if e["answer"] in DESIRES}
        assert set(alice_view["matches"]) | set(alice_view["talk"]) == seen
        # ... Bob sees as revealed now, for the same item and the other side of it.
        assert {(i, OTHER_SIDE[r]) for (i, r) in current(alice_view)} == set(current(bob_view))
        assert {i for i, _ in current(bob_view)} == seen
        ever_seen |= seen
        # ... and whatever Alice ever saw stays in Bob's list of reveals.
        assert ever_seen <= {r["item"] for r in bob_view["revealed"]}
    # Bob's inbox counted every appearance.
    notices = await limits_notices(client, bob)
    appeared = sum(n["data"]["appeared"] for n in notices if n["dynamic_id"] == dynamic_id)
    assert appeared >= len({r["item"] for r in (await read(client, bob, dynamic_id))["revealed"]})
