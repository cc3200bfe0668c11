"""Check-in and completion words as envelopes, through the real app on SQLite and PostgreSQL,
with devices played by PyNaCl (tests/e2ee.py): a dynamic with a pair key refuses words in clear
by name, one without refuses envelopes; envelopes are checked for shape and size, stored as
they came and handed back (the list, the feed, home, the export) for the partner's device to
open; and a ciphertext moved to another record or field does not open."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import nacl.exceptions
import pytest
from sqlalchemy import select

from app.checkins.models import CheckIn, CheckInResponse
from app.protocols.models import Completion
from tests import e2ee
from tests.helpers import Member, error_code, pair
from tests.helpers.checkins import checkins_url
from tests.helpers.keys import make_private
from tests.helpers.protocols import active_protocol
from tests.test_reviews import answer, start, submit

NOTE = "I loved how you held me after the call tonight."
NEED = "a slow Sunday"


def sealed(key: bytes, text: str, entity: str, record: str, field: str) -> dict[str, Any]:
    return e2ee.aead_seal(key, text.encode(), f"{entity}:{record}:{field}")


def opened(key: bytes, envelope: dict[str, Any], entity: str, record: str, field: str) -> str:
    return e2ee.aead_open(key, envelope, f"{entity}:{record}:{field}").decode()


async def post_checkin(
    client: httpx.AsyncClient, member: Member, dynamic_id: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(checkins_url(dynamic_id), json=body, headers=member.idem())


def named(response: httpx.Response, field: str) -> bool:
    """A 422 whose errors name ``field``."""
    return response.status_code == 422 and any(
        field in e["loc"] for e in response.json().get("errors", [])
    )


async def test_a_private_dynamic_takes_only_envelopes(
    app: Any, client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    key = await make_private(client, alice, bob, dynamic_id)

    clear = await post_checkin(client, alice, dynamic_id, {"mood": 4, "note": NOTE})
    assert named(clear, "note") and error_code(clear) == "words_not_private", clear.text
    assert "note" in clear.json()["detail"]
    custom = await post_checkin(client, alice, dynamic_id, {"mood": 4, "needs": ["praise", NEED]})
    assert named(custom, "needs") and error_code(custom) == "words_not_private"

    record = str(uuid.uuid4())
    note = sealed(key, NOTE, "checkin", record, "note")
    need = sealed(key, NEED, "checkin", record, "needs")
    no_id = await post_checkin(client, alice, dynamic_id, {"mood": 4, "note": note})
    assert named(no_id, "id") and error_code(no_id) == "id_required"

    # The fixed chips stay in clear beside a custom need in its envelope.
    body = {"id": record, "mood": 4, "needs": ["praise", need], "note": note}
    made = await post_checkin(client, alice, dynamic_id, body)
    assert made.status_code == 201, made.text
    assert made.json()["id"] == record
    assert made.json()["note"] == note and made.json()["needs"] == ["praise", need]

    # Stored as it came: the column holds the envelope's JSON text, the list its object.
    async with app.state.db.reader() as reader:
        row = (await reader.execute(select(CheckIn))).scalar_one()
    assert row.note is not None and json.loads(row.note) == note and NOTE not in row.note
    assert row.needs == ["praise", need]

    # Bob's device reads it back from every route and opens it; Alice's own list too.
    listed = (await client.get(checkins_url(dynamic_id), headers=bob.headers)).json()["items"]
    assert opened(key, listed[0]["note"], "checkin", record, "note") == NOTE
    assert opened(key, listed[0]["needs"][1], "checkin", record, "needs") == NEED
    today = (await client.get(f"/api/dynamics/{dynamic_id}/today", headers=bob.headers)).json()
    assert today["open_needs"][0]["needs"] == ["praise", need]
    feed = (await client.get("/api/sync", headers=bob.headers)).json()["changes"]
    assert [c["data"]["note"] for c in feed if c["entity"] == "checkin"] == [note]
    exported = (await client.get("/api/me/export", headers=alice.headers)).json()["checkins"]
    assert exported[0]["note"] == note

    # Bob answers in an envelope of his own.
    answer_id = str(uuid.uuid4())
    answer_note = sealed(key, "On my way with tea.", "checkin_response", answer_id, "note")
    clear_answer = await client.post(
        f"/api/checkins/{record}/responses",
        json={"kind": "on_it", "note": "On my way with tea."},
        headers=bob.idem(),
    )
    assert named(clear_answer, "note") and error_code(clear_answer) == "words_not_private"
    answered = await client.post(
        f"/api/checkins/{record}/responses",
        json={"id": answer_id, "kind": "on_it", "note": answer_note},
        headers=bob.idem(),
    )
    assert answered.status_code == 201, answered.text
    got = (await client.get(f"/api/checkins/{record}/responses", headers=alice.headers)).json()
    assert opened(key, got[0]["note"], "checkin_response", answer_id, "note") == (
        "On my way with tea."
    )
    async with app.state.db.reader() as reader:
        stored = (await reader.execute(select(CheckInResponse))).scalar_one()
    assert stored.note is not None and "tea" not in stored.note

    # A check-in without words is as it was.
    plain = await post_checkin(client, bob, dynamic_id, {"mood": 2, "needs": ["rest"]})
    assert plain.status_code == 201, plain.text


async def test_a_moved_ciphertext_does_not_open(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    key = await make_private(client, alice, bob, dynamic_id)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    note = sealed(key, NOTE, "checkin", first, "note")
    made = await post_checkin(client, alice, dynamic_id, {"id": first, "mood": 3, "note": note})
    assert made.status_code == 201, made.text
    # The server cannot tell (it holds no key): it stores the same envelope on another
    # check-in, and as a need. Neither opens where it was put.
    moved = await post_checkin(client, alice, dynamic_id, {"id": second, "mood": 3, "note": note})
    assert moved.status_code == 201, moved.text
    short = sealed(key, "tea", "checkin", first, "note")
    as_need = await post_checkin(
        client, alice, dynamic_id, {"id": str(uuid.uuid4()), "mood": 3, "needs": [short]}
    )
    assert as_need.status_code == 201, as_need.text
    items = (await client.get(checkins_url(dynamic_id), headers=bob.headers)).json()["items"]
    by_id = {item["id"]: item for item in items}
    assert opened(key, by_id[first]["note"], "checkin", first, "note") == NOTE
    with pytest.raises(nacl.exceptions.CryptoError):
        opened(key, by_id[second]["note"], "checkin", second, "note")
    need_record = next(i for i in items if i["needs"])
    with pytest.raises(nacl.exceptions.CryptoError):
        opened(key, need_record["needs"][0], "checkin", need_record["id"], "needs")
    # The same id twice is a conflict, not a second check-in.
    again = await post_checkin(client, alice, dynamic_id, {"id": first, "mood": 3, "note": note})
    assert again.status_code == 409, again.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda e: e.update(v=2), "v"),
        (lambda e: e.update(n=e2ee.b64(bytes(12))), "n"),
        (lambda e: e.update(n="+" * 32), "n"),
        (lambda e: e.update(c=e2ee.b64(bytes(15))), "c"),  # shorter than its tag
        (lambda e: e.update(c=e2ee.b64(bytes(4 * 1000 + 17))), "c"),  # more than 1000 chars hold
        (lambda e: e.update(c="not base64!"), "c"),
        (lambda e: e.update(extra="x"), "extra"),
        (lambda e: e.pop("n"), "n"),
    ],
)
async def test_a_malformed_envelope_is_422_naming_it(
    client: httpx.AsyncClient, alice: Member, bob: Member, change: Any, field: str
) -> None:
    dynamic_id = await pair(client, alice, bob)
    key = await make_private(client, alice, bob, dynamic_id)
    record = str(uuid.uuid4())
    envelope = sealed(key, NOTE, "checkin", record, "note")
    change(envelope)
    response = await post_checkin(
        client, alice, dynamic_id, {"id": record, "mood": 3, "note": envelope}
    )
    assert response.status_code == 422, response.text
    assert any("note" in e["loc"] and field in e["loc"] for e in response.json()["errors"])
    # A custom need's envelope is capped at what 24 characters hold.
    big_need = sealed(key, "x" * 200, "checkin", record, "needs")
    too_big = await post_checkin(
        client, alice, dynamic_id, {"id": record, "mood": 3, "needs": [big_need]}
    )
    assert named(too_big, "needs"), too_big.text


async def test_a_dynamic_without_a_pair_key_takes_words_not_envelopes(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    record = str(uuid.uuid4())
    envelope = sealed(bytes(32), NOTE, "checkin", record, "note")
    refused = await post_checkin(
        client, alice, dynamic_id, {"id": record, "mood": 3, "note": envelope}
    )
    assert named(refused, "note") and error_code(refused) == "no_pair_key"
    # Clear words that read as an envelope would come back as one: refused too.
    lookalike = await post_checkin(
        client, alice, dynamic_id, {"mood": 3, "note": json.dumps(envelope)}
    )
    assert named(lookalike, "note"), lookalike.text
    clear = await post_checkin(client, alice, dynamic_id, {"mood": 3, "note": NOTE})
    assert clear.status_code == 201 and clear.json()["note"] == NOTE


async def test_the_review_agenda_names_a_private_need_without_reading_it(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    key = await make_private(client, alice, bob, dynamic_id)
    record = str(uuid.uuid4())
    need = sealed(key, NEED, "checkin", record, "needs")
    made = await post_checkin(
        client, alice, dynamic_id, {"id": record, "mood": 3, "needs": ["praise", need]}
    )
    assert made.status_code == 201, made.text
    review = await start(client, alice, dynamic_id)
    for member in (alice, bob):
        await answer(client, member, review["id"], {"heard": 4})
        await submit(client, member, review["id"])
    agenda = (await client.get(f"/api/reviews/{review['id']}", headers=bob.headers)).json()
    (waiting,) = [item for item in agenda["agenda"] if item["kind"] == "needs"]
    assert "praise, something in their own words" in waiting["text"]
    assert NEED not in str(agenda)


async def test_completion_and_acknowledgement_notes_are_envelopes(
    app: Any, client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    protocol = await active_protocol(client, alice, bob, dynamic_id)
    key = await make_private(client, alice, bob, dynamic_id)
    path = f"/api/protocols/{protocol['id']}/completions"

    clear = await client.post(path, json={"note": "Sent it at seven"}, headers=alice.idem())
    assert named(clear, "note") and error_code(clear) == "words_not_private"
    record = str(uuid.uuid4())
    note = sealed(key, "Sent it at seven", "completion", record, "note")
    done = await client.post(path, json={"id": record, "note": note}, headers=alice.idem())
    assert done.status_code == 201, done.text

    ack_path = f"/api/completions/{record}/acknowledge"
    clear_ack = await client.post(ack_path, json={"note": "Thank you"}, headers=bob.idem())
    assert named(clear_ack, "note") and error_code(clear_ack) == "words_not_private"
    # Bound to the completion and its field: the completion's own note does not pass for it.
    thanks = sealed(key, "Thank you", "completion", record, "acknowledgement_note")
    acked = await client.post(ack_path, json={"note": thanks}, headers=bob.idem())
    assert acked.status_code == 201, acked.text

    listed = (await client.get(path, headers=bob.headers)).json()["items"][0]
    assert opened(key, listed["note"], "completion", record, "note") == "Sent it at seven"
    assert opened(
        key, listed["acknowledgement_note"], "completion", record, "acknowledgement_note"
    ) == ("Thank you")
    with pytest.raises(nacl.exceptions.CryptoError):
        opened(key, listed["acknowledgement_note"], "completion", record, "note")
    async with app.state.db.reader() as reader:
        row = (await reader.execute(select(Completion))).scalar_one()
    assert "Sent it" not in str(row.note) and "Thank" not in str(row.acknowledgement_note)
