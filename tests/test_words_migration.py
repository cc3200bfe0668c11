"""The one-time encryption of words written before a dynamic's pair key, through the real app on
SQLite and PostgreSQL, with the phone played by PyNaCl (tests/e2ee.py): the phone reads what is
still in clear, seals each for its record and field, and the server puts the envelopes in
place; sent again it changes nothing; words never replace an envelope; another couple's records
are a 404; a ciphertext put on another record does not open there; and afterwards no table holds
one of the sentences."""

from __future__ import annotations

from typing import Any

import httpx
import nacl.exceptions
import pytest
from sqlalchemy import select
from sqlmodel import SQLModel

from app.keys import migration
from tests import e2ee
from tests.helpers import Member, error_code, pair
from tests.helpers.keys import make_private
from tests.helpers.members import register
from tests.helpers.protocols import active_protocol, propose, terms
from tests.test_private_words import named, opened, post_checkin, sealed

NOTE = "The walk by the river made my whole week."
NEED = "a long bath"
ANSWER = "Running it for you now."
DONE = "Wrote the letter by hand."
THANKS = "It made me cry, in a good way."
SENTENCES = (NOTE, NEED, ANSWER, DONE, THANKS)
PROTOCOL_WORDS = ("Morning message", "A short message before nine.")  # active_protocol's terms


def words_url(dynamic_id: str) -> str:
    return f"/api/dynamics/{dynamic_id}/clear-words"


async def written_in_clear(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    """Words of every kind, written while the dynamic had no pair key."""
    checkin = await post_checkin(
        client, alice, dynamic_id, {"mood": 4, "note": NOTE, "needs": ["praise", NEED]}
    )
    assert checkin.status_code == 201, checkin.text
    answer = await client.post(
        f"/api/checkins/{checkin.json()['id']}/responses",
        json={"kind": "on_it", "note": ANSWER},
        headers=bob.idem(),
    )
    assert answer.status_code == 201, answer.text
    protocol = await active_protocol(client, alice, bob, dynamic_id)
    done = await client.post(
        f"/api/protocols/{protocol['id']}/completions", json={"note": DONE}, headers=alice.idem()
    )
    assert done.status_code == 201, done.text
    acked = await client.post(
        f"/api/completions/{done.json()['id']}/acknowledge",
        json={"note": THANKS},
        headers=bob.idem(),
    )
    assert acked.status_code == 201, acked.text


def sealed_items(key: bytes, clear: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "entity": item["entity"],
            "id": item["id"],
            "field": item["field"],
            "index": item["index"],
            "envelope": sealed(key, item["text"], item["entity"], item["id"], item["field"]),
        }
        for item in clear
    ]


