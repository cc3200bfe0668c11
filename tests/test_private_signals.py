"""Red, yellow and "I see you" notes as envelopes, through the real app on SQLite and
PostgreSQL, with devices played by PyNaCl (tests/e2ee.py). The server keeps one rule: a private
dynamic refuses a note in clear (422 naming it) and that refusal changes nothing stored, so the
phone sends the red again without its note at once (docs/e2ee.md, "A red is never held back").
An envelope is sealed for ``member:<author's user id>:<field>``: moved to the other member or to
another field, it does not open."""

from __future__ import annotations

import json
from typing import Any

import httpx
import nacl.exceptions
import pytest
from sqlalchemy import select

from app.dynamics.models import Membership
from tests import e2ee
from tests.helpers import Member, error_code, pair
from tests.helpers.keys import make_private

RED = "I need us to stop, the scene went somewhere I could not follow."
YELLOW = "Can we talk tonight about the weekend plan?"
SEEN = "I am here. Coming home now."


def sealed(key: bytes, text: str, author: Member, field: str) -> dict[str, Any]:
    return e2ee.aead_seal(key, text.encode(), f"member:{author.id}:{field}")


def opened(key: bytes, envelope: dict[str, Any], author: Member, field: str) -> str:
    return e2ee.aead_open(key, envelope, f"member:{author.id}:{field}").decode()


def named(response: httpx.Response, field: str) -> bool:
    return response.status_code == 422 and any(
        field in e["loc"] for e in response.json().get("errors", [])
    )


async def signal(
    client: httpx.AsyncClient, member: Member, dynamic_id: str, which: str, note: object = None
) -> httpx.Response:
    body = {} if note is None else {"note": note}
    return await client.post(
        f"/api/dynamics/{dynamic_id}/{which}", json=body, headers=member.idem()
    )


def member_view(dynamic: dict[str, Any], member: Member) -> dict[str, Any]:
    return next(m for m in dynamic["members"] if m["user_id"] == member.id)


async def unread(client: httpx.AsyncClient, member: Member) -> list[str]:
    items = (await client.get("/api/notifications", headers=member.headers)).json()["items"]
    return [item["kind"] for item in items]


