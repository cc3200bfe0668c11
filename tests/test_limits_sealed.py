"""Limits in a dynamic whose words are private (docs/e2ee.md, "Limits"): a custom item is its
blind index, made on the phone, with its words sealed beside it (``label``); a maybe's condition
is an envelope; items written in clear before the pair key are renamed (``rekey``) with the
match they made kept and nothing counted as changed. Phones are played here with PyNaCl."""

from __future__ import annotations

from typing import Any

import httpx
import nacl.exceptions
import pytest

from tests import e2ee
from tests.helpers import Member, error_code, pair
from tests.helpers.keys import make_private
from tests.test_words_migration import rows_holding

FOOT_RUBS = "Foot rubs after work"
PRIVATE_WISH = "Reading to each other"
CONDITION = "Only on a slow Sunday morning"
HARD = "Anything with ice"


def label(key: bytes, dynamic_id: str, index: str, words: str) -> dict[str, Any]:
    return e2ee.aead_seal(key, words.encode(), f"limit_item:{dynamic_id}.{index}:label")


def opened_label(key: bytes, dynamic_id: str, index: str, envelope: dict[str, Any]) -> str:
    return e2ee.aead_open(key, envelope, f"limit_item:{dynamic_id}.{index}:label").decode()


def sealed_condition(key: bytes, user_id: str, item: str, words: str) -> dict[str, Any]:
    return e2ee.aead_seal(key, words.encode(), f"limit_answer:{user_id}.{item}.both:condition")


def custom(key: bytes, dynamic_id: str, words: str, answer: str) -> dict[str, Any]:
    index = e2ee.limit_index(key, words)
    return {"item": index, "answer": answer, "label": label(key, dynamic_id, index, words)}


async def put(
    client: httpx.AsyncClient, member: Member, dynamic_id: str, items: list[Any], **extra: Any
) -> httpx.Response:
    return await client.put(
        f"/api/dynamics/{dynamic_id}/limits/mine",
        json={"items": items, **extra},
        headers=member.idem(),
    )


async def limits_told(client: httpx.AsyncClient, member: Member) -> list[dict[str, Any]]:
    inbox = (await client.get("/api/notifications", headers=member.headers)).json()["items"]
    return [n["data"] for n in inbox if n["kind"] == "limits_updated"]


