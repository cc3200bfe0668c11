"""Mutual check-ins and the partner's answers to them, through the API.

Validation (every field, with its status and error code), the normalisation of needs, paging and
filters, the responses flow (only the partner answers), a red and an ended dynamic, idempotent
replays, the outsider, notifications that never carry a note or a need, and concurrent writers.
Every test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col

from app.checkins.models import CheckIn, CheckInResponse
from tests.helpers import Member, error_code
from tests.helpers.checkins import check_in, respond
from tests.helpers.checkins import checkins_url as url
from tests.helpers.inbox import notifications
from tests.helpers.rows import count

# --- helpers ------------------------------------------------------------------------------------

ZONE_PLUS_TWO = timezone(timedelta(hours=2))


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


async def listing(
    client: httpx.AsyncClient, reader: Member, dynamic_id: str, **params: Any
) -> httpx.Response:
    return await client.get(url(dynamic_id), params=params, headers=reader.headers)


def parse(at: str) -> datetime:
    return datetime.fromisoformat(at)


# --- creating a check-in ------------------------------------------------------------------------


async def test_mood_alone_is_a_check_in(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str
) -> None:
    before = datetime.now(UTC)
    body = await check_in(client, alice, dynamic_id, mood=4)
    assert body["user_id"] == alice.id
    assert body["dynamic_id"] == dynamic_id
    assert body["mood"] == 4
    for name in ("energy", "gave", "received", "deal", "note", "response_kind", "response_at"):
        assert body[name] is None, name
    assert body["needs"] == []
    # occurred_at defaults to now, in UTC.
    occurred = parse(body["occurred_at"])
    assert occurred.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= occurred <= datetime.now(UTC) + timedelta(seconds=1)


async def test_every_field_is_kept(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    sent = {
        "mood": 2,
        "energy": 5,
        "needs": ["reassurance", "talk"],
        "gave": 4,
        "received": 1,
        "deal": -3,
        "note": "A long day.\nThank you for the tea.",
        # An offset other than UTC: stored and answered in UTC.
        "occurred_at": at.astimezone(ZONE_PLUS_TWO).isoformat(),
    }
    created = await check_in(client, alice, dynamic_id, **sent)
    for name in ("mood", "energy", "needs", "gave", "received", "deal", "note"):
        assert created[name] == sent[name], name
    assert parse(created["occurred_at"]) == at
    assert parse(created["occurred_at"]).utcoffset() == timedelta(0)
    # The partner reads the same check-in.
    page = await listing(client, bob, dynamic_id)
    assert page.status_code == 200
    assert page.json()["items"] == [created]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "mood"),
        ({"mood": None}, "mood"),
        ({"mood": 0}, "mood"),
        ({"mood": 6}, "mood"),
        ({"mood": 3.5}, "mood"),
        ({"mood": "three"}, "mood"),
        # Numbers only: JSON true is not a mood of 1, nor "3" a 3.
        ({"mood": True}, "mood"),
        ({"mood": "3"}, "mood"),
        ({"mood": 3, "gave": False}, "gave"),
        ({"mood": 3, "deal": "1"}, "deal"),
        ({"mood": 3, "energy": 0}, "energy"),
        ({"mood": 3, "energy": 6}, "energy"),
        ({"mood": 3, "gave": 0}, "gave"),
        ({"mood": 3, "gave": 6}, "gave"),
        ({"mood": 3, "received": 0}, "received"),
        ({"mood": 3, "received": 6}, "received"),
        ({"mood": 3, "deal": -4}, "deal"),
        ({"mood": 3, "deal": 4}, "deal"),
        ({"mood": 3, "deal": 1.5}, "deal"),
        ({"mood": 3, "needs": "praise"}, "needs"),
        ({"mood": 3, "needs": ["rest", "play", "talk", "space", "praise", "affection"]}, "needs"),
        ({"mood": 3, "needs": ["x" * 25]}, "needs"),
        ({"mood": 3, "needs": [""]}, "needs"),
        ({"mood": 3, "needs": ["   "]}, "needs"),
        ({"mood": 3, "needs": [5]}, "needs"),
        ({"mood": 3, "needs": [None]}, "needs"),
        ({"mood": 3, "needs": ["two\nlines"]}, "needs"),
        ({"mood": 3, "needs": ["bell\x07"]}, "needs"),
        ({"mood": 3, "needs": ["praise", "Praise"]}, "needs"),
        ({"mood": 3, "needs": ["REST", "rest"]}, "needs"),
        ({"mood": 3, "needs": ["Foot rub", "foot  RUB"]}, "needs"),
        ({"mood": 3, "needs": ["praise", "\uff30raise"]}, "needs"),
        ({"mood": 3, "note": "x" * 1001}, "note"),
        ({"mood": 3, "note": "nul\x00"}, "note"),
        ({"mood": 3, "note": "turned \u202earound"}, "note"),
        ({"mood": 3, "needs": ["\u2067isolated"]}, "needs"),
        ({"mood": 3, "note": 5}, "note"),
        ({"mood": 3, "occurred_at": "yesterday"}, "occurred_at"),
        ({"mood": 3, "user_id": str(uuid.uuid4())}, "user_id"),
        ({"mood": 3, "response_kind": "done"}, "response_kind"),
    ],
)
async def test_invalid_input_is_a_422_naming_the_field(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str, body: dict[str, Any], field: str
) -> None:
    response = await client.post(url(dynamic_id), json=body, headers=alice.headers)
    assert response.status_code == 422, response.text
    assert error_code(response) == "validation_error"
    assert field in response.json()["detail"]
    assert any(field in e["loc"] for e in response.json()["errors"])


async def test_bounds_that_are_allowed(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str
) -> None:
    for mood in (1, 5):
        await check_in(client, alice, dynamic_id, mood=mood, energy=mood, gave=mood, received=mood)
    for deal in (-3, 0, 3):
        assert (await check_in(client, alice, dynamic_id, deal=deal))["deal"] == deal
    five = ["affection", "reassurance", "praise", "structure", "x" * 24]
    assert (await check_in(client, alice, dynamic_id, needs=five))["needs"] == five
    assert (await check_in(client, alice, dynamic_id, note="n" * 1000))["note"] == "n" * 1000
    # A blank note is no note.
    assert (await check_in(client, alice, dynamic_id, note="   "))["note"] is None


async def test_needs_are_normalised(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str
) -> None:
    body = await check_in(
        client,
        alice,
        dynamic_id,
        needs=["Praise", "  REST ", "Foot   rub", "AfterCare", "\uff34\uff41\uff4c\uff4b"],
    )
    # A fixed need in any case (or typed full-width) becomes the lower-case key; a custom one
    # keeps its case, trimmed and with inner spaces collapsed.
    assert body["needs"] == ["praise", "rest", "Foot rub", "aftercare", "talk"]
    body = await check_in(client, alice, dynamic_id, needs=["Tea in bed", "\u2764\ufe0f time"])
    assert body["needs"] == ["Tea in bed", "\u2764\ufe0f time"]


@pytest.mark.parametrize(
    "delta",
    [
        {"days": 30, "minutes": 5},
        {"days": 400},
        {"minutes": -6},
        {"days": -1},
    ],
)
async def test_occurred_at_out_of_range(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str, delta: dict[str, float]
) -> None:
    # Computed when the test runs, not when it is collected: a long suite must not drift
    # "six minutes ahead" into the allowed window.
    response = await client.post(
        url(dynamic_id), json={"mood": 3, "occurred_at": ago(**delta)}, headers=alice.headers
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "occurred_at_out_of_range"
    assert "occurred_at" in response.json()["detail"]


async def test_occurred_at_needs_an_offset(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str
) -> None:
    naive = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    response = await client.post(
        url(dynamic_id), json={"mood": 3, "occurred_at": naive.isoformat()}, headers=alice.headers
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "occurred_at_out_of_range"
    assert "offset" in response.json()["detail"]
    assert await count_checkins(client, alice, dynamic_id) == 0


async def test_occurred_at_within_range(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str
) -> None:
    for occurred_at in (ago(days=29, hours=23), ago(minutes=-4), ago(seconds=0)):
        body = await check_in(client, alice, dynamic_id, occurred_at=occurred_at)
        assert parse(body["occurred_at"]) == parse(occurred_at)


async def count_checkins(client: httpx.AsyncClient, member: Member, dynamic_id: str) -> int:
    response = await listing(client, member, dynamic_id, limit=100)
    assert response.status_code == 200, response.text
    return len(response.json()["items"])


async def test_unknown_dynamic_is_a_404(client: httpx.AsyncClient, alice: Member) -> None:
    missing = str(uuid.uuid4())
    response = await client.post(url(missing), json={"mood": 3}, headers=alice.headers)
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    response = await client.post(
        "/api/dynamics/nope/checkins", json={"mood": 3}, headers=alice.headers
    )
    assert response.status_code == 422


async def test_signed_out_is_a_401(client: httpx.AsyncClient, dynamic_id: str) -> None:
    assert (await client.post(url(dynamic_id), json={"mood": 3})).status_code == 401
    assert (await client.get(url(dynamic_id))).status_code == 401


# --- listing: paging and filters ----------------------------------------------------------------


async def test_paging_newest_first_with_limit_one(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    same = ago(hours=2)
    made = [
        await check_in(client, alice, dynamic_id, occurred_at=ago(hours=5)),
        await check_in(client, bob, dynamic_id, occurred_at=ago(hours=4)),
        # Two at the very same instant: the id breaks the tie, so neither is lost or repeated.
        await check_in(client, alice, dynamic_id, occurred_at=same),
        await check_in(client, bob, dynamic_id, occurred_at=same),
        await check_in(client, bob, dynamic_id, occurred_at=ago(hours=1)),
    ]
    expected = sorted(made, key=lambda c: (parse(c["occurred_at"]), c["id"]), reverse=True)
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 1}
        if cursor is not None:
            params["cursor"] = cursor
        response = await listing(client, alice, dynamic_id, **params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 1
        seen.extend(page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10
    assert [c["id"] for c in seen] == [c["id"] for c in expected]
    assert pages == len(made)  # the last full page knows there is no more
    # A page of everything has no next cursor.
    everything = (await listing(client, bob, dynamic_id, limit=5)).json()
    assert [c["id"] for c in everything["items"]] == [c["id"] for c in expected]
    assert everything["next_cursor"] is None
    assert (await listing(client, bob, dynamic_id, limit=4)).json()["next_cursor"] is not None


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"limit": 0}, "validation_error"),
        ({"limit": 101}, "validation_error"),
        ({"limit": "x"}, "validation_error"),
        ({"cursor": "not-a-cursor"}, "invalid_cursor"),
        ({"cursor": "W1swXV0"}, "invalid_cursor"),
        ({"member": "not-a-uuid"}, "validation_error"),
        ({"since": "yesterday"}, "validation_error"),
    ],
)
async def test_bad_list_parameters(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str, params: dict[str, Any], code: str
) -> None:
    response = await listing(client, alice, dynamic_id, **params)
    assert response.status_code == 422, response.text
    assert error_code(response) == code


async def test_filters_member_since_until(
    client: httpx.AsyncClient, alice: Member, bob: Member, eve: Member, dynamic_id: str
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    a_old = await check_in(
        client, alice, dynamic_id, occurred_at=(now - timedelta(days=3)).isoformat()
    )
    a_new = await check_in(
        client, alice, dynamic_id, occurred_at=(now - timedelta(hours=1)).isoformat()
    )
    b_mid = await check_in(
        client, bob, dynamic_id, occurred_at=(now - timedelta(days=1)).isoformat()
    )

    def ids(response: httpx.Response) -> list[str]:
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert ids(await listing(client, bob, dynamic_id, member=alice.id)) == [
        a_new["id"],
        a_old["id"],
    ]
    assert ids(await listing(client, alice, dynamic_id, member=bob.id)) == [b_mid["id"]]
    # A user who is not a member simply has no check-ins here.
    assert ids(await listing(client, alice, dynamic_id, member=eve.id)) == []
    # since is inclusive, until exclusive.
    since = parse(b_mid["occurred_at"])
    assert ids(await listing(client, alice, dynamic_id, since=since.isoformat())) == [
        a_new["id"],
        b_mid["id"],
    ]
    assert ids(await listing(client, alice, dynamic_id, until=since.isoformat())) == [a_old["id"]]
    assert ids(
        await listing(
            client,
            alice,
            dynamic_id,
            since=(now - timedelta(days=4)).isoformat(),
            until=(now - timedelta(hours=2)).isoformat(),
            member=alice.id,
        )
    ) == [a_old["id"]]
    # Offsets other than UTC name the same instants.
    plus_two = since.astimezone(ZONE_PLUS_TWO).isoformat()
    assert ids(await listing(client, alice, dynamic_id, since=plus_two)) == [
        a_new["id"],
        b_mid["id"],
    ]


@pytest.mark.parametrize("gap", [timedelta(0), timedelta(hours=-1)])
async def test_an_empty_range_is_a_422(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str, gap: timedelta
) -> None:
    since = datetime.now(UTC) - timedelta(days=1)
    response = await listing(
        client, alice, dynamic_id, since=since.isoformat(), until=(since + gap).isoformat()
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "empty_range"


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2026-01-01T00:00:00"},
        {"until": "2026-01-01T00:00:00"},
        {"since": "2026-01-01T00:00:00", "until": "2026-02-01T00:00:00+00:00"},
        {"since": "2026-01-01T00:00:00+00:00", "until": "2026-02-01T00:00:00"},
    ],
)
async def test_since_and_until_need_an_offset(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str, params: dict[str, str]
) -> None:
    response = await listing(client, alice, dynamic_id, **params)
    assert response.status_code == 422, response.text
    assert error_code(response) == "validation_error"
    (error,) = response.json()["errors"]
    assert error["loc"][-1] in params
    assert error["type"] == "timezone_aware"


async def test_bounds_beyond_any_timestamp(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str
) -> None:
    """Year 1 at +01:00 is before year 1 in UTC: no timestamp holds it, but it bounds nothing."""
    made = await check_in(client, alice, dynamic_id)
    first, last = "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"
    for params, expected in (
        ({"since": first}, [made["id"]]),
        ({"until": last}, [made["id"]]),
        ({"since": first, "until": last}, [made["id"]]),
        ({"since": last}, []),
        ({"until": first}, []),
    ):
        response = await listing(client, alice, dynamic_id, **params)
        assert response.status_code == 200, (params, response.text)
        assert [c["id"] for c in response.json()["items"]] == expected, params


# --- the partner's answers ----------------------------------------------------------------------


async def test_the_partner_answers_and_the_author_is_told(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    created = await check_in(client, alice, dynamic_id, mood=2, needs=["reassurance"])
    seen = await respond(client, bob, created["id"], "seen")
    assert seen.status_code == 201, seen.text
    assert seen.json()["user_id"] == bob.id
    assert seen.json()["checkin_id"] == created["id"]
    assert seen.json()["kind"] == "seen"
    assert seen.json()["note"] is None
    on_it = await respond(client, bob, created["id"], "on_it", "Coming home early.")
    assert on_it.status_code == 201, on_it.text
    assert on_it.json()["note"] == "Coming home early."
    done = await respond(client, bob, created["id"], "done")
    assert done.status_code == 201, done.text

    # The check-in carries the latest answer; every answer is kept, in order.
    (item,) = (await listing(client, alice, dynamic_id)).json()["items"]
    assert item["response_kind"] == "done"
    assert parse(item["response_at"]) == parse(done.json()["created_at"])
    history = await client.get(f"/api/checkins/{created['id']}/responses", headers=alice.headers)
    assert history.status_code == 200
    assert [r["kind"] for r in history.json()] == ["seen", "on_it", "done"]
    assert (
        history.json()
        == (
            await client.get(f"/api/checkins/{created['id']}/responses", headers=bob.headers)
        ).json()
    )

    told = [n for n in await notifications(client, alice) if n["kind"] == "checkin_answered"]
    assert len(told) == 3
    assert {n["data"]["response"] for n in told} == {"seen", "on_it", "done"}
    for n in told:
        assert n["actor_id"] == bob.id
        assert n["dynamic_id"] == dynamic_id
        assert n["data"]["checkin_id"] == created["id"]
    # Bob is not told about his own answers.
    assert not [n for n in await notifications(client, bob) if n["kind"] == "checkin_answered"]


async def test_done_is_final(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    """An "on_it" tapped offline and arriving after "done" does not reopen the need."""
    created = await check_in(client, alice, dynamic_id, needs=["aftercare"])
    done = await respond(client, bob, created["id"], "done")
    late = await respond(client, bob, created["id"], "on_it")
    assert done.status_code == late.status_code == 201
    (item,) = (await listing(client, alice, dynamic_id)).json()["items"]
    assert item["response_kind"] == "done"
    assert parse(item["response_at"]) == parse(done.json()["created_at"])
    history = await client.get(f"/api/checkins/{created['id']}/responses", headers=alice.headers)
    assert [r["kind"] for r in history.json()] == ["done", "on_it"]


async def test_nobody_answers_their_own_check_in(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str
) -> None:
    created = await check_in(client, alice, dynamic_id, needs=["praise"])
    for kind in ("seen", "on_it", "done"):
        response = await respond(client, alice, created["id"], kind)
        assert response.status_code == 403, response.text
        assert error_code(response) == "own_checkin"
    (item,) = (await listing(client, alice, dynamic_id)).json()["items"]
    assert item["response_kind"] is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"kind": "ok"},
        {"kind": "DONE"},
        {"kind": None},
        {"kind": "done", "note": "n" * 1001},
        {"kind": "done", "extra": 1},
    ],
)
async def test_invalid_answers(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str, body: dict[str, Any]
) -> None:
    created = await check_in(client, alice, dynamic_id)
    response = await client.post(
        f"/api/checkins/{created['id']}/responses", json=body, headers=bob.headers
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "validation_error"


async def test_answering_a_missing_check_in_is_a_404(
    client: httpx.AsyncClient, bob: Member, dynamic_id: str
) -> None:
    missing = str(uuid.uuid4())
    response = await respond(client, bob, missing, "seen")
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    response = await client.get(f"/api/checkins/{missing}/responses", headers=bob.headers)
    assert response.status_code == 404


# --- a red, and an ended dynamic ----------------------------------------------------------------


async def test_check_ins_are_allowed_while_a_red_stands(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    red = await client.post(f"/api/dynamics/{dynamic_id}/red", json={}, headers=alice.headers)
    assert red.status_code == 200, red.text
    assert red.json()["state"] == "paused"
    created = await check_in(client, alice, dynamic_id, mood=1, needs=["space"])
    await check_in(client, bob, dynamic_id, mood=2)
    answer = await respond(client, bob, created["id"], "on_it")
    assert answer.status_code == 201, answer.text
    assert await count_checkins(client, bob, dynamic_id) == 2


async def test_an_ended_dynamic_is_read_only(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    created = await check_in(client, alice, dynamic_id, needs=["talk"])
    left = await client.post(f"/api/dynamics/{dynamic_id}/leave", json={}, headers=bob.headers)
    assert left.status_code == 200, left.text
    assert left.json()["state"] == "ended"
    for member in (alice, bob):
        response = await client.post(url(dynamic_id), json={"mood": 3}, headers=member.headers)
        assert response.status_code == 409, response.text
        assert error_code(response) == "dynamic_ended"
    response = await respond(client, bob, created["id"], "done")
    assert response.status_code == 409, response.text
    assert error_code(response) == "dynamic_ended"
    # Still readable by both.
    for member in (alice, bob):
        assert await count_checkins(client, member, dynamic_id) == 1
        history = await client.get(
            f"/api/checkins/{created['id']}/responses", headers=member.headers
        )
        assert history.status_code == 200
        assert history.json() == []


async def test_ended_is_checked_before_the_author(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    """The author answering their own check-in of an ended dynamic hears that the dynamic has
    ended (409), not that the answer is the partner's (403): an ended dynamic is read-only for
    both, whoever writes and whatever they write, so its state is checked first. Nothing is
    stored."""
    created = await check_in(client, alice, dynamic_id)
    # While the dynamic is open, the same answer is refused for being the author's own.
    own = await respond(client, alice, created["id"], "seen")
    assert own.status_code == 403, own.text
    assert error_code(own) == "own_checkin"
    left = await client.post(f"/api/dynamics/{dynamic_id}/leave", json={}, headers=alice.headers)
    assert left.status_code == 200, left.text
    response = await respond(client, alice, created["id"], "seen")
    assert response.status_code == 409, response.text
    assert error_code(response) == "dynamic_ended"
    for member in (alice, bob):
        history = await client.get(
            f"/api/checkins/{created['id']}/responses", headers=member.headers
        )
        assert history.status_code == 200, history.text
        assert history.json() == []


# --- idempotency --------------------------------------------------------------------------------


async def test_a_replayed_check_in_is_made_once(
    app: FastAPI, client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    key = str(uuid.uuid4())
    body = {
        "mood": 4,
        "needs": ["play"],
        "note": "Sent from the train",
        "occurred_at": ago(hours=1),
    }
    first = await client.post(url(dynamic_id), json=body, headers=alice.idem(key))
    assert first.status_code == 201, first.text
    again = await client.post(url(dynamic_id), json=body, headers=alice.idem(key))
    assert again.status_code == 201, again.text
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert await count(app, CheckIn, col(CheckIn.dynamic_id) == uuid.UUID(dynamic_id)) == 1
    # The partner was told once.
    told = [n for n in await notifications(client, bob) if n["kind"] == "partner_checked_in"]
    assert len(told) == 1
    # The same key with another body is refused; another key is another check-in.
    other = await client.post(url(dynamic_id), json={**body, "mood": 5}, headers=alice.idem(key))
    assert other.status_code == 422
    assert error_code(other) == "idempotency_key_reused"
    await client.post(url(dynamic_id), json=body, headers=alice.idem())
    assert await count(app, CheckIn, col(CheckIn.dynamic_id) == uuid.UUID(dynamic_id)) == 2


async def test_concurrent_repeats_of_one_key_make_one_check_in(
    app: FastAPI, client: httpx.AsyncClient, alice: Member, dynamic_id: str
) -> None:
    key = str(uuid.uuid4())
    body = {"mood": 3, "occurred_at": ago(minutes=10)}
    responses = await asyncio.gather(
        *(client.post(url(dynamic_id), json=body, headers=alice.idem(key)) for _ in range(6))
    )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [r.text for r in responses]
    assert 201 in statuses
    ids = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(ids) == 1
    for r in responses:
        if r.status_code == 409:
            assert error_code(r) == "idempotency_in_flight"
    assert await count(app, CheckIn, col(CheckIn.dynamic_id) == uuid.UUID(dynamic_id)) == 1


async def test_a_replayed_answer_is_made_once(
    app: FastAPI, client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    created = await check_in(client, alice, dynamic_id, needs=["rest"])
    key = str(uuid.uuid4())
    path = f"/api/checkins/{created['id']}/responses"
    first = await client.post(path, json={"kind": "done"}, headers=bob.idem(key))
    again = await client.post(path, json={"kind": "done"}, headers=bob.idem(key))
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert await count(app, CheckInResponse) == 1
    told = [n for n in await notifications(client, alice) if n["kind"] == "checkin_answered"]
    assert len(told) == 1


# --- the outsider -------------------------------------------------------------------------------


async def test_the_outsider_gets_404_everywhere(
    client: httpx.AsyncClient, alice: Member, bob: Member, eve: Member, dynamic_id: str
) -> None:
    created = await check_in(client, alice, dynamic_id, needs=["praise"], note="private")
    attempts = [
        await client.post(url(dynamic_id), json={"mood": 3}, headers=eve.headers),
        await client.post(url(dynamic_id), json={"mood": 3}, headers=eve.idem()),
        await client.get(url(dynamic_id), headers=eve.headers),
        await client.get(url(dynamic_id), params={"member": alice.id}, headers=eve.headers),
        # The range check must not answer before the membership check.
        await client.get(
            url(dynamic_id),
            params={"since": ago(hours=1), "until": ago(hours=2)},
            headers=eve.headers,
        ),
        await respond(client, eve, created["id"], "seen"),
        await respond(client, eve, created["id"], "done"),
        await client.get(f"/api/checkins/{created['id']}/responses", headers=eve.headers),
    ]
    for response in attempts:
        assert response.status_code == 404, (response.request.url, response.text)
        assert error_code(response) == "not_found"
        assert "private" not in response.text
    # Nothing changed.
    (item,) = (await listing(client, bob, dynamic_id)).json()["items"]
    assert item["response_kind"] is None
    assert await count_checkins(client, bob, dynamic_id) == 1
    assert await notifications(client, eve) == []


# --- notifications ------------------------------------------------------------------------------


async def test_notifications_never_carry_notes_or_needs(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    secret_note = "the-secret-note-7f3a"
    secret_need = "secret-need-91bc"
    answer_note = "the-answer-note-5d2e"
    created = await check_in(
        client, alice, dynamic_id, needs=["intimacy", secret_need], note=secret_note
    )
    bare = await check_in(client, alice, dynamic_id)

    told = [n for n in await notifications(client, bob) if n["kind"] == "partner_checked_in"]
    assert len(told) == 2
    by_checkin = {n["data"]["checkin_id"]: n for n in told}
    assert set(by_checkin) == {created["id"], bare["id"]}
    assert by_checkin[created["id"]]["data"] == {"checkin_id": created["id"], "has_needs": True}
    assert by_checkin[bare["id"]]["data"] == {"checkin_id": bare["id"], "has_needs": False}
    for n in told:
        assert n["actor_id"] == alice.id
        assert n["dynamic_id"] == dynamic_id
        assert n["read_at"] is None
    # The author is not told about their own check-in.
    assert not [n for n in await notifications(client, alice) if n["kind"] == "partner_checked_in"]

    answered = await respond(client, bob, created["id"], "done", answer_note)
    assert answered.status_code == 201
    (told_alice,) = [
        n for n in await notifications(client, alice) if n["kind"] == "checkin_answered"
    ]
    assert told_alice["data"] == {"checkin_id": created["id"], "response": "done"}

    for member in (alice, bob):
        text = json.dumps(await notifications(client, member))
        for secret in (secret_note, secret_need, "intimacy", answer_note):
            assert secret not in text


# --- concurrency --------------------------------------------------------------------------------


async def test_many_check_ins_at_once_all_succeed(
    app: FastAPI, client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    per_member = 15

    async def one(member: Member, n: int) -> httpx.Response:
        body = {"mood": 1 + n % 5, "needs": ["talk"], "occurred_at": ago(minutes=n)}
        return await client.post(url(dynamic_id), json=body, headers=member.idem())

    responses = await asyncio.gather(
        *(one(member, n) for n in range(per_member) for member in (alice, bob))
    )
    failures = [r.text for r in responses if r.status_code != 201]
    assert not failures, failures
    assert len({r.json()["id"] for r in responses}) == 2 * per_member
    assert await count(app, CheckIn) == 2 * per_member
    for member in (alice, bob):
        assert await count(app, CheckIn, col(CheckIn.user_id) == uuid.UUID(member.id)) == per_member

    # Then both answer each other's, all at once.
    answers = await asyncio.gather(
        *(
            respond(
                client, bob if r.json()["user_id"] == alice.id else alice, r.json()["id"], "done"
            )
            for r in responses
        )
    )
    failures = [a.text for a in answers if a.status_code != 201]
    assert not failures, failures
    assert await count(app, CheckInResponse) == 2 * per_member
    assert await count(app, CheckIn, col(CheckIn.response_kind) == "done") == 2 * per_member
