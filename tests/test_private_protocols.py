"""Protocol words as envelopes, through the real app on SQLite and PostgreSQL, with devices played
by PyNaCl (tests/e2ee.py): a version's title and description are sealed for the version's id made
on the device (``protocol_version:<version_id>:title``), a reason for its event's
(``protocol_event:<id>:reason``); a private dynamic refuses them in clear by name, a new version
seals its words again, and everything the server shows of a protocol (the protocol, its history,
home, the review agenda, a reminder's push) carries the envelope or no title at all."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import nacl.exceptions
import pytest
from sqlalchemy import select

from app.notifications.models import Reminder
from app.protocols.models import ProtocolEvent, ProtocolVersion
from app.push.sender import build_payload
from app.reminders.messages import message_for
from tests.helpers import Member, error_code, pair
from tests.helpers.keys import make_private
from tests.helpers.protocols import agree, terms
from tests.test_private_words import named, opened, sealed
from tests.test_reviews import answer, start, submit

TITLE = "Kneel at the door when I come home"
DESCRIPTION = "Eyes down until I say your name; then a kiss on my hand."
NEW_DESCRIPTION = "Eyes down until I say your name, only on weekdays."
REASON = "My knees hurt this week; can we try it sitting?"
SENTENCES = (TITLE, DESCRIPTION, NEW_DESCRIPTION, REASON)


def sealed_terms(key: bytes, version_id: str, performer: Member, **words: str) -> dict[str, Any]:
    """A proposal's body with its words sealed for ``version_id``."""
    words = {"title": TITLE, "description": DESCRIPTION, **words}
    return terms(
        performer,
        version_id=version_id,
        **{
            field: sealed(key, text, "protocol_version", version_id, field)
            for field, text in words.items()
        },
    )


async def post(
    client: httpx.AsyncClient, member: Member, url: str, body: dict[str, Any], **headers: str
) -> httpx.Response:
    return await client.post(url, json=body, headers={**member.idem(), **headers})


def protocols_url(dynamic_id: str) -> str:
    return f"/api/dynamics/{dynamic_id}/protocols"