async def test_a_private_dynamic_takes_custom_items_and_conditions_only_sealed(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    key = await make_private(client, alice, bob, dynamic_id)

    clear = await put(client, alice, dynamic_id, [{"item": FOOT_RUBS, "answer": "yes"}])
    assert clear.status_code == 422 and error_code(clear) == "words_not_private"
    assert clear.json()["errors"][0]["loc"] == ["body", "items[0].item"]
    maybe = {"item": "restraint.rope", "answer": "maybe", "condition": CONDITION}
    clear = await put(client, alice, dynamic_id, [maybe])
    assert clear.status_code == 422 and error_code(clear) == "words_not_private"
    assert clear.json()["errors"][0]["loc"] == ["body", "items[0].condition"]
    index = e2ee.limit_index(key, FOOT_RUBS)
    unnamed = await put(client, alice, dynamic_id, [{"item": index, "answer": "yes"}])
    assert unnamed.status_code == 422 and "label" in unnamed.json()["detail"]
    bent = await put(client, alice, dynamic_id, [{"item": "b:short", "answer": "yes"}])
    assert bent.status_code == 422 and "blind index" in bent.json()["detail"]
    # Nothing was stored by any of them.
    view = (await client.get(f"/api/dynamics/{dynamic_id}/limits", headers=alice.headers)).json()
    assert view["mine"] == []

    # Sealed, the same answers are taken; the checklist's keys stay as they are.
    rope = {**maybe, "condition": sealed_condition(key, alice.id, "restraint.rope", CONDITION)}
    saved = await put(client, alice, dynamic_id, [custom(key, dynamic_id, FOOT_RUBS, "yes"), rope])
    assert saved.status_code == 200, saved.text
    # Bob wrote the same item in other case and spacing: his phone makes the same index.
    bob_items = [custom(key, dynamic_id, "foot  RUBS after work", "yes")]
    bob_items.append({"item": "restraint.rope", "answer": "yes"})
    met = await put(client, bob, dynamic_id, bob_items)
    assert met.status_code == 200, met.text
    view = met.json()
    assert view["matches"] == [index] and view["talk"] == ["restraint.rope"]
    (reveal,) = [r for r in view["revealed"] if r["item"] == index]
    # Either partner's words, as they wrote them (both name the one item).
    assert opened_label(key, dynamic_id, index, reveal["label"]) in (
        FOOT_RUBS,
        "foot  RUBS after work",
    )
    alice_rope = next(a for a in view["partner"] if a["item"] == "restraint.rope")
    opened = e2ee.aead_open(
        key, alice_rope["condition"], f"limit_answer:{alice.id}.restraint.rope.both:condition"
    )
    assert opened.decode() == CONDITION
    # A label moved to another item does not open there.
    other = e2ee.limit_index(key, "something else")
    with pytest.raises(nacl.exceptions.CryptoError):
        opened_label(key, dynamic_id, other, reveal["label"])


async def test_without_a_pair_key_nothing_is_sealed_or_renamed(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    key = e2ee.new_pair_key()[1]  # a key nobody else has: the dynamic has none
    sealed = await put(client, alice, dynamic_id, [custom(key, dynamic_id, FOOT_RUBS, "yes")])
    assert sealed.status_code == 422 and error_code(sealed) == "no_pair_key"
    index = e2ee.limit_index(key, FOOT_RUBS)
    move = {"item": FOOT_RUBS, "to": index, "label": label(key, dynamic_id, index, FOOT_RUBS)}
    moved = await put(client, alice, dynamic_id, [], rekey=[move])
    assert moved.status_code == 422 and error_code(moved) == "no_pair_key"


async def test_a_renaming_names_a_blind_index_and_nothing_else(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    key = await make_private(client, alice, bob, dynamic_id)
    index = e2ee.limit_index(key, FOOT_RUBS)
    sealed = label(key, dynamic_id, index, FOOT_RUBS)
    for bad in (
        {"item": FOOT_RUBS, "to": f"foot rubs {index}", "label": sealed},  # words around it
        {"item": FOOT_RUBS, "to": index + "x" * 60, "label": sealed},  # too long for the column
        {"item": FOOT_RUBS, "to": "b:short", "label": sealed},
        {"item": index, "to": index, "label": sealed},  # an index is not a custom item in clear
        {"item": "restraint.rope", "to": index, "label": sealed},  # the checklist is never renamed
    ):
        refused = await put(client, alice, dynamic_id, [], rekey=[bad])
        assert refused.status_code == 422, (bad, refused.text)


async def test_items_written_before_the_pair_key_are_renamed_with_their_match_kept(
    app: Any, client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    # In clear, before any keys: a shared yes (revealed to both), Bob's private wish (which
    # meets nothing of Alice's), Alice's hard limit (always shown to Bob).
    alice_clear = [
        {"item": FOOT_RUBS, "answer": "yes"},
        {"item": HARD, "answer": "hard_limit"},
        {"item": "restraint.rope", "answer": "maybe", "condition": CONDITION},
    ]
    assert (await put(client, alice, dynamic_id, alice_clear)).status_code == 200
    bob_clear = [{"item": FOOT_RUBS, "answer": "yes"}, {"item": PRIVATE_WISH, "answer": "yes"}]
    assert (await put(client, bob, dynamic_id, bob_clear)).status_code == 200
    told_before = await limits_told(client, bob)

    key = await make_private(client, alice, bob, dynamic_id)
    # Alice's phone renames every custom item it can see (hers, Bob's shown ones, the
    # reveals), and saves her answers sealed.
    foot, hard = e2ee.limit_index(key, FOOT_RUBS), e2ee.limit_index(key, HARD)
    rekey = [
        {"item": words, "to": index, "label": label(key, dynamic_id, index, words)}
        for words, index in ((FOOT_RUBS, foot), (HARD, hard))
    ]
    rope = {
        "item": "restraint.rope",
        "answer": "maybe",
        "condition": sealed_condition(key, alice.id, "restraint.rope", CONDITION),
    }
    sealed = [
        custom(key, dynamic_id, FOOT_RUBS, "yes"),
        custom(key, dynamic_id, HARD, "hard_limit"),
        rope,
    ]
    # Her phone (were it to guess them) cannot rename Bob's private words: they are not hers,
    # and she does not see them.
    guessed = e2ee.limit_index(key, PRIVATE_WISH)
    rekey.append(
        {"item": PRIVATE_WISH, "to": guessed, "label": label(key, dynamic_id, guessed, "other")}
    )
    saved = await put(client, alice, dynamic_id, sealed, rekey=rekey)
    assert saved.status_code == 200, saved.text
    view = saved.json()
    # The match stands under its index, never withdrawn; Bob is told of no change (renaming
    # is none, and a condition in clear sealed with the same answer is the same answer).
    (reveal,) = view["revealed"]
    assert reveal["item"] == foot and reveal["withdrawn_at"] is None and reveal["kind"] == "match"
    assert opened_label(key, dynamic_id, foot, reveal["label"]) == FOOT_RUBS
    bob_view = (await client.get(f"/api/dynamics/{dynamic_id}/limits", headers=bob.headers)).json()
    assert [a["item"] for a in bob_view["mine"]] == sorted([foot, item_name(PRIVATE_WISH)])
    assert {h["item"] for h in bob_view["partner_hard_limits"]} == {hard}
    assert await limits_told(client, bob) == told_before

    # Bob's phone renames his own wish; after that not one of their words is in clear.
    wish = e2ee.limit_index(key, PRIVATE_WISH)
    bob_sealed = [
        custom(key, dynamic_id, FOOT_RUBS, "yes"),
        custom(key, dynamic_id, PRIVATE_WISH, "yes"),
    ]
    move = [{"item": PRIVATE_WISH, "to": wish, "label": label(key, dynamic_id, wish, PRIVATE_WISH)}]
    assert (await put(client, bob, dynamic_id, bob_sealed, rekey=move)).status_code == 200
    written = (FOOT_RUBS, PRIVATE_WISH, HARD)
    words = (*written, *(item_name(w) for w in written), CONDITION)
    assert await rows_holding(app, words) == []
    final = (await client.get(f"/api/dynamics/{dynamic_id}/limits", headers=alice.headers)).json()
    assert final["matches"] == [foot]


def item_name(words: str) -> str:
    from app.limits.schemas import item_key

    return item_key(words)