async def test_a_red_with_its_note_in_clear_changes_nothing_and_goes_at_once_without_it(
    app: Any, client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    await make_private(client, alice, bob, dynamic_id)
    before = (await client.get("/api/sync", headers=bob.headers)).json()["cursor"]

    # An outbox red that waited in clear while the dynamic became private.
    refused = await signal(client, alice, dynamic_id, "red", RED)
    assert named(refused, "note") and error_code(refused) == "words_not_private", refused.text
    dynamic = (await client.get(f"/api/dynamics/{dynamic_id}", headers=bob.headers)).json()
    assert dynamic["state"] == "active"
    assert member_view(dynamic, alice)["red_at"] is None
    assert "red" not in await unread(client, bob)
    feed = (await client.get(f"/api/sync?cursor={before}", headers=bob.headers)).json()
    assert feed["changes"] == []
    async with app.state.db.reader() as reader:
        rows = (await reader.execute(select(Membership))).scalars().all()
    assert all(row.red_note is None and row.red_at is None for row in rows)

    # The phone sends it again at once without the note: the red lands.
    bare = await signal(client, alice, dynamic_id, "red")
    assert bare.status_code == 200, bare.text
    assert bare.json()["state"] == "paused"
    assert "red" in await unread(client, bob)


async def test_signal_notes_are_envelopes_the_partner_opens(
    app: Any, client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    key = await make_private(client, alice, bob, dynamic_id)

    for which, field, text in (("red", "red_note", RED), ("yellow", "yellow_note", YELLOW)):
        clear = await signal(client, alice, dynamic_id, which, text)
        assert named(clear, "note") and error_code(clear) == "words_not_private", clear.text
        made = await signal(client, alice, dynamic_id, which, sealed(key, text, alice, field))
        assert made.status_code == 200, made.text
    clear_seen = await signal(client, bob, dynamic_id, "seen", SEEN)
    assert named(clear_seen, "note") and error_code(clear_seen) == "words_not_private"
    seen = await signal(client, bob, dynamic_id, "seen", sealed(key, SEEN, bob, "saw_note"))
    assert seen.status_code == 200, seen.text

    # Each phone opens the other's words, from the dynamic, the feed and the export.
    dynamic = (await client.get(f"/api/dynamics/{dynamic_id}", headers=bob.headers)).json()
    assert dynamic["state"] == "paused"
    hers = member_view(dynamic, alice)
    assert opened(key, hers["red_note"], alice, "red_note") == RED
    assert opened(key, hers["yellow_note"], alice, "yellow_note") == YELLOW
    his = member_view(
        (await client.get(f"/api/dynamics/{dynamic_id}", headers=alice.headers)).json(), bob
    )
    assert opened(key, his["saw_note"], bob, "saw_note") == SEEN
    feed = (await client.get("/api/sync", headers=alice.headers)).json()["changes"]
    latest = [c["data"] for c in feed if c["entity"] == "dynamic"][-1]
    assert opened(key, member_view(latest, bob)["saw_note"], bob, "saw_note") == SEEN
    exported = json.dumps((await client.get("/api/me/export", headers=alice.headers)).json())
    assert RED not in exported and YELLOW not in exported and SEEN not in exported

    # Moved to the other member, or to another field, a note does not open.
    with pytest.raises(nacl.exceptions.CryptoError):
        opened(key, hers["red_note"], bob, "red_note")
    with pytest.raises(nacl.exceptions.CryptoError):
        opened(key, hers["red_note"], alice, "yellow_note")

    # Stored as the envelope's JSON text: no sentence in the table.
    async with app.state.db.reader() as reader:
        rows = (await reader.execute(select(Membership))).scalars().all()
    stored = " ".join(str(v) for row in rows for v in (row.red_note, row.yellow_note, row.saw_note))
    assert not any(text in stored for text in (RED, YELLOW, SEEN))
    assert any(row.red_note and json.loads(row.red_note)["v"] == 1 for row in rows)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda e: e.update(v=2), "v"),
        (lambda e: e.update(n=e2ee.b64(bytes(12))), "n"),
        (lambda e: e.update(c=e2ee.b64(bytes(15))), "c"),  # shorter than its tag
        (lambda e: e.update(c=e2ee.b64(bytes(4 * 500 + 17))), "c"),  # more than 500 chars hold
        (lambda e: e.update(extra="x"), "extra"),
    ],
)
async def test_a_malformed_signal_envelope_is_422_and_no_red(
    client: httpx.AsyncClient, alice: Member, bob: Member, change: Any, field: str
) -> None:
    dynamic_id = await pair(client, alice, bob)
    key = await make_private(client, alice, bob, dynamic_id)
    envelope = sealed(key, RED, alice, "red_note")
    change(envelope)
    response = await signal(client, alice, dynamic_id, "red", envelope)
    assert response.status_code == 422, response.text
    assert any("note" in e["loc"] and field in e["loc"] for e in response.json()["errors"])
    dynamic = (await client.get(f"/api/dynamics/{dynamic_id}", headers=alice.headers)).json()
    assert dynamic["state"] == "active"


async def test_a_dynamic_without_a_pair_key_takes_signal_notes_in_clear_only(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    envelope = sealed(bytes(32), YELLOW, alice, "yellow_note")
    refused = await signal(client, alice, dynamic_id, "yellow", envelope)
    assert named(refused, "note") and error_code(refused) == "no_pair_key"
    made = await signal(client, alice, dynamic_id, "yellow", YELLOW)
    assert made.status_code == 200, made.text
    assert member_view(made.json(), alice)["yellow_note"] == YELLOW