async def clear_words(client: httpx.AsyncClient, member: Member, dynamic_id: str) -> Any:
    response = await client.get(words_url(dynamic_id), headers=member.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def rows_holding(app: Any, sentences: tuple[str, ...]) -> list[tuple[str, str]]:
    """Every row of every table, read as text, that holds one of the sentences."""
    found = []
    async with app.state.db.reader() as reader:
        for table in SQLModel.metadata.sorted_tables:
            for row in (await reader.execute(select(table))).all():
                text = " ".join(str(v) for v in row)
                found += [(table.name, s) for s in sentences if s in text]
    return found


async def test_the_phone_seals_what_was_written_before(
    app: Any, client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    await written_in_clear(client, alice, bob, dynamic_id)
    before = await client.get(words_url(dynamic_id), headers=alice.headers)
    assert before.status_code == 422 and error_code(before) == "no_pair_key"
    key = await make_private(client, alice, bob, dynamic_id)

    clear = await clear_words(client, alice, dynamic_id)
    assert clear["more"] is False
    assert sorted((i["entity"], i["field"], i["index"], i["text"]) for i in clear["items"]) == [
        ("checkin", "needs", 1, NEED),
        ("checkin", "note", None, NOTE),
        ("checkin_response", "note", None, ANSWER),
        ("completion", "acknowledgement_note", None, THANKS),
        ("completion", "note", None, DONE),
        ("protocol_version", "description", None, PROTOCOL_WORDS[1]),
        ("protocol_version", "title", None, PROTOCOL_WORDS[0]),
    ]
    since = (await client.get("/api/sync", headers=bob.headers)).json()["cursor"]
    items = sealed_items(key, clear["items"])
    # Interrupted after the first two: the rest is still there to ask for.
    first = await client.post(
        words_url(dynamic_id), json={"items": items[:2]}, headers=alice.headers
    )
    assert first.json() == {"sealed": 2, "already": 0}, first.text
    assert len((await clear_words(client, alice, dynamic_id))["items"]) == 5
    # Sent again whole (Bob's phone, say): what is sealed already stays as it is.
    again = await client.post(words_url(dynamic_id), json={"items": items}, headers=bob.headers)
    assert again.json() == {"sealed": 5, "already": 2}, again.text
    assert (await clear_words(client, alice, dynamic_id)) == {"items": [], "more": False}

    # Bob's phone hears of it through the feed, and opens every word where it was.
    feed = (await client.get(f"/api/sync?cursor={since}", headers=bob.headers)).json()["changes"]
    assert {c["entity"] for c in feed} == {"checkin", "checkin_response", "completion", "protocol"}
    checkin = next(c["data"] for c in feed if c["entity"] == "checkin")
    assert checkin["needs"][0] == "praise"
    assert opened(key, checkin["needs"][1], "checkin", checkin["id"], "needs") == NEED
    assert opened(key, checkin["note"], "checkin", checkin["id"], "note") == NOTE
    done = next(c["data"] for c in feed if c["entity"] == "completion")
    assert (
        opened(key, done["acknowledgement_note"], "completion", done["id"], "acknowledgement_note")
        == THANKS
    )
    assert await rows_holding(app, SENTENCES + PROTOCOL_WORDS) == []

    # Words never replace an envelope: the route takes envelopes only, and writes stay private.
    words = dict(items[0], envelope=NOTE)
    back = await client.post(words_url(dynamic_id), json={"items": [words]}, headers=alice.headers)
    assert back.status_code == 422 and any("envelope" in e["loc"] for e in back.json()["errors"])


async def test_only_an_envelope_of_its_own_field_and_dynamic(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    await written_in_clear(client, alice, bob, dynamic_id)
    key = await make_private(client, alice, bob, dynamic_id)
    clear = (await clear_words(client, alice, dynamic_id))["items"]
    note = next(i for i in clear if i["entity"] == "checkin" and i["field"] == "note")
    item = sealed_items(key, [note])[0]

    async def post(member: Member, dynamic: str, *changed: dict[str, Any]) -> httpx.Response:
        body = {"items": [dict(item, **c) for c in changed] or [item]}
        return await client.post(words_url(dynamic), json=body, headers=member.headers)

    unknown = await post(alice, dynamic_id, {"field": "mood"})
    assert named(unknown, "field") and error_code(unknown) == "not_words"
    placed = await post(alice, dynamic_id, {"index": 0})
    assert named(placed, "index")
    malformed = await post(alice, dynamic_id, {"envelope": {"v": 1, "n": "short", "c": "x"}})
    assert malformed.status_code == 422 and "envelope" in str(malformed.json()["errors"])
    need = next(i for i in clear if i["field"] == "needs")
    too_long = sealed(key, "x" * 200, "checkin", need["id"], "needs")
    long_need = await post(alice, dynamic_id, {"field": "needs", "index": 1, "envelope": too_long})
    assert named(long_need, "envelope")
    fixed_chip = await post(alice, dynamic_id, {"field": "needs", "index": 0})
    assert fixed_chip.json() == {"sealed": 0, "already": 1}, fixed_chip.text

    # Another couple: their dynamic is private too, and none of these records is theirs.
    carol, dave = await register(client, "Carol"), await register(client, "Dave")
    theirs = await pair(client, carol, dave)
    await make_private(client, carol, dave, theirs)
    assert (await post(carol, dynamic_id)).status_code == 404
    assert (await post(carol, theirs)).status_code == 404
    assert (await client.get(words_url(dynamic_id), headers=carol.headers)).status_code == 404

    # An envelope sealed for the check-in's note, put in place of its answer's note: the server
    # cannot tell, and the answer's envelope does not open there.
    answer = next(i for i in clear if i["entity"] == "checkin_response")
    moved = await post(alice, dynamic_id, {"entity": "checkin_response", "id": answer["id"]})
    assert moved.json() == {"sealed": 1, "already": 0}
    got = await client.get(f"/api/checkins/{note['id']}/responses", headers=bob.headers)
    with pytest.raises(nacl.exceptions.CryptoError):
        opened(key, got.json()[0]["note"], "checkin_response", answer["id"], "note")
    assert e2ee.aead_open(key, item["envelope"], f"checkin:{note['id']}:note").decode() == NOTE


async def test_a_page_at_a_time_until_none_is_left(
    client: httpx.AsyncClient, alice: Member, bob: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(migration, "PAGE", 2)  # seven words, in pages of two
    dynamic_id = await pair(client, alice, bob)
    await written_in_clear(client, alice, bob, dynamic_id)
    key = await make_private(client, alice, bob, dynamic_id)
    pages, texts = [], []
    while (page := await clear_words(client, alice, dynamic_id))["items"]:
        pages.append(page["more"])
        texts += [i["text"] for i in page["items"]]
        body = {"items": sealed_items(key, page["items"])}
        sent = await client.post(words_url(dynamic_id), json=body, headers=alice.headers)
        assert sent.json()["sealed"] == len(page["items"]), sent.text
    assert pages == [True, True, True, False]
    assert sorted(texts) == sorted(SENTENCES + PROTOCOL_WORDS)


RED = "I need us to stop and hold each other."
YELLOW = "Can we talk tonight about the weekend?"
SEEN = "I hear you, and I'm here."
TITLE = "Evening ritual"
DESCRIPTION = "Tea together at nine, phones away."
REASON = "Not this week: my shifts changed."
WENT_WELL = "You listened every time I asked."
COMMENT = "Earlier on work nights, please."
SUMMARY = "We keep the ritual and move it to eight."
OWN_NEED = "a slow Sunday"
BEFORE = (RED, YELLOW, SEEN, TITLE, DESCRIPTION, REASON, WENT_WELL, COMMENT, SUMMARY, OWN_NEED)


async def everything_else_in_clear(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> tuple[str, str]:
    """Signal notes, a protocol's words, a reason, a review with its answers, votes, agenda and
    summary, all written while the dynamic had no pair key. Returns the protocol's and the
    review's ids."""
    body = terms(bob, title=TITLE, description=DESCRIPTION, schedule=None)
    protocol = await active_protocol(client, alice, bob, dynamic_id, body)
    other = await propose(client, alice, dynamic_id, terms(bob, title="Tidy desk"))
    declined = await client.post(
        f"/api/protocols/{other['id']}/decline", json={"reason": REASON}, headers=bob.idem()
    )
    assert declined.status_code == 200, declined.text
    asked = await post_checkin(client, alice, dynamic_id, {"mood": 3, "needs": [OWN_NEED]})
    assert asked.status_code == 201, asked.text
    review = await client.post(f"/api/dynamics/{dynamic_id}/reviews", json={}, headers=alice.idem())
    rid = review.json()["id"]
    vote = {"protocol_id": protocol["id"], "vote": "change", "comment": COMMENT}
    for member, answers in (
        (alice, {"went_well": WENT_WELL, "protocols": [vote]}),
        (bob, {"heard": 4}),
    ):
        saved = await client.put(
            f"/api/reviews/{rid}/answers/mine", json=answers, headers=member.headers
        )
        assert saved.status_code == 200, saved.text
        done = await client.post(f"/api/reviews/{rid}/submit", json={}, headers=member.idem())
        assert done.status_code == 200, done.text
    closed = await client.post(
        f"/api/reviews/{rid}/close", json={"summary": SUMMARY}, headers=bob.idem()
    )
    assert closed.status_code == 200, closed.text
    for member, which, note in (
        (alice, "yellow", YELLOW),
        (bob, "seen", SEEN),
        (alice, "red", RED),
    ):
        signalled = await client.post(
            f"/api/dynamics/{dynamic_id}/{which}", json={"note": note}, headers=member.idem()
        )
        assert signalled.status_code == 200, signalled.text
    return protocol["id"], rid


async def test_signals_protocols_and_reviews_from_before_are_sealed_with_their_copies(
    app: Any, client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    pid, rid = await everything_else_in_clear(client, alice, bob, dynamic_id)
    before = (await client.get(f"/api/reviews/{rid}", headers=alice.headers)).json()
    agenda = " ".join(item["text"] for item in before["agenda"])
    assert f"“{TITLE}”" in agenda and OWN_NEED in agenda  # copies of the words, in clear
    key = await make_private(client, alice, bob, dynamic_id)

    clear = await clear_words(client, alice, dynamic_id)
    answer = f"{rid}.{alice.id}"
    named_here = {(i["entity"], i["id"], i["field"]): i["text"] for i in clear["items"]}
    assert named_here[("member", alice.id, "red_note")] == RED
    assert named_here[("member", alice.id, "yellow_note")] == YELLOW
    assert named_here[("member", bob.id, "saw_note")] == SEEN
    assert named_here[("review_answer", answer, "went_well")] == WENT_WELL
    assert named_here[("review_answer", answer, f"protocols.{pid}.comment")] == COMMENT
    assert named_here[("review", rid, "summary")] == SUMMARY
    assert {i["text"] for i in clear["items"] if i["entity"] != "checkin"} >= {
        TITLE,
        DESCRIPTION,
        REASON,
    }
    # A record named as another field's records are is refused by name.
    red = next(i for i in clear["items"] if i["field"] == "red_note")
    wrong = dict(sealed_items(key, [red])[0], id=f"{alice.id}.{bob.id}")
    refused = await client.post(
        words_url(dynamic_id), json={"items": [wrong]}, headers=alice.headers
    )
    assert named(refused, "id") and error_code(refused) == "record", refused.text

    sent = await client.post(
        words_url(dynamic_id),
        json={"items": sealed_items(key, clear["items"])},
        headers=bob.headers,
    )
    assert sent.json() == {"sealed": len(clear["items"]), "already": 0}, sent.text
    assert (await clear_words(client, alice, dynamic_id)) == {"items": [], "more": False}
    # Not one of the sentences is left anywhere: neither where it was written nor copied.
    assert await rows_holding(app, BEFORE) == []

    # Each opens where it was written, on either phone.
    dynamic = (await client.get(f"/api/dynamics/{dynamic_id}", headers=bob.headers)).json()
    hers = next(m for m in dynamic["members"] if m["user_id"] == alice.id)
    assert opened(key, hers["red_note"], "member", alice.id, "red_note") == RED
    protocol = (await client.get(f"/api/protocols/{pid}", headers=bob.headers)).json()
    version = protocol["in_force"]
    assert opened(key, version["title"], "protocol_version", version["version_id"], "title") == (
        TITLE
    )
    review = (await client.get(f"/api/reviews/{rid}", headers=bob.headers)).json()
    assert opened(key, review["partner"]["went_well"], "review_answer", answer, "went_well") == (
        WENT_WELL
    )
    vote = review["partner"]["protocols"][0]
    assert vote["title"] == version["title"]  # the vote's copy: the version's own envelope
    assert opened(key, vote["comment"], "review_answer", answer, f"protocols.{pid}.comment") == (
        COMMENT
    )
    assert opened(key, review["outcome"]["summary"], "review", rid, "summary") == SUMMARY
    # The agenda names them as it names words it cannot read.
    agenda = " ".join(item["text"] for item in review["agenda"])
    assert "One of your protocols: Alice would like to change it." in agenda
    assert "asked for something in their own words once" in agenda
