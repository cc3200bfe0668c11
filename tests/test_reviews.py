"""Reviews through the real app and database: sealed until both submit (on every route that
could show an answer), then revealed side by side with an agenda built from the data; the
cadence and its reminder; bad input is a 4xx naming the problem; an outsider gets 404."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col

from app.core.db import write_session
from app.notifications.models import Notification
from app.protocols.models import ProtocolEvent
from app.reminders.dispatcher import dispatch_once
from app.reminders.messages import screen_for
from app.reminders.planner import plan
from tests.helpers import Member, error_code
from tests.helpers.protocols import active_protocol, terms
from tests.test_reminders import reminders
from tests.test_sync import sync_pages

SECRET = "the-words-only-alice-wrote"


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def start(client: httpx.AsyncClient, member: Member, did: str) -> dict[str, Any]:
    return await ok(
        await client.post(f"/api/dynamics/{did}/reviews", json={}, headers=member.idem()), 201
    )


async def answer(
    client: httpx.AsyncClient, member: Member, rid: str, body: dict[str, Any]
) -> dict[str, Any]:
    return await ok(
        await client.put(f"/api/reviews/{rid}/answers/mine", json=body, headers=member.headers)
    )


async def submit(client: httpx.AsyncClient, member: Member, rid: str) -> dict[str, Any]:
    return await ok(await client.post(f"/api/reviews/{rid}/submit", json={}, headers=member.idem()))


async def protocol(
    client: httpx.AsyncClient, proposer: Member, partner: Member, did: str, title: str
) -> str:
    """An unscheduled ritual ``partner`` performs, in force."""
    body = terms(partner, title=title, schedule=None, description="")
    return str((await active_protocol(client, proposer, partner, did, body))["id"])


async def everything_bob_can_read(client: httpx.AsyncClient, bob: Member, did: str) -> str:
    """Every route that could carry a review answer, as one text to search."""
    h = bob.headers
    pages, _ = await sync_pages(client, bob)
    reads = [
        pages,
        await ok(await client.get(f"/api/dynamics/{did}/reviews", headers=h)),
        await ok(await client.get("/api/me/export", headers=h)),
        await ok(await client.get("/api/notifications", headers=h)),
        await ok(await client.get(f"/api/dynamics/{did}/today", headers=h)),
    ]
    return json.dumps(reads)


async def test_answers_are_sealed_until_both_submit_then_side_by_side(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    review = await start(client, alice, dynamic_id)
    rid = review["id"]
    assert review["state"] == "open" and review["partner"] is None and review["agenda"] == []
    saved = await answer(
        client,
        alice,
        rid,
        {
            "deal": -2,
            "heard": 2,
            "areas": {"care": {"gave": 5, "received": 2}},
            "went_well": SECRET,
            "wish": SECRET + " wish",
        },
    )
    assert saved["mine"]["went_well"] == SECRET and saved["mine"]["submitted_at"] is None
    await submit(client, alice, rid)
    # Bob sees that Alice answered (the state), never what: not on any route.
    seen = await ok(await client.get(f"/api/reviews/{rid}", headers=bob.headers))
    assert seen["partner"] is None and seen["mine"] is None
    assert seen["submitted_by"] == [alice.id]
    told = await ok(await client.get("/api/notifications", headers=bob.headers))
    kinds = {n["kind"]: n for n in told["items"]}
    assert kinds["review_started"]["data"] == {"review_id": rid}
    assert kinds["review_answered"]["data"] == {"review_id": rid}
    # Its push opens that review, inside its dynamic.
    pushed_to = screen_for(
        Notification(
            user_id=uuid.UUID(bob.id),
            dynamic_id=uuid.UUID(dynamic_id),
            kind=kinds["review_answered"]["kind"],
            data=kinds["review_answered"]["data"],
        )
    )
    assert pushed_to == f"/#/dynamics/{dynamic_id}/review/{rid}"
    text = await everything_bob_can_read(client, bob, dynamic_id)
    assert SECRET not in text
    assert '"heard": 2' not in text and '"deal": -2' not in text
    # Bob answers; still sealed for Alice until he submits.
    await answer(client, bob, rid, {"heard": 4, "went_well": "bob's words"})
    for_alice = await ok(await client.get(f"/api/reviews/{rid}", headers=alice.headers))
    assert for_alice["partner"] is None and for_alice["state"] == "open"
    assert "bob's words" not in json.dumps((await sync_pages(client, alice))[0])
    revealed = await submit(client, bob, rid)
    assert revealed["state"] == "revealed" and revealed["revealed_at"] is not None
    assert revealed["partner"]["went_well"] == SECRET and revealed["mine"]["heard"] == 4
    for_alice = await ok(await client.get(f"/api/reviews/{rid}", headers=alice.headers))
    assert for_alice["partner"]["went_well"] == "bob's words"
    assert for_alice["agenda"] == revealed["agenda"]  # one agenda, the same for both
    # The feed and the export now carry what both may see.
    pages, _ = await sync_pages(client, bob)
    fed = [c for p in pages for c in p["changes"] if c["entity"] == "review"]
    assert fed[-1]["data"]["partner"]["went_well"] == SECRET
    export = await ok(await client.get("/api/me/export", headers=bob.headers))
    assert export["reviews"][0]["partner"]["went_well"] == SECRET
    # Closing with a summary; the review is listed as past.
    closed = await ok(
        await client.post(
            f"/api/reviews/{rid}/close", json={"summary": "Softer mornings"}, headers=alice.idem()
        )
    )
    assert closed["state"] == "closed" and closed["outcome"]["summary"] == "Softer mornings"
    listed = await ok(await client.get(f"/api/dynamics/{dynamic_id}/reviews", headers=bob.headers))
    assert [r["state"] for r in listed["items"]] == ["closed"]
    # A new review may start once the last one closed.
    assert (await start(client, bob, dynamic_id))["state"] == "open"


async def waiting_reviews(
    client: httpx.AsyncClient, member: Member, did: str
) -> list[dict[str, Any]]:
    body = await ok(await client.get(f"/api/dynamics/{did}/today", headers=member.headers))
    return [item for item in body["waiting"] if item["kind"] == "review"]


async def test_a_review_waits_on_home_for_each_member_until_they_submit(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    assert await waiting_reviews(client, bob, dynamic_id) == []
    rid = (await start(client, alice, dynamic_id))["id"]
    [for_bob] = await waiting_reviews(client, bob, dynamic_id)
    assert for_bob["review_id"] == rid and for_bob["from_user_id"] == alice.id
    [for_alice] = await waiting_reviews(client, alice, dynamic_id)
    assert for_alice["review_id"] == rid and for_alice["from_user_id"] is None
    # Saved but not sent still waits; sent, it waits no more (for that member only).
    await answer(client, alice, rid, {"heard": 3})
    assert len(await waiting_reviews(client, alice, dynamic_id)) == 1
    await submit(client, alice, rid)
    assert await waiting_reviews(client, alice, dynamic_id) == []
    assert len(await waiting_reviews(client, bob, dynamic_id)) == 1
    await answer(client, bob, rid, {"heard": 4})
    await submit(client, bob, rid)  # revealed: nothing left to answer
    assert await waiting_reviews(client, bob, dynamic_id) == []


async def test_an_outsider_gets_404_everywhere(
    client: httpx.AsyncClient, alice: Member, bob: Member, eve: Member, dynamic_id: str
) -> None:
    rid = (await start(client, alice, dynamic_id))["id"]
    await answer(client, alice, rid, {"went_well": SECRET})
    calls = [
        client.get(f"/api/reviews/{rid}", headers=eve.headers),
        client.put(f"/api/reviews/{rid}/answers/mine", json={"heard": 3}, headers=eve.headers),
        client.post(f"/api/reviews/{rid}/submit", json={}, headers=eve.idem()),
        client.post(f"/api/reviews/{rid}/close", json={}, headers=eve.idem()),
        client.get(f"/api/dynamics/{dynamic_id}/reviews", headers=eve.headers),
        client.post(f"/api/dynamics/{dynamic_id}/reviews", json={}, headers=eve.idem()),
        client.get(f"/api/dynamics/{dynamic_id}/reviews/schedule", headers=eve.headers),
        client.put(
            f"/api/dynamics/{dynamic_id}/reviews/schedule",
            json={"every_days": 7},
            headers=eve.headers,
        ),
    ]
    for call in calls:
        response = await call
        assert response.status_code == 404, response.text
    assert SECRET not in json.dumps((await sync_pages(client, eve))[0])


async def test_bad_input_is_a_clear_4xx(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    rid = (await start(client, alice, dynamic_id))["id"]
    path = f"/api/reviews/{rid}/answers/mine"
    for body, field in [
        ({}, None),
        ({"heard": 6}, "heard"),
        ({"heard": True}, "heard"),
        ({"deal": "1"}, "deal"),
        ({"deal": -4}, "deal"),
        ({"areas": {"money": {"gave": 3}}}, "areas"),
        ({"areas": {"care": {"gave": 0}}}, "areas"),
        ({"protocols": [{"protocol_id": "not-a-uuid", "vote": "keep"}]}, "protocols"),
        ({"wish": "x" * 1001}, "wish"),
        ({"mood": 3}, "mood"),
    ]:
        response = await client.put(path, json=body, headers=alice.headers)
        assert response.status_code == 422, (body, response.text)
        if field:
            assert field in response.text
    pid = await protocol(client, alice, bob, dynamic_id, "Morning words")
    twice = [{"protocol_id": pid, "vote": "keep"}, {"protocol_id": pid, "vote": "change"}]
    response = await client.put(path, json={"protocols": twice}, headers=alice.headers)
    assert response.status_code == 422 and "once" in response.text
    stranger = "00000000-0000-4000-8000-000000000000"
    response = await client.put(
        path, json={"protocols": [{"protocol_id": stranger, "vote": "keep"}]}, headers=alice.headers
    )
    assert response.status_code == 422 and error_code(response) == "protocol_not_in_force"
    assert "protocols[0].protocol_id" in response.text
    # Conflicts: a second review, submitting nothing, closing before both answered.
    again = await client.post(f"/api/dynamics/{dynamic_id}/reviews", json={}, headers=bob.idem())
    assert again.status_code == 409 and error_code(again) == "review_in_progress"
    empty = await client.post(f"/api/reviews/{rid}/submit", json={}, headers=bob.idem())
    assert empty.status_code == 409 and error_code(empty) == "nothing_to_submit"
    early = await client.post(f"/api/reviews/{rid}/close", json={}, headers=bob.idem())
    assert early.status_code == 409 and error_code(early) == "review_not_revealed"
    saved = await answer(client, alice, rid, {"heard": 3})
    stale = await client.put(path, json={"heard": 4}, headers={**alice.headers, "If-Match": '"a0"'})
    assert stale.status_code == 412
    fresh = await client.put(
        path, json={"heard": 4}, headers={**alice.headers, "If-Match": saved["mine"]["etag"]}
    )
    assert fresh.status_code == 200
    await submit(client, alice, rid)
    await submit(client, alice, rid)  # a retry changes nothing
    late = await client.put(path, json={"heard": 5}, headers=alice.headers)
    assert late.status_code == 409 and error_code(late) == "already_submitted"
    # The cadence.
    schedule = f"/api/dynamics/{dynamic_id}/reviews/schedule"
    for body in (
        {"every_days": 10},
        {"every_days": None, "next_on": "2030-01-01"},
        {"every_days": 7, "next_on": "2001-01-01"},
        {},
    ):
        response = await client.put(schedule, json=body, headers=alice.headers)
        assert response.status_code == 422, (body, response.text)


async def test_the_agenda_is_built_from_the_data_at_reveal(
    app: FastAPI, client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    did = dynamic_id
    morning = await protocol(client, alice, bob, did, "Morning words")
    # A daily task in force for ten days, done once: low follow-through.
    plants = await ok(
        await client.post(
            f"/api/dynamics/{did}/protocols",
            json={
                "title": "Water the plants",
                "kind": "task",
                "performer_ids": [bob.id],
                "schedule": {"times": ["09:00"]},
            },
            headers=alice.idem(),
        ),
        201,
    )
    await ok(
        await client.post(
            f"/api/protocols/{plants['id']}/agree", json={"version": 1}, headers=bob.idem()
        )
    )
    async with write_session(app.state.db) as session:
        await session.execute(
            update(ProtocolEvent)
            .where(col(ProtocolEvent.protocol_id) == uuid.UUID(plants["id"]))
            .values(at=datetime.now(UTC) - timedelta(days=10))
        )
    await ok(
        await client.post(
            f"/api/protocols/{plants['id']}/completions",
            json={"occurred_at": (datetime.now(UTC) - timedelta(days=3)).isoformat()},
            headers=bob.idem(),
        ),
        201,
    )
    evening = await protocol(client, bob, alice, did, "Evening report")
    kept = await protocol(client, bob, alice, did, "Sunday walk")
    # Alice gives much and receives little, and asks for reassurance and praise; nobody answers.
    for needs in (["reassurance"], ["praise", "reassurance"]):
        await ok(
            await client.post(
                f"/api/dynamics/{did}/checkins",
                json={"mood": 2, "gave": 5, "received": 1, "deal": -3, "needs": needs},
                headers=alice.idem(),
            ),
            201,
        )
    # Bob asks for rest, and Alice answers it.
    bobs = []
    for _ in range(2):
        bobs.append(
            await ok(
                await client.post(
                    f"/api/dynamics/{did}/checkins",
                    json={"mood": 4, "gave": 1, "received": 5, "deal": 3, "needs": ["rest"]},
                    headers=bob.idem(),
                ),
                201,
            )
        )
    for checkin in bobs:
        await ok(
            await client.post(
                f"/api/checkins/{checkin['id']}/responses",
                json={"kind": "done"},
                headers=alice.idem(),
            ),
            201,
        )
    await ok(
        await client.put(
            f"/api/dynamics/{did}/limits/mine",
            json={
                "items": [
                    {"item": "bondage", "answer": "maybe"},
                    {"item": "spanking", "answer": "no"},
                ]
            },
            headers=bob.headers,
        )
    )
    rid = (await start(client, bob, did))["id"]
    await answer(
        client,
        alice,
        rid,
        {
            "heard": 2,
            "protocols": [
                {"protocol_id": morning, "vote": "change", "comment": "shorter"},
                {"protocol_id": kept, "vote": "keep"},
            ],
        },
    )
    await answer(
        client,
        bob,
        rid,
        {
            "heard": 5,
            "protocols": [
                {"protocol_id": morning, "vote": "keep"},
                {"protocol_id": evening, "vote": "retire"},
            ],
        },
    )
    await submit(client, alice, rid)
    agenda = (await submit(client, bob, rid))["agenda"]
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for item in agenda:
        by_kind.setdefault(item["kind"], []).append(item)
    # Votes: a change opens a renegotiation, a retire vote retires; a protocol both keep is absent.
    votes = {item["protocol_id"]: item for item in by_kind["vote"]}
    assert set(votes) == {morning, evening}
    assert votes[morning]["actions"][0] == {
        "type": "renegotiate",
        "protocol_id": morning,
        "screen": None,
        "prefill": None,
    }
    assert "Alice would like to change it" in votes[morning]["text"]
    assert "Bob would like to keep it" in votes[morning]["text"]
    assert votes[evening]["actions"][0]["type"] == "retire"
    # Follow-through: the plants were watered once in the ten days they were due.
    (rarely,) = by_kind["follow_through"]
    assert rarely["protocol_id"] == plants["id"]
    assert re.search(r"“Water the plants” happened 1 of (9|10|11) times", rarely["text"])
    # Needs left waiting: Alice's, with what she asked for; Bob's were answered.
    (waiting,) = by_kind["needs"]
    assert waiting["user_id"] == alice.id
    assert "reassurance, praise" in waiting["text"] and "2 check-ins" in waiting["text"]
    propose = next(a for a in waiting["actions"] if a["type"] == "propose")
    assert propose["prefill"]["performer_ids"] == [bob.id]
    # Limits: how many answers Bob changed, never which.
    (limits,) = by_kind["limits"]
    assert "Bob changed 2 answers" in limits["text"]
    assert "bondage" not in json.dumps(agenda) and "maybe" not in json.dumps(agenda)
    # Balance: Alice feels less important, and the balance's own reasons, as it drifts.
    balance = await ok(await client.get(f"/api/dynamics/{did}/balance", headers=alice.headers))
    assert balance["verdict"] in ("drifting", "imbalanced")
    texts = [item["text"] for item in by_kind["balance"]]
    assert any("Alice does not feel as important" in t for t in texts)
    assert set(balance["reasons"][:3]) <= set(texts)
    # The renegotiation it opens is the existing consent flow, and it works from here.
    current = await ok(await client.get(f"/api/protocols/{morning}", headers=alice.headers))
    changed = await client.patch(
        f"/api/protocols/{morning}",
        json={"title": "Short morning words"},
        headers={**alice.idem(), "If-Match": current["etag"]},
    )
    assert changed.status_code == 200, changed.text
    agreed = await ok(
        await client.post(
            f"/api/protocols/{morning}/agree", json={"version": 2}, headers=bob.idem()
        )
    )
    assert agreed["status"] == "active" and agreed["in_force"]["title"] == "Short morning words"
    # The agenda was fixed at reveal: later changes do not rewrite it.
    again = await ok(await client.get(f"/api/reviews/{rid}", headers=alice.headers))
    assert again["agenda"] == agenda


async def test_cadence_next_date_and_the_reminder_the_day_before(
    app: FastAPI, client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    path = f"/api/dynamics/{dynamic_id}/reviews/schedule"
    none = await ok(await client.get(path, headers=bob.headers))
    assert none["every_days"] is None and none["next_on"] is None
    today = datetime.now(ZoneInfo("Europe/Paris")).date()
    set_ = await ok(await client.put(path, json={"every_days": 14}, headers=alice.headers))
    assert set_["next_on"] == (today + timedelta(days=14)).isoformat()
    assert set_["updated_by"] == alice.id
    # The reminder: planned for both, the day before, from a clock the test gives.
    next_on = today + timedelta(days=2)
    await ok(
        await client.put(
            path, json={"every_days": 14, "next_on": next_on.isoformat()}, headers=bob.headers
        )
    )
    eve_of = datetime.combine(next_on - timedelta(days=1), time(7, 0), UTC)
    async with write_session(app.state.db) as session:
        await plan(session, eve_of)
    planned = await reminders(app, kind="review_due")
    assert sorted(str(r.user_id) for r in planned) == sorted([alice.id, bob.id])
    due = planned[0].due_at
    assert due.astimezone(ZoneInfo("Europe/Paris")).date() == next_on - timedelta(days=1)
    sent = await dispatch_once(app.state.db, None, due + timedelta(seconds=5))
    assert sent.sent_kinds["review_due"] == 2
    pushed = [m for _, m in sent.pushes if (m.tag or "").startswith("review_due:")]
    assert len(pushed) == 2 and pushed[0].url == f"/#/dynamics/{dynamic_id}/review"
    assert pushed[0].body == "Your review is tomorrow: a few minutes each, answered privately"
    inbox = await ok(await client.get("/api/notifications", headers=bob.headers))
    assert {"reminder": "review_due"} in [n["data"] for n in inbox["items"]]
    # A date moved after planning: what was planned for the old date is not sent.
    moved_from = today + timedelta(days=5)
    await ok(
        await client.put(
            path, json={"every_days": 14, "next_on": moved_from.isoformat()}, headers=bob.headers
        )
    )
    async with write_session(app.state.db) as session:
        await plan(session, datetime.combine(moved_from - timedelta(days=1), time(7, 0), UTC))
    await ok(
        await client.put(
            path,
            json={"every_days": 14, "next_on": (moved_from + timedelta(days=1)).isoformat()},
            headers=alice.headers,
        )
    )
    stale = [r for r in await reminders(app, kind="review_due") if r.state == "pending"]
    assert len(stale) == 2
    skipped = await dispatch_once(app.state.db, None, stale[0].due_at + timedelta(seconds=5))
    assert skipped.sent_kinds["review_due"] == 0 and skipped.skipped >= 2
    # Starting a review moves the next date on by the cadence.
    await start(client, bob, dynamic_id)
    moved = await ok(await client.get(path, headers=alice.headers))
    assert moved["next_on"] == (today + timedelta(days=14)).isoformat()


async def test_a_deleted_account_takes_its_answers_and_words(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    rid = (await start(client, alice, dynamic_id))["id"]
    await answer(client, alice, rid, {"went_well": SECRET})
    await answer(client, bob, rid, {"went_well": "mine"})
    await submit(client, alice, rid)
    await submit(client, bob, rid)
    await ok(
        await client.post(
            f"/api/reviews/{rid}/close", json={"summary": SECRET}, headers=alice.idem()
        )
    )
    deleted = await client.request(
        "DELETE", "/api/me", json={"password": alice.password}, headers=alice.headers
    )
    assert deleted.status_code in (200, 204), deleted.text
    left = await ok(await client.get(f"/api/reviews/{rid}", headers=bob.headers))
    assert left["partner"] is None and left["outcome"]["summary"] is None
    assert left["mine"]["went_well"] == "mine"
    assert SECRET not in json.dumps((await sync_pages(client, bob))[0])
    assert date.fromisoformat(left["due_on"])


async def test_offline_retries_act_once_and_racing_starts_make_one_review(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    # A start sent twice with one Idempotency-Key (a phone retrying) is one review.
    headers = alice.idem()
    first = await client.post(f"/api/dynamics/{dynamic_id}/reviews", json={}, headers=headers)
    again = await client.post(f"/api/dynamics/{dynamic_id}/reviews", json={}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    rid = first.json()["id"]
    await answer(client, alice, rid, {"heard": 4})
    await answer(client, bob, rid, {"heard": 4})
    await submit(client, alice, rid)
    await submit(client, bob, rid)
    close_headers = bob.idem()
    for _ in range(2):
        closed = await client.post(
            f"/api/reviews/{rid}/close", json={"summary": "Good"}, headers=close_headers
        )
        assert closed.status_code == 200 and closed.json()["state"] == "closed"
    # Both members start a review at the same moment: one review, the other hears 409.
    racing = await asyncio.gather(
        client.post(f"/api/dynamics/{dynamic_id}/reviews", json={}, headers=alice.idem()),
        client.post(f"/api/dynamics/{dynamic_id}/reviews", json={}, headers=bob.idem()),
    )
    assert sorted(r.status_code for r in racing) == [201, 409], [r.text for r in racing]
    listed = await ok(
        await client.get(f"/api/dynamics/{dynamic_id}/reviews", headers=alice.headers)
    )
    assert [r["state"] for r in listed["items"]] == ["open", "closed"]
