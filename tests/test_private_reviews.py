"""Review texts as envelopes, through the real app on SQLite and PostgreSQL, with devices played
by PyNaCl (tests/e2ee.py): in a private dynamic each member's free-text answers (went well, wish,
note, a vote's comment) are sealed for ``review_answer:<review id>.<author's id>:<field>`` and
the shared summary for ``review:<review id>:summary``; words in clear are a 422 naming the field
and store nothing; the partner opens them once revealed; moved to the other member or another
field they do not open; no table holds the sentences."""

from __future__ import annotations

import json
from typing import Any

import httpx
import nacl.exceptions
import pytest
from sqlalchemy import select

from app.reviews.models import Review, ReviewAnswer
from tests import e2ee
from tests.helpers import Member, error_code, pair
from tests.helpers.keys import make_private
from tests.test_private_signals import named
from tests.test_reviews import answer, protocol, start, submit

WENT_WELL = "The Sunday mornings with coffee in bed"
WISH = "More time outside together, just walking"
COMMENT = "It feels heavy on work days"
SUMMARY = "We keep the mornings and move the evening ritual to weekends"
WRITTEN = (WENT_WELL, WISH, COMMENT, SUMMARY)


def answer_ad(review_id: str, author: Member, field: str) -> str:
    return f"review_answer:{review_id}.{author.id}:{field}"


async def put(client: httpx.AsyncClient, member: Member, rid: str, body: dict[str, Any]) -> Any:
    return await client.put(f"/api/reviews/{rid}/answers/mine", json=body, headers=member.headers)


async def test_review_texts_are_envelopes_only_the_two_open(
    app: Any, client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    pid = await protocol(client, alice, bob, dynamic_id, "Evening ritual")
    key = await make_private(client, alice, bob, dynamic_id)
    rid = (await start(client, alice, dynamic_id))["id"]

    for field in ("went_well", "wish", "note"):
        clear = await put(client, alice, rid, {field: WENT_WELL})
        assert named(clear, field) and error_code(clear) == "words_not_private", clear.text
    vote = {"protocol_id": pid, "vote": "change", "comment": COMMENT}
    clear_comment = await put(client, alice, rid, {"protocols": [vote]})
    assert named(clear_comment, "protocols") and error_code(clear_comment) == "words_not_private"
    mine = (await client.get(f"/api/reviews/{rid}", headers=alice.headers)).json()["mine"]
    assert mine is None  # a refusal stored nothing

    seal = e2ee.aead_seal
    body = {
        "heard": 4,
        "went_well": seal(key, WENT_WELL.encode(), answer_ad(rid, alice, "went_well")),
        "wish": seal(key, WISH.encode(), answer_ad(rid, alice, "wish")),
        "protocols": [
            {
                **vote,
                "comment": seal(
                    key, COMMENT.encode(), answer_ad(rid, alice, f"protocols.{pid}.comment")
                ),
            }
        ],
    }
    await answer(client, alice, rid, body)
    await answer(client, bob, rid, {"heard": 3})
    for member in (alice, bob):
        await submit(client, member, rid)

    revealed = (await client.get(f"/api/reviews/{rid}", headers=bob.headers)).json()
    hers = revealed["partner"]
    assert e2ee.aead_open(key, hers["went_well"], answer_ad(rid, alice, "went_well")).decode() == (
        WENT_WELL
    )
    assert e2ee.aead_open(key, hers["wish"], answer_ad(rid, alice, "wish")).decode() == WISH
    comment = hers["protocols"][0]["comment"]
    ad = answer_ad(rid, alice, f"protocols.{pid}.comment")
    assert e2ee.aead_open(key, comment, ad).decode() == COMMENT
    with pytest.raises(nacl.exceptions.CryptoError):
        e2ee.aead_open(key, hers["went_well"], answer_ad(rid, bob, "went_well"))
    with pytest.raises(nacl.exceptions.CryptoError):
        e2ee.aead_open(key, hers["went_well"], answer_ad(rid, alice, "wish"))

    close = f"/api/reviews/{rid}/close"
    clear_summary = await client.post(close, json={"summary": SUMMARY}, headers=bob.idem())
    assert named(clear_summary, "summary") and error_code(clear_summary) == "words_not_private"
    summary = seal(key, SUMMARY.encode(), f"review:{rid}:summary")
    closed = await client.post(close, json={"summary": summary}, headers=bob.idem())
    assert closed.status_code == 200, closed.text
    outcome = (await client.get(f"/api/reviews/{rid}", headers=alice.headers)).json()["outcome"]
    assert e2ee.aead_open(key, outcome["summary"], f"review:{rid}:summary").decode() == SUMMARY

    exported = json.dumps((await client.get("/api/me/export", headers=alice.headers)).json())
    assert not any(text in exported for text in WRITTEN)
    async with app.state.db.reader() as reader:
        rows = [
            *(await reader.execute(select(ReviewAnswer))).scalars(),
            *(await reader.execute(select(Review))).scalars(),
        ]
    stored = " ".join(str(row.model_dump()) for row in rows)
    assert not any(text in stored for text in WRITTEN)


async def test_a_review_without_a_pair_key_takes_words_not_envelopes(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    rid = (await start(client, alice, dynamic_id))["id"]
    envelope = e2ee.aead_seal(bytes(32), WISH.encode(), answer_ad(rid, alice, "wish"))
    refused = await put(client, alice, rid, {"wish": envelope})
    assert named(refused, "wish") and error_code(refused) == "no_pair_key"
    too_big = dict(envelope, c=e2ee.b64(bytes(4 * 1000 + 17)))
    malformed = await put(client, alice, rid, {"wish": too_big})
    assert malformed.status_code == 422 and any(
        "wish" in e["loc"] and "c" in e["loc"] for e in malformed.json()["errors"]
    )
    assert (await answer(client, alice, rid, {"wish": WISH}))["mine"]["wish"] == WISH
