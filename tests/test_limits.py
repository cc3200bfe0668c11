"""Limits and desires: each member's own answers, safety information always shared, desires
revealed only on a mutual match, and a partner's private answer never leaking through any
route the viewer can call.

Everything goes through the real app on both databases; stored rows are read back through the
app's own engine where the API cannot show them.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from app.limits.catalogue import CATALOGUE, DIRECTED, KEYS
from app.limits.models import LimitAnswer
from tests.helpers import Member, error_code, pair, register

ANSWERS = ("yes", "maybe", "no", "hard_limit")
DESIRES = frozenset({"yes", "maybe"})
SHARED = frozenset({"no", "hard_limit"})

Answers = dict[str, str]
VIEW_KEYS = {"catalogue", "mine", "partner", "partner_hard_limits", "matches", "talk", "revealed"}


# --- helpers ------------------------------------------------------------------------------------


def items(answers: Answers | list[tuple[str, str]]) -> dict[str, Any]:
    pairs = answers.items() if isinstance(answers, dict) else answers
    return {"items": [{"item": item, "answer": answer} for item, answer in pairs]}


async def put_mine(
    client: httpx.AsyncClient, member: Member, dynamic_id: str, answers: Answers
) -> httpx.Response:
    return await client.put(
        f"/api/dynamics/{dynamic_id}/limits/mine", json=items(answers), headers=member.headers
    )


async def replace(
    client: httpx.AsyncClient, member: Member, dynamic_id: str, answers: Answers
) -> dict[str, Any]:
    response = await put_mine(client, member, dynamic_id, answers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def read(client: httpx.AsyncClient, member: Member, dynamic_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/dynamics/{dynamic_id}/limits", headers=member.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def as_map(entries: list[dict[str, str]]) -> Answers:
    mapped = {e["item"]: e["answer"] for e in entries}
    assert len(mapped) == len(entries), entries
    return mapped


def canon(item: str) -> str:
    """How the API names an item: catalogue keys as they are, custom text trimmed, inner
    spaces collapsed and case-folded (catalogue keys are already lower case)."""
    return " ".join(item.split()).casefold()


def expected_partner(mine: Answers, theirs: Answers) -> Answers:
    return {
        item: answer
        for item, answer in theirs.items()
        if answer in SHARED or (answer in DESIRES and mine.get(item) in DESIRES)
    }


def expected_matches(a: Answers, b: Answers) -> list[str]:
    return sorted(i for i in a.keys() & b.keys() if a[i] == b[i] == "yes")


def expected_talk(a: Answers, b: Answers) -> list[str]:
    """A yes or maybe meeting a maybe."""
    return sorted(
        i
        for i in a.keys() & b.keys()
        if a[i] in DESIRES and b[i] in DESIRES and "maybe" in (a[i], b[i])
    )


def every_pair_of_answers() -> tuple[Answers, Answers]:
    """(Alice's, Bob's): sixteen catalogue items, one per (Alice's answer, Bob's answer), plus
    four items only Alice answered and four only Bob answered."""
    keys = sorted(KEYS)
    alice: Answers = {}
    bob: Answers = {}
    for n, (a, b) in enumerate((a, b) for a in ANSWERS for b in ANSWERS):
        alice[keys[n]] = a
        bob[keys[n]] = b
    for n, answer in enumerate(ANSWERS):
        alice[f"only alice {n}"] = answer
        bob[f"only bob {n}"] = answer
    return alice, bob


async def unread(client: httpx.AsyncClient, member: Member) -> int:
    response = await client.get("/api/notifications", headers=member.headers)
    assert response.status_code == 200, response.text
    return int(response.json()["unread"])


async def limits_notices(client: httpx.AsyncClient, member: Member) -> list[dict[str, Any]]:
    response = await client.get("/api/notifications", params={"limit": 100}, headers=member.headers)
    assert response.status_code == 200, response.text
    return [n for n in response.json()["items"] if n["kind"] == "limits_updated"]


async def everything_seen_by(
    client: httpx.AsyncClient, member: Member, dynamic_id: str
) -> dict[str, str]:
    """The raw JSON of every route the member can read that touches this dynamic."""
    seen = {}
    for name, path, params in [
        ("limits", f"/api/dynamics/{dynamic_id}/limits", {}),
        ("export", "/api/me/export", {}),
        ("notifications", "/api/notifications", {"limit": 100}),
        ("dynamic", f"/api/dynamics/{dynamic_id}", {}),
        ("dynamics", "/api/dynamics", {}),
    ]:
        response = await client.get(path, params=params, headers=member.headers)
        assert response.status_code == 200, (name, response.text)
        seen[name] = response.text
    return seen


def assert_hidden(texts: dict[str, str], secrets: set[str]) -> None:
    for route, text in texts.items():
        folded = text.casefold()
        for secret in secrets:
            assert secret.casefold() not in folded, (route, secret)


async def stored_answers(app: FastAPI, member: Member, dynamic_id: str) -> Answers:
    async with app.state.db.reader() as session:
        result = await session.execute(
            select(LimitAnswer).where(
                col(LimitAnswer.dynamic_id) == uuid.UUID(dynamic_id),
                col(LimitAnswer.user_id) == uuid.UUID(member.id),
            )
        )
        return {row.item: row.answer for row in result.scalars()}


# --- the catalogue and the shape ----------------------------------------------------------------


async def test_the_catalogue_has_about_forty_items_with_key_category_and_label(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str
) -> None:
    view = await read(client, alice, dynamic_id)
    assert set(view) == VIEW_KEYS
    for key in VIEW_KEYS - {"catalogue"}:
        assert view[key] == [], key
    catalogue = view["catalogue"]
    assert 35 <= len(catalogue) <= 50
    assert [(c["key"], c["category"], c["label"]) for c in catalogue] == list(CATALOGUE)
    assert len({c["key"] for c in catalogue}) == len(catalogue)
    for entry in catalogue:
        assert set(entry) == {"key", "category", "label", "directed"}
        assert entry["directed"] == (entry["key"] in DIRECTED)
        assert entry["key"].startswith(entry["category"] + ".")
        assert entry["label"].strip() == entry["label"] != ""
        # Keys are already in the form custom text is compared in, so none can be shadowed.
        assert canon(entry["key"]) == entry["key"]
        assert len(entry["key"]) <= 60


async def test_put_replaces_all_of_the_callers_answers(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    first = await replace(
        client,
        alice,
        dynamic_id,
        {"care.praise": "yes", "restraint.rope": "hard_limit", "Foot rubs": "maybe"},
    )
    assert set(first) == VIEW_KEYS
    assert as_map(first["mine"]) == {
        "care.praise": "yes",
        "restraint.rope": "hard_limit",
        "foot rubs": "maybe",
    }
    assert first == await read(client, alice, dynamic_id)

    # A second PUT is the whole list: what it leaves out is gone.
    second = await replace(client, alice, dynamic_id, {"care.praise": "no"})
    assert as_map(second["mine"]) == {"care.praise": "no"}
    assert await stored_answers(app, alice, dynamic_id) == {"care.praise": "no"}

    # Bob's own PUT never touches Alice's answers: each member edits only their own.
    await replace(client, bob, dynamic_id, {"care.praise": "hard_limit", "verbal.orders": "yes"})
    assert as_map((await read(client, alice, dynamic_id))["mine"]) == {"care.praise": "no"}
    assert await stored_answers(app, alice, dynamic_id) == {"care.praise": "no"}

    # An empty list clears them.
    assert (await replace(client, alice, dynamic_id, {}))["mine"] == []
    assert await stored_answers(app, alice, dynamic_id) == {}
    assert await stored_answers(app, bob, dynamic_id) == {
        "care.praise": "hard_limit",
        "verbal.orders": "yes",
    }


async def test_the_visibility_rule_for_every_pair_of_answers(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    """Sixteen items, one per (Alice's answer, Bob's answer), plus items only one answered."""
    mine, theirs = every_pair_of_answers()
    await replace(client, alice, dynamic_id, mine)
    bob_put = await replace(client, bob, dynamic_id, theirs)

    alice_view = await read(client, alice, dynamic_id)
    bob_view = await read(client, bob, dynamic_id)
    assert as_map(alice_view["mine"]) == mine
    assert as_map(alice_view["partner"]) == expected_partner(mine, theirs)
    assert as_map(bob_view["partner"]) == expected_partner(theirs, mine)
    # Spelled out: of Bob's, Alice sees exactly the no and hard limits and the 4 mutual desires.
    assert len(alice_view["partner"]) == 8 + 4 + 2
    assert not {"only bob 0", "only bob 1"} & set(as_map(alice_view["partner"]))
    assert {"only bob 2", "only bob 3"} <= set(as_map(alice_view["partner"]))
    assert alice_view["matches"] == bob_view["matches"] == expected_matches(mine, theirs)
    assert alice_view["talk"] == bob_view["talk"] == expected_talk(mine, theirs)
    # One yes/yes match; yes/maybe, maybe/yes and maybe/maybe are things to talk about; a
    # desire meeting a no or a hard limit is neither.
    assert len(alice_view["matches"]) == 1
    assert len(alice_view["talk"]) == 3
    # Bob's hard limits sit apart, at the top of Alice's view.
    assert alice_view["partner_hard_limits"] == [
        {"item": i, "role": None, "label": None}
        for i in sorted(i for i, a in theirs.items() if a == "hard_limit")
    ]
    # The PUT answers the same view as the GET.
    assert bob_put == bob_view


async def test_the_view_is_sorted_and_stable(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    await replace(client, alice, dynamic_id, {"verbal.orders": "yes", "care.praise": "yes"})
    await replace(client, bob, dynamic_id, {"verbal.orders": "maybe", "care.praise": "maybe"})
    view = await read(client, alice, dynamic_id)
    assert [e["item"] for e in view["mine"]] == ["care.praise", "verbal.orders"]
    assert [e["item"] for e in view["partner"]] == ["care.praise", "verbal.orders"]
    assert view["talk"] == ["care.praise", "verbal.orders"]
    assert view["matches"] == []
    assert view == await read(client, alice, dynamic_id)


# --- custom items -------------------------------------------------------------------------------


async def test_custom_items_are_trimmed_and_compared_case_insensitively(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    put = await replace(
        client, alice, dynamic_id, {"  Foot   Rubs ": "yes", "Straße Kiss": "maybe"}
    )
    assert as_map(put["mine"]) == {"foot rubs": "yes", "strasse kiss": "maybe"}
    await replace(client, bob, dynamic_id, {"FOOT RUBS": "maybe", "STRASSE KISS": "yes"})
    view = await read(client, alice, dynamic_id)
    assert view["talk"] == ["foot rubs", "strasse kiss"]
    assert as_map(view["partner"]) == {"foot rubs": "maybe", "strasse kiss": "yes"}


async def test_a_custom_text_equal_to_a_catalogue_key_is_that_key(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    await replace(client, alice, dynamic_id, {" CARE.Praise ": "yes"})
    assert await stored_answers(app, alice, dynamic_id) == {"care.praise": "yes"}
    await replace(client, bob, dynamic_id, {"care.praise": "maybe"})
    view = await read(client, alice, dynamic_id)
    assert view["talk"] == ["care.praise"]
    assert as_map(view["mine"]) == {"care.praise": "yes"}


async def test_custom_item_length(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, dynamic_id: str
) -> None:
    sixty = "x" * 60
    ok = await replace(client, alice, dynamic_id, {f"  {sixty}  ": "no"})
    assert as_map(ok["mine"]) == {sixty: "no"}

    response = await put_mine(client, alice, dynamic_id, {"x" * 61: "no"})
    assert response.status_code == 422, response.text
    assert error_code(response) == "validation_error"
    assert await stored_answers(app, alice, dynamic_id) == {sixty: "no"}


@pytest.mark.parametrize(
    "text",
    [
        "ß" * 31,  # folds to 62 characters
        "ﬃ" * 21,  # the ligature folds to "ffi": 63 characters
        "İ" * 40,  # folds to "i̇": 80 characters
        "ß" * 60,  # 120 once folded: more than the column holds
    ],
    ids=["sharp-s-31", "ffi-ligature-21", "dotted-capital-i-40", "sharp-s-60"],
)
async def test_a_custom_text_longer_than_sixty_once_folded_is_refused_not_a_500(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, dynamic_id: str, text: str
) -> None:
    assert len(text) <= 60 < len(text.casefold())
    response = await put_mine(client, alice, dynamic_id, {text: "no"})
    assert response.status_code == 422, response.text
    assert error_code(response) == "validation_error"
    assert await stored_answers(app, alice, dynamic_id) == {}
    # The view still works afterwards.
    assert (await read(client, alice, dynamic_id))["mine"] == []


async def test_a_custom_text_of_sixty_once_folded_round_trips(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    put = await replace(client, alice, dynamic_id, {"ß" * 30: "yes"})
    assert as_map(put["mine"]) == {"ss" * 30: "yes"}
    await replace(client, bob, dynamic_id, {"SS" * 30: "yes"})
    assert (await read(client, alice, dynamic_id))["matches"] == ["ss" * 30]


@pytest.mark.parametrize(
    "item",
    ["", "   ", "line\nbreak", "tab\there", "nul\x00", "bell\x07", None, 5, ["care.praise"]],
)
async def test_bad_items_are_422(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str, item: object
) -> None:
    response = await client.put(
        f"/api/dynamics/{dynamic_id}/limits/mine",
        json={"items": [{"item": item, "answer": "no"}]},
        headers=alice.headers,
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "validation_error"
    assert any("item" in e["loc"] for e in response.json()["errors"])


# --- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "pairs",
    [
        [("care.praise", "yes"), ("care.praise", "yes")],
        [("care.praise", "yes"), ("care.praise", "no")],
        [("care.praise", "yes"), ("Care.Praise", "maybe")],
        [("Foot rubs", "yes"), ("FOOT RUBS", "hard_limit")],
        [("Foot rubs", "yes"), (" foot  rubs ", "no")],
        [("Straße", "yes"), ("STRASSE", "no")],
    ],
    ids=["same", "same-key-other-answer", "key-case", "custom-case", "custom-spaces", "fold"],
)
async def test_duplicates_are_422_duplicate_item(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Member,
    dynamic_id: str,
    pairs: list[tuple[str, str]],
) -> None:
    await replace(client, alice, dynamic_id, {"verbal.orders": "no"})
    response = await client.put(
        f"/api/dynamics/{dynamic_id}/limits/mine", json=items(pairs), headers=alice.headers
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "duplicate_item"
    # Nothing was replaced.
    assert await stored_answers(app, alice, dynamic_id) == {"verbal.orders": "no"}


async def test_at_most_two_hundred_items(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, dynamic_id: str
) -> None:
    two_hundred = {f"custom item {n}": ANSWERS[n % 4] for n in range(200)}
    put = await replace(client, alice, dynamic_id, two_hundred)
    assert len(put["mine"]) == 200
    response = await put_mine(client, alice, dynamic_id, {**two_hundred, "one more": "no"})
    assert response.status_code == 422, response.text
    assert error_code(response) == "validation_error"
    assert len(await stored_answers(app, alice, dynamic_id)) == 200


@pytest.mark.parametrize(
    "body",
    [
        {"items": [{"item": "care.praise", "answer": "YES"}]},
        {"items": [{"item": "care.praise", "answer": "hard limit"}]},
        {"items": [{"item": "care.praise", "answer": "limit"}]},
        {"items": [{"item": "care.praise", "answer": ""}]},
        {"items": [{"item": "care.praise", "answer": None}]},
        {"items": [{"item": "care.praise", "answer": 1}]},
        {"items": [{"item": "care.praise"}]},
        {"items": [{"answer": "yes"}]},
    ],
)
async def test_a_bad_or_missing_answer_is_422(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str, body: dict[str, Any]
) -> None:
    response = await client.put(
        f"/api/dynamics/{dynamic_id}/limits/mine", json=body, headers=alice.headers
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "validation_error"


@pytest.mark.parametrize(
    "body",
    [
        {"items": [], "user_id": "someone"},
        {"items": [{"item": "care.praise", "answer": "yes", "user_id": "someone"}]},
        {"items": [{"item": "care.praise", "answer": "yes", "visible": True}]},
        {},
        {"items": None},
        {"items": {"care.praise": "yes"}},
        [],
    ],
)
async def test_extra_fields_and_wrong_shapes_are_422(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, dynamic_id: str, body: object
) -> None:
    response = await client.put(
        f"/api/dynamics/{dynamic_id}/limits/mine", json=body, headers=alice.headers
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "validation_error"
    assert await stored_answers(app, alice, dynamic_id) == {}


# --- who may, and when --------------------------------------------------------------------------


async def test_an_outsider_gets_404_and_changes_nothing(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Member,
    bob: Member,
    eve: Member,
    dynamic_id: str,
) -> None:
    await replace(client, alice, dynamic_id, {"care.praise": "hard_limit"})
    await replace(client, bob, dynamic_id, {"care.praise": "yes", "verbal.orders": "no"})
    told = (await unread(client, alice), await unread(client, bob))
    put = await put_mine(client, eve, dynamic_id, {"care.praise": "yes"})
    assert put.status_code == 404, put.text
    assert error_code(put) == "not_found"
    got = await client.get(f"/api/dynamics/{dynamic_id}/limits", headers=eve.headers)
    assert got.status_code == 404
    assert "hard_limit" not in got.text
    assert await stored_answers(app, eve, dynamic_id) == {}
    # A dynamic that does not exist answers exactly the same.
    missing = await put_mine(client, eve, str(uuid.uuid4()), {"care.praise": "yes"})
    assert (missing.status_code, missing.json()) == (put.status_code, put.json())
    # Unauthenticated and malformed ids.
    anon = await client.put(
        f"/api/dynamics/{dynamic_id}/limits/mine", json=items({"care.praise": "no"})
    )
    assert anon.status_code == 401
    bad = await client.get("/api/dynamics/not-a-uuid/limits", headers=alice.headers)
    assert bad.status_code == 422
    assert (await unread(client, alice), await unread(client, bob)) == told
    assert await limits_notices(client, eve) == []


async def test_an_ended_dynamic_is_read_only(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    await replace(client, alice, dynamic_id, {"care.praise": "hard_limit", "verbal.orders": "yes"})
    await replace(client, bob, dynamic_id, {"verbal.orders": "maybe", "control.finances": "yes"})
    left = await client.post(f"/api/dynamics/{dynamic_id}/leave", headers=bob.headers)
    assert left.status_code == 200, left.text

    for member in (alice, bob):
        response = await put_mine(client, member, dynamic_id, {"care.praise": "no"})
        assert response.status_code == 409, response.text
        assert error_code(response) == "dynamic_ended"
    assert await stored_answers(app, alice, dynamic_id) == {
        "care.praise": "hard_limit",
        "verbal.orders": "yes",
    }
    # Still readable, with the same rule.
    view = await read(client, alice, dynamic_id)
    assert as_map(view["partner"]) == {"verbal.orders": "maybe"}
    assert view["talk"] == ["verbal.orders"]


async def test_answers_can_change_while_paused(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    red = await client.post(f"/api/dynamics/{dynamic_id}/red", json={}, headers=bob.headers)
    assert red.status_code == 200, red.text
    assert red.json()["state"] == "paused"
    # Safety information can always be added, by either member.
    for member in (alice, bob):
        put = await put_mine(client, member, dynamic_id, {"restraint.rope": "hard_limit"})
        assert put.status_code == 200, put.text
    view = await read(client, alice, dynamic_id)
    assert as_map(view["partner"]) == {"restraint.rope": "hard_limit"}


async def test_answers_belong_to_one_dynamic(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    carol = await register(client, "Carol")
    other = await pair(client, carol, alice)
    await replace(client, alice, dynamic_id, {"care.praise": "hard_limit"})
    await replace(client, alice, other, {"care.praise": "yes"})
    await replace(client, carol, other, {"care.praise": "yes"})
    # Bob sees Alice's hard limit of their dynamic; Carol sees the match of hers.
    assert as_map((await read(client, bob, dynamic_id))["partner"]) == {"care.praise": "hard_limit"}
    assert (await read(client, carol, other))["matches"] == ["care.praise"]
    # Neither reaches the other's dynamic.
    assert (await put_mine(client, carol, dynamic_id, {})).status_code == 404
    response = await client.get(f"/api/dynamics/{other}/limits", headers=bob.headers)
    assert response.status_code == 404


# --- notifications ------------------------------------------------------------------------------


async def test_every_save_tells_the_partner_how_many_answers_and_matches_changed(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    async def step(answers: Answers, told: dict[str, int] | None) -> None:
        before = await limits_notices(client, bob)
        await replace(client, alice, dynamic_id, answers)
        after = await limits_notices(client, bob)
        assert len(after) == len(before) + (told is not None), answers
        if told is not None:
            assert after[0]["data"] == told, answers
        # Alice is never told about her own change.
        assert len(await limits_notices(client, alice)) == alice_told

    await replace(client, bob, dynamic_id, {"care.praise": "yes", "verbal.orders": "no"})
    alice_notices = await limits_notices(client, alice)
    alice_told = len(alice_notices)
    assert [n["data"] for n in alice_notices] == [{"changed": 2, "appeared": 0, "withdrawn": 0}]

    # A private answer changing is counted too: trying answers out is never silent.
    await step({"control.finances": "yes"}, {"changed": 1, "appeared": 0, "withdrawn": 0})
    await step({"control.finances": "yes"}, None)  # the same again: nothing changed
    await step({"control.finances": "maybe"}, {"changed": 1, "appeared": 0, "withdrawn": 0})
    # A yes meeting Bob's no is nothing, but it is still an answer that changed.
    await step(
        {"control.finances": "maybe", "verbal.orders": "yes"},
        {"changed": 1, "appeared": 0, "withdrawn": 0},
    )
    # Meeting Bob's yes: a match appears; turning it into a maybe keeps it revealed.
    await step(
        {"control.finances": "maybe", "care.praise": "yes"},
        {"changed": 2, "appeared": 1, "withdrawn": 0},
    )
    await step(
        {"control.finances": "maybe", "care.praise": "maybe"},
        {"changed": 1, "appeared": 0, "withdrawn": 0},
    )
    # Taking it back withdraws it.
    await step({"control.finances": "maybe"}, {"changed": 1, "appeared": 0, "withdrawn": 1})

    notices = await limits_notices(client, bob)
    assert len(notices) == 6
    for notice in notices:
        assert notice["actor_id"] == alice.id
        assert notice["dynamic_id"] == dynamic_id
        # A notice names no item and no answer, only counts: the inbox may reach a lock screen.
        assert set(notice["data"]) == {"changed", "appeared", "withdrawn"}
    assert await unread(client, bob) == 6


async def test_a_notice_goes_to_the_partner_of_whoever_saved(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    # Alice's private yes: Bob learns that one answer changed, not which.
    await replace(client, alice, dynamic_id, {"praise in public": "yes"})
    assert [n["data"] for n in await limits_notices(client, bob)] == [
        {"changed": 1, "appeared": 0, "withdrawn": 0}
    ]
    # Bob's maybe on the same item reveals both: Alice is told one appeared.
    put = await replace(client, bob, dynamic_id, {"praise in public": "maybe"})
    assert put["talk"] == ["praise in public"]
    assert [n["data"] for n in await limits_notices(client, alice)] == [
        {"changed": 1, "appeared": 1, "withdrawn": 0}
    ]
    assert len(await limits_notices(client, bob)) == 1


# --- privacy ------------------------------------------------------------------------------------


async def test_a_private_answer_never_leaks_through_any_route(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    secret = "Velvet Quokka Lantern"
    await replace(client, alice, dynamic_id, {"care.praise": "no", "Tangerine Anvil": "no"})
    await replace(
        client,
        bob,
        dynamic_id,
        {secret: "yes", "Secret Maybe Marzipan": "maybe", "Shared Cobalt Kettle": "hard_limit"},
    )
    # Bob changes his private answers, and still nothing shows.
    put = await replace(
        client,
        bob,
        dynamic_id,
        {secret: "maybe", "Secret Maybe Marzipan": "yes", "Shared Cobalt Kettle": "hard_limit"},
    )
    assert as_map(put["partner"]) == {"care.praise": "no", "tangerine anvil": "no"}
    # Alice's own PUT answers a view, with the same rule.
    alice_put = await replace(
        client, alice, dynamic_id, {"care.praise": "no", "Tangerine Anvil": "no"}
    )
    assert as_map(alice_put["partner"]) == {"shared cobalt kettle": "hard_limit"}
    assert alice_put["matches"] == []

    seen = await everything_seen_by(client, alice, dynamic_id)
    seen["put"] = json.dumps(alice_put)
    assert_hidden(seen, {secret, "Secret Maybe Marzipan", "Quokka", "Marzipan"})
    # The search would have found it: the shared hard limit is there.
    assert "shared cobalt kettle" in seen["limits"]


async def test_the_export_holds_the_users_own_answers_only(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    carol = await register(client, "Carol")
    other = await pair(client, carol, alice)
    await replace(
        client, alice, dynamic_id, {"care.praise": "yes", "Tangerine Anvil": "hard_limit"}
    )
    await replace(client, alice, other, {"control.finances": "maybe"})
    await replace(
        client,
        bob,
        dynamic_id,
        {"care.praise": "maybe", "Bob Private Quokka": "yes", "Bob Shared Kettle": "no"},
    )
    await replace(client, carol, other, {"Carol Private Marzipan": "yes"})
    # Alice leaves Carol: the answers of an ended dynamic stay in her export.
    assert (await client.post(f"/api/dynamics/{other}/leave", headers=alice.headers)).is_success

    response = await client.get("/api/me/export", headers=alice.headers)
    assert response.status_code == 200, response.text
    exported = response.json()["limits"]
    assert sorted((e["dynamic_id"], e["item"], e["answer"]) for e in exported) == sorted(
        [
            (dynamic_id, "care.praise", "yes"),
            (dynamic_id, "tangerine anvil", "hard_limit"),
            (other, "control.finances", "maybe"),
        ]
    )
    text = response.text.casefold()
    for private in ("bob private quokka", "carol private marzipan"):
        assert private not in text

    bob_export = (await client.get("/api/me/export", headers=bob.headers)).json()
    assert {(e["item"], e["answer"]) for e in bob_export["limits"]} == {
        ("care.praise", "maybe"),
        ("bob private quokka", "yes"),
        ("bob shared kettle", "no"),
    }
    assert "tangerine anvil" not in json.dumps(bob_export).casefold()


# --- the property -------------------------------------------------------------------------------

# Items both may answer, each with spellings that name the same item.
SPELLINGS: dict[str, tuple[str, ...]] = {
    "care.praise": ("care.praise", "Care.Praise"),
    "restraint.rope": ("restraint.rope",),
    "verbal.orders": ("verbal.orders", " VERBAL.ORDERS "),
    "velvet rope": ("Velvet Rope", "velvet rope", "  VELVET   rope"),
    "morning tea ritual": ("Morning Tea Ritual", "morning tea ritual"),
}
# Items only one of them answers, with names found nowhere else, so their text can be searched.
ONLY = {
    "alice": ("Tangerine Anvil Alpha", "Cobalt Harmonica Alpha", "Saffron Lighthouse Alpha"),
    "bob": ("Quokka Lantern Bravo", "Marzipan Compass Bravo", "Obsidian Kettle Bravo"),
}

answer_sets = st.dictionaries(
    st.sampled_from(sorted(SPELLINGS)),
    st.tuples(st.integers(0, 2), st.sampled_from(ANSWERS)),
)


def only_sets(who: str) -> st.SearchStrategy[Answers]:
    return st.dictionaries(st.sampled_from(ONLY[who]), st.sampled_from(ANSWERS), max_size=3)


def only_answers(who: str, sent: dict[str, Answers]) -> Answers:
    """The answers ``who`` gave to the items only they answer."""
    return {i: a for i, a in sent[who].items() if i in ONLY[who]}


def spelled(choice: dict[str, tuple[int, str]], only: Answers) -> tuple[Answers, Answers]:
    """(what is sent, what the API should name it)."""
    sent = {SPELLINGS[i][n % len(SPELLINGS[i])]: a for i, (n, a) in choice.items()}
    sent.update(only)
    named = {i: a for i, (_, a) in choice.items()} | {canon(i): a for i, a in only.items()}
    return sent, named


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    alice_choice=answer_sets,
    bob_choice=answer_sets,
    alice_only=only_sets("alice"),
    bob_only=only_sets("bob"),
    alice_first=st.booleans(),
)
async def test_what_each_member_sees_of_the_other(
    client: httpx.AsyncClient,
    alice: Member,
    bob: Member,
    dynamic_id: str,
    alice_choice: dict[str, tuple[int, str]],
    bob_choice: dict[str, tuple[int, str]],
    alice_only: Answers,
    bob_only: Answers,
    alice_first: bool,
) -> None:
    members = {"alice": alice, "bob": bob}
    sent, named = {}, {}
    sent["alice"], named["alice"] = spelled(alice_choice, alice_only)
    sent["bob"], named["bob"] = spelled(bob_choice, bob_only)
    other = {"alice": "bob", "bob": "alice"}

    # Reset both members' answers, in either order; each PUT that changes an answer tells the
    # partner (and one that changes nothing does not).
    for who in ("alice", "bob") if alice_first else ("bob", "alice"):
        watcher = members[other[who]]
        had = as_map((await read(client, members[who], dynamic_id))["mine"])
        told_before = await unread(client, watcher)
        put = await replace(client, members[who], dynamic_id, sent[who])
        assert as_map(put["mine"]) == named[who]
        told_after = await unread(client, watcher)
        assert told_after - told_before == (had != named[who])

    for who, member in members.items():
        mine, theirs = named[who], named[other[who]]
        view = await read(client, member, dynamic_id)
        assert as_map(view["mine"]) == mine
        # For every item: the partner's answer shows iff it is safety information or both
        # answered yes or maybe.
        shown = as_map(view["partner"])
        for item in mine.keys() | theirs.keys():
            visible = item in theirs and (
                theirs[item] in SHARED or (theirs[item] in DESIRES and mine.get(item) in DESIRES)
            )
            assert (item in shown) == visible, (who, item, mine.get(item), theirs.get(item))
            if visible:
                assert shown[item] == theirs[item]
        assert set(shown) <= set(theirs)
        assert view["matches"] == expected_matches(mine, theirs)
        assert view["talk"] == expected_talk(mine, theirs)

        # The partner's private-only custom texts appear nowhere the member can read.
        texts = await everything_seen_by(client, member, dynamic_id)
        private = {i for i, a in only_answers(other[who], sent).items() if a in DESIRES}
        assert_hidden(texts, private)
        # While the partner's shared ones do show (so the search would find a leak).
        for item, answer in only_answers(other[who], sent).items():
            if answer in SHARED:
                assert canon(item) in texts["limits"]

        # The export holds the member's own answers of this dynamic, exactly.
        export = json.loads(texts["export"])
        assert {
            e["item"]: e["answer"] for e in export["limits"] if e["dynamic_id"] == dynamic_id
        } == mine