async def private_proposal(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> tuple[str, bytes, dict[str, Any]]:
    dynamic_id = await pair(client, alice, bob)
    key = await make_private(client, alice, bob, dynamic_id)
    version_id = str(uuid.uuid4())
    made = await post(
        client, alice, protocols_url(dynamic_id), sealed_terms(key, version_id, alice)
    )
    assert made.status_code == 201, made.text
    return dynamic_id, key, made.json()


async def test_a_proposal_in_a_private_dynamic_takes_only_envelopes(
    app: Any, client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    key = await make_private(client, alice, bob, dynamic_id)
    url = protocols_url(dynamic_id)
    version_id = str(uuid.uuid4())
    clear = await post(client, alice, url, terms(alice, title=TITLE))
    assert named(clear, "title") and error_code(clear) == "words_not_private", clear.text
    body = sealed_terms(key, version_id, alice)
    half = await post(client, alice, url, {**body, "description": DESCRIPTION})
    assert named(half, "description") and error_code(half) == "words_not_private"
    no_id = await post(client, alice, url, {**body, "version_id": None})
    assert named(no_id, "id") and error_code(no_id) == "id_required"

    made = await post(client, alice, url, body)
    assert made.status_code == 201, made.text
    protocol = made.json()
    assert protocol["version_id"] == version_id
    assert opened(key, protocol["title"], "protocol_version", version_id, "title") == TITLE
    read = (await client.get(f"/api/protocols/{protocol['id']}", headers=bob.headers)).json()
    field = "description"
    assert opened(key, read[field], "protocol_version", version_id, field) == DESCRIPTION

    # Bob's home lists the proposal with the envelope and the version its title names.
    today = (await client.get(f"/api/dynamics/{dynamic_id}/today", headers=bob.headers)).json()
    (waiting,) = [item for item in today["waiting"] if item["kind"] == "proposal"]
    assert waiting["version_id"] == version_id
    assert opened(key, waiting["title"], "protocol_version", version_id, "title") == TITLE
    # Agreed, it is in force: the day's occurrences carry it the same way.
    assert (await agree(client, bob, protocol["id"], 1)).status_code == 200
    today = (await client.get(f"/api/dynamics/{dynamic_id}/today", headers=alice.headers)).json()
    for occurrence in today["occurrences"]:
        assert occurrence["version_id"] == version_id
        assert opened(key, occurrence["title"], "protocol_version", version_id, "title") == TITLE

    async with app.state.db.reader() as reader:
        row = (await reader.execute(select(ProtocolVersion))).scalar_one()
    assert json.loads(row.title) == protocol["title"] and TITLE not in row.title
    assert str(row.id) == version_id


async def test_a_new_version_seals_its_words_again(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    _, key, protocol = await private_proposal(client, alice, bob)
    pid, first = protocol["id"], protocol["version_id"]
    assert (await agree(client, bob, pid, 1)).status_code == 200
    etag = (await client.get(f"/api/protocols/{pid}", headers=bob.headers)).headers["etag"]

    async def renegotiate(body: dict[str, Any]) -> httpx.Response:
        return await client.patch(
            f"/api/protocols/{pid}", json=body, headers={**bob.idem(), "If-Match": etag}
        )

    second = str(uuid.uuid4())
    title = sealed(key, TITLE, "protocol_version", second, "title")
    description = sealed(key, NEW_DESCRIPTION, "protocol_version", second, "description")
    # Left out, the description would be version 1's envelope, which names version 1.
    partial = await renegotiate({"version_id": second, "title": title})
    assert named(partial, "description") and error_code(partial) == "words_resealed"
    changed = await renegotiate({"version_id": second, "title": title, "description": description})
    assert changed.status_code == 200, changed.text

    history = (await client.get(f"/api/protocols/{pid}/history", headers=alice.headers)).json()
    one, two = history["versions"]
    assert (one["version_id"], two["version_id"]) == (first, second)
    # The server cannot compare sealed words: the phone opens both versions and compares.
    assert two["changes"] == {}
    assert opened(key, one["description"], "protocol_version", first, "description") == DESCRIPTION
    assert opened(key, two["description"], "protocol_version", second, "description") == (
        NEW_DESCRIPTION
    )
    # Version 1's envelope put in version 2 does not open there.
    with pytest.raises(nacl.exceptions.CryptoError):
        opened(key, one["title"], "protocol_version", second, "title")


async def test_a_reason_is_sealed_for_its_event(
    app: Any, client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    _, key, protocol = await private_proposal(client, alice, bob)
    url = f"/api/protocols/{protocol['id']}/decline"
    clear = await post(client, bob, url, {"reason": REASON})
    assert named(clear, "reason") and error_code(clear) == "words_not_private", clear.text
    event_id = str(uuid.uuid4())
    reason = sealed(key, REASON, "protocol_event", event_id, "reason")
    no_id = await post(client, bob, url, {"reason": reason})
    assert named(no_id, "id") and error_code(no_id) == "id_required"
    declined = await post(client, bob, url, {"id": event_id, "reason": reason})
    assert declined.status_code == 200, declined.text

    history = (
        await client.get(f"/api/protocols/{protocol['id']}/history", headers=alice.headers)
    ).json()
    (event,) = [e for e in history["events"] if e["action"] == "declined"]
    assert event["id"] == event_id
    assert opened(key, event["reason"], "protocol_event", event_id, "reason") == REASON
    async with app.state.db.reader() as reader:
        stored = (await reader.execute(select(ProtocolEvent))).scalars().all()
    assert not any(REASON in (e.reason or "") for e in stored)


@pytest.mark.parametrize(
    ("field", "chars"), [("title", 121), ("description", 4001)], ids=["title", "description"]
)
async def test_an_envelope_longer_than_its_field_is_422_naming_it(
    client: httpx.AsyncClient, alice: Member, bob: Member, field: str, chars: int
) -> None:
    dynamic_id = await pair(client, alice, bob)
    key = await make_private(client, alice, bob, dynamic_id)
    version_id = str(uuid.uuid4())
    body = sealed_terms(key, version_id, alice)
    # Each character may take 4 bytes: more than the field's characters can encrypt to.
    body[field] = sealed(key, "😀" * chars, "protocol_version", version_id, field)
    response = await post(client, alice, protocols_url(dynamic_id), body)
    assert named(response, field), response.text
    body[field] = {**body[field], "n": "short"}
    response = await post(client, alice, protocols_url(dynamic_id), body)
    assert named(response, field), response.text


async def test_without_a_pair_key_protocol_words_stay_words(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    version_id = str(uuid.uuid4())
    refused = await post(
        client, alice, protocols_url(dynamic_id), sealed_terms(bytes(32), version_id, alice)
    )
    assert named(refused, "title") and error_code(refused) == "no_pair_key"
    made = await post(client, alice, protocols_url(dynamic_id), terms(alice, title=TITLE))
    assert made.status_code == 201 and made.json()["title"] == TITLE


async def test_the_agenda_and_a_reminder_name_a_sealed_protocol_without_its_title(
    app: Any, client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id, key, protocol = await private_proposal(client, alice, bob)
    assert (await agree(client, bob, protocol["id"], 1)).status_code == 200
    review = await start(client, alice, dynamic_id)
    vote = {"protocols": [{"protocol_id": protocol["id"], "vote": "change"}]}
    for member in (alice, bob):
        await answer(client, member, review["id"], vote)
        await submit(client, member, review["id"])
    read = (await client.get(f"/api/reviews/{review['id']}", headers=bob.headers)).json()
    (item,) = [i for i in read["agenda"] if i.get("protocol_id") == protocol["id"]]
    assert item["text"].startswith("One of your protocols:")
    # Each answer keeps the title as the envelope it is, with the version it names.
    voted = read["partner"]["protocols"][0]
    version_id = voted["version_id"]
    assert opened(key, voted["title"], "protocol_version", version_id, "title") == TITLE

    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    for kind in ("protocol", "review"):
        reminder = Reminder(
            key=f"{kind}:{protocol['id']}",
            kind=kind,
            user_id=uuid.UUID(alice.id),
            dynamic_id=uuid.UUID(dynamic_id),
            protocol_id=uuid.UUID(protocol["id"]),
            scheduled_for=now,
            due_at=now,
        )
        async with app.state.db.reader() as session:
            message = await message_for(session, reminder, None)
        assert "a protocol" in message.body.lower(), message
        assert protocol["title"]["c"] not in f"{message.title} {message.body}"
        # Outside discreet mode the push names the envelope, for the phone to open; in it, not.
        assert message.sealed is not None
        assert message.sealed["envelope"] == protocol["title"]
        assert message.sealed["id"] == version_id and "{title}" in message.sealed["body"]
        assert json.loads(build_payload(message, discreet=False))["sealed"] == message.sealed
        assert protocol["title"]["c"] not in build_payload(message, discreet=True).decode()
    text = json.dumps(read)
    assert not any(sentence in text for sentence in SENTENCES)
