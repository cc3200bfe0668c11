"""The change feed: applying every page from any cursor gives exactly what the REST routes show.

A client's local state here is a map (entity, id) -> data; an upsert writes it, a delete drops
it. The REST state is read the way a client without the feed would, route by route.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from tests.helpers import PASSWORD, Member, error_code, register

State = dict[tuple[str, str], Any]

# Distinctive custom items: a private answer must never show in the partner's feed.
ALICE_PRIVATE = "Zebra-velvet-ALICE-only"
BOB_PRIVATE = "Quokka-silk-BOB-only"
SHARED = "Mutual-lantern-game"


async def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


async def sync_pages(
    client: httpx.AsyncClient, member: Member, cursor: str | None = None, *, limit: int = 200
) -> tuple[list[dict[str, Any]], str]:
    pages = []
    for _ in range(10_000):
        params: dict[str, Any] = {"limit": limit}
        if cursor is not None:
            params["cursor"] = cursor
        page = await ok(await client.get("/api/sync", params=params, headers=member.headers))
        assert set(page) == {"changes", "cursor", "has_more"}
        assert len(page["changes"]) <= limit
        pages.append(page)
        cursor = page["cursor"]
        if not page["has_more"]:
            assert cursor is not None
            return pages, cursor
    raise AssertionError("the feed never ended")


def apply(state: State, pages: list[dict[str, Any]]) -> State:
    state = dict(state)
    for page in pages:
        for change in page["changes"]:
            assert set(change) == {"entity", "id", "op", "data", "at"}
            key = (change["entity"], change["id"])
            if change["op"] == "upsert":
                assert change["data"] is not None
                state[key] = change["data"]
            else:
                assert change["op"] == "delete" and change["data"] is None
                state.pop(key, None)
    return state


async def sync_state(
    client: httpx.AsyncClient, member: Member, *, limit: int = 200
) -> tuple[State, str, list[dict[str, Any]]]:
    pages, cursor = await sync_pages(client, member, limit=limit)
    return apply({}, pages), cursor, pages


async def rest_state(client: httpx.AsyncClient, member: Member) -> State:
    h = member.headers
    state: State = {}
    dynamics = await ok(await client.get("/api/dynamics", params={"limit": 100}, headers=h))
    for dynamic in dynamics["items"]:
        did = dynamic["id"]
        state[("dynamic", did)] = dynamic
        state[("limits", did)] = await ok(
            await client.get(f"/api/dynamics/{did}/limits", headers=h)
        )
        protocols = await ok(
            await client.get(f"/api/dynamics/{did}/protocols", params={"limit": 100}, headers=h)
        )
        for protocol in protocols["items"]:
            state[("protocol", protocol["id"])] = protocol
            completions = await ok(
                await client.get(
                    f"/api/protocols/{protocol['id']}/completions",
                    params={"limit": 100},
                    headers=h,
                )
            )
            for completion in completions["items"]:
                state[("completion", completion["id"])] = completion
        checkins = await ok(
            await client.get(f"/api/dynamics/{did}/checkins", params={"limit": 100}, headers=h)
        )
        for checkin in checkins["items"]:
            state[("checkin", checkin["id"])] = checkin
            for response in await ok(
                await client.get(f"/api/checkins/{checkin['id']}/responses", headers=h)
            ):
                state[("checkin_response", response["id"])] = response
    inbox = await ok(await client.get("/api/notifications", params={"limit": 100}, headers=h))
    for notification in inbox["items"]:
        state[("notification", notification["id"])] = notification
    return state


async def check_in(client: httpx.AsyncClient, member: Member, did: str, mood: int = 3) -> str:
    body = {"mood": mood, "needs": ["praise"], "gave": 4, "received": 3, "note": "a note"}
    created = await ok(
        await client.post(f"/api/dynamics/{did}/checkins", json=body, headers=member.idem()), 201
    )
    return str(created["id"])


async def put_limits(
    client: httpx.AsyncClient, member: Member, did: str, answers: list[tuple[str, str]]
) -> None:
    body = {"items": [{"item": i, "answer": a} for i, a in answers]}
    await ok(
        await client.put(f"/api/dynamics/{did}/limits/mine", json=body, headers=member.headers)
    )


async def history(client: httpx.AsyncClient, alice: Member, bob: Member, did: str) -> None:
    """A little of everything a dynamic goes through."""
    await ok(
        await client.patch(
            f"/api/dynamics/{did}/membership", json={"role": "dominant"}, headers=alice.headers
        )
    )
    await ok(
        await client.patch(
            f"/api/dynamics/{did}/membership",
            json={"role": "submissive", "nickname": "pet"},
            headers=bob.headers,
        )
    )
    await put_limits(
        client,
        alice,
        did,
        [(ALICE_PRIVATE, "yes"), (SHARED, "yes"), ("Alice-hard-one", "hard_limit")],
    )
    await put_limits(
        client, bob, did, [(BOB_PRIVATE, "maybe"), (SHARED, "maybe"), ("Bob-no-one", "no")]
    )
    proposal = {
        "title": "Evening report",
        "description": "Three lines about the day.",
        "kind": "ritual",
        "performer_ids": [bob.id],
        "schedule": None,
        "review_on": None,
    }
    p1 = await ok(
        await client.post(f"/api/dynamics/{did}/protocols", json=proposal, headers=alice.idem()),
        201,
    )
    await ok(
        await client.post(
            f"/api/protocols/{p1['id']}/agree", json={"version": 1}, headers=bob.idem()
        )
    )
    done = await ok(
        await client.post(
            f"/api/protocols/{p1['id']}/completions", json={"note": "done"}, headers=bob.idem()
        ),
        201,
    )
    await ok(
        await client.post(
            f"/api/completions/{done['id']}/acknowledge",
            json={"note": "thanks"},
            headers=alice.idem(),
        ),
        201,
    )
    p2 = await ok(
        await client.post(
            f"/api/dynamics/{did}/protocols",
            json={**proposal, "title": "Tidy desk", "performer_ids": [alice.id]},
            headers=bob.idem(),
        ),
        201,
    )
    await ok(await client.post(f"/api/protocols/{p2['id']}/decline", json={}, headers=alice.idem()))
    a1 = await check_in(client, alice, did, 2)
    await check_in(client, bob, did, 4)
    for kind in ("on_it", "done"):
        await ok(
            await client.post(
                f"/api/checkins/{a1}/responses", json={"kind": kind}, headers=bob.idem()
            ),
            201,
        )
    await ok(await client.post(f"/api/dynamics/{did}/red", json={}, headers=alice.idem()))
    await ok(
        await client.post(f"/api/dynamics/{did}/yellow", json={"note": "talk"}, headers=bob.idem())
    )
    await ok(await client.post(f"/api/dynamics/{did}/resume", headers=alice.idem()))
    await ok(await client.post(f"/api/dynamics/{did}/resume", headers=bob.idem()))
    await ok(await client.post("/api/notifications/read", json={"all": True}, headers=bob.idem()))


def seqs_strictly_increase(pages: list[dict[str, Any]]) -> None:
    for page in pages:
        keys = [(c["entity"], c["id"]) for c in page["changes"]]
        assert len(keys) == len(set(keys)), "an entity is sent once per page"


async def test_from_empty_cursor_the_feed_gives_the_rest_state(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    await history(client, alice, bob, dynamic_id)
    for member in (alice, bob):
        state, _, pages = await sync_state(client, member)
        seqs_strictly_increase(pages)
        assert state == await rest_state(client, member)
        kinds = {entity for entity, _ in state}
        assert kinds == {
            "dynamic",
            "limits",
            "protocol",
            "completion",
            "checkin",
            "checkin_response",
            "notification",
        }
        # Every entity of a dynamic names it, so a client can file it without a lookup.
        for (entity, _), data in state.items():
            if entity not in ("dynamic", "limits", "notification"):
                assert data["dynamic_id"] == dynamic_id, entity
    # One page at a time reaches the same state.
    one_by_one, _, pages = await sync_state(client, alice, limit=1)
    assert len(pages) > 10
    assert one_by_one == await rest_state(client, alice)


async def test_a_saved_cursor_catches_up_with_what_came_after(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    await history(client, alice, bob, dynamic_id)
    state, cursor, _ = await sync_state(client, alice)
    nothing, unchanged = await sync_pages(client, alice, cursor)
    assert unchanged == cursor
    assert [c for p in nothing for c in p["changes"]] == []
    assert apply(state, nothing) == state

    protocols = await ok(
        await client.get(f"/api/dynamics/{dynamic_id}/protocols", headers=alice.headers)
    )
    active = next(p for p in protocols["items"] if p["status"] == "active")
    await ok(
        await client.post(
            f"/api/protocols/{active['id']}/withdraw",
            json={"reason": "tired"},
            headers=bob.idem(),
        )
    )
    await check_in(client, bob, dynamic_id, 1)
    await ok(await client.patch("/api/me", json={"display_name": "Robert"}, headers=bob.headers))
    await put_limits(client, alice, dynamic_id, [(SHARED, "no")])
    await ok(await client.post("/api/notifications/read", json={"all": True}, headers=alice.idem()))

    for limit in (200, 1, 3):
        pages, _ = await sync_pages(client, alice, cursor, limit=limit)
        changed = {(c["entity"], c["id"]) for p in pages for c in p["changes"]}
        assert ("protocol", active["id"]) in changed
        assert ("dynamic", dynamic_id) in changed  # Bob's new name is shown in it
        assert apply(state, pages) == await rest_state(client, alice)
    dynamic = (await rest_state(client, alice))[("dynamic", dynamic_id)]
    assert "Robert" in {m["display_name"] for m in dynamic["members"]}


async def test_the_partners_private_answers_never_appear(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    await history(client, alice, bob, dynamic_id)
    # Private answers change: the partner's feed says only that two answers changed (so trying
    # answers out is never silent), never which.
    _, alice_cursor, _ = await sync_state(client, alice)
    await put_limits(
        client,
        bob,
        dynamic_id,
        [
            (BOB_PRIVATE, "yes"),
            (SHARED, "maybe"),
            ("Bob-no-one", "no"),
            ("Another-secret", "maybe"),
        ],
    )
    quiet, _ = await sync_pages(client, alice, alice_cursor)
    changes = [c for p in quiet for c in p["changes"]]
    assert sorted(c["entity"] for c in changes) == ["limits", "notification"]
    notice = next(c["data"] for c in changes if c["entity"] == "notification")
    assert (notice["kind"], notice["data"]) == (
        "limits_updated",
        {"changed": 2, "appeared": 0, "withdrawn": 0},
    )
    assert BOB_PRIVATE.lower() not in json.dumps(changes).lower()
    for member, secret in ((alice, BOB_PRIVATE), (bob, ALICE_PRIVATE)):
        for limit in (200, 1):
            pages, _ = await sync_pages(client, member, limit=limit)
            raw = json.dumps(pages).lower()
            assert secret.lower() not in raw
            assert "another-secret" not in raw or member is bob
            assert SHARED.lower() in raw  # the mutual match is revealed to both
        state, _, _ = await sync_state(client, member)
        limits = state[("limits", dynamic_id)]
        assert limits == await ok(
            await client.get(f"/api/dynamics/{dynamic_id}/limits", headers=member.headers)
        )


async def test_account_deletion_sends_tombstones(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    await history(client, alice, bob, dynamic_id)
    state, cursor, _ = await sync_state(client, alice)
    bob_checkins = [
        key[1] for key, value in state.items() if key[0] == "checkin" and value["user_id"] == bob.id
    ]
    assert bob_checkins
    deleted = await client.request(
        "DELETE", "/api/me", json={"password": PASSWORD}, headers=bob.headers
    )
    assert deleted.status_code == 204, deleted.text
    pages, _ = await sync_pages(client, alice, cursor)
    changes = [c for p in pages for c in p["changes"]]
    deletes = {c["id"] for c in changes if c["op"] == "delete" and c["entity"] == "checkin"}
    assert deletes == set(bob_checkins)
    after = apply(state, pages)
    assert after == await rest_state(client, alice)
    dynamic = after[("dynamic", dynamic_id)]
    assert dynamic["state"] == "ended" and dynamic["ended_reason"] == "account_deleted"
    assert after[("limits", dynamic_id)]["partner"] == []
    # From scratch, too: nothing of Bob's check-ins remains.
    fresh, _, _ = await sync_state(client, alice)
    assert fresh == after


async def test_after_leave_the_other_member_sees_the_end_and_nothing_more(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    await history(client, alice, bob, dynamic_id)
    state, cursor, _ = await sync_state(client, alice)
    await ok(await client.post(f"/api/dynamics/{dynamic_id}/leave", headers=bob.idem()))
    pages, cursor = await sync_pages(client, alice, cursor)
    changes = [c for p in pages for c in p["changes"]]
    ended = [c for c in changes if c["entity"] == "dynamic"]
    assert len(ended) == 1 and ended[0]["data"]["state"] == "ended"
    assert {c["entity"] for c in changes} == {"dynamic", "notification"}
    state = apply(state, pages)
    assert state == await rest_state(client, alice)
    refused = await client.post(
        f"/api/dynamics/{dynamic_id}/checkins", json={"mood": 3}, headers=alice.idem()
    )
    assert refused.status_code == 409
    later, _ = await sync_pages(client, alice, cursor)
    assert [c for p in later for c in p["changes"]] == []


async def test_an_outsider_sees_nothing_of_the_couple(
    client: httpx.AsyncClient, alice: Member, bob: Member, eve: Member, dynamic_id: str
) -> None:
    await history(client, alice, bob, dynamic_id)
    pages, _ = await sync_pages(client, eve)
    assert [c for p in pages for c in p["changes"]] == []
    # A cursor naming their stream is ignored, not an error that would tell it exists.
    forged = base64.urlsafe_b64encode(
        json.dumps({f"d:{dynamic_id}": 0, f"u:{alice.id}": 0}).encode()
    ).decode()
    pages, cursor = await sync_pages(client, eve, forged)
    raw = json.dumps(pages) + base64.urlsafe_b64decode(cursor + "==").decode()
    for secret in (alice.id, bob.id, dynamic_id):
        assert secret not in raw
    # Alice's cursor replayed by Eve gives Eve nothing of Alice's either.
    _, alice_cursor, _ = await sync_state(client, alice)
    pages, _ = await sync_pages(client, eve, alice_cursor)
    assert [c for p in pages for c in p["changes"]] == []


@pytest.mark.parametrize(
    "cursor",
    [
        "!!!",
        "bm90IGpzb24",  # "not json"
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(b'{"u:x": "1"}').decode(),
        base64.urlsafe_b64encode(b'{"u:x": -1}').decode(),
        base64.urlsafe_b64encode(b'{"u:x": true}').decode(),
        base64.urlsafe_b64encode(b'{"u:x": 1.5}').decode(),
        base64.urlsafe_b64encode(b'{"u:x": 99999999999999999999}').decode(),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
async def test_a_bad_cursor_is_422(client: httpx.AsyncClient, alice: Member, cursor: str) -> None:
    response = await client.get("/api/sync", params={"cursor": cursor}, headers=alice.headers)
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_cursor"


async def test_limits_and_auth(client: httpx.AsyncClient, alice: Member) -> None:
    for limit in (0, 501, -1):
        response = await client.get("/api/sync", params={"limit": limit}, headers=alice.headers)
        assert response.status_code == 422
    assert (await client.get("/api/sync")).status_code == 401
    empty = await ok(await client.get("/api/sync", params={"cursor": ""}, headers=alice.headers))
    assert empty["changes"] == [] and empty["has_more"] is False


async def test_concurrent_writes_in_one_dynamic_appear_once_in_order(
    app: FastAPI, client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    _, cursor, _ = await sync_state(client, alice)
    writers = [alice, bob] * 6
    ids = await asyncio.gather(*(check_in(client, m, dynamic_id) for m in writers))
    assert len(set(ids)) == len(writers)
    async with app.state.db.engine.connect() as conn:
        rows = (
            await conn.execute(
                text("SELECT seq, entity, entity_id FROM changes WHERE stream = :s ORDER BY seq"),
                {"s": f"d:{dynamic_id}"},
            )
        ).all()
        counter = (
            await conn.execute(
                text("SELECT seq FROM change_streams WHERE stream = :s"), {"s": f"d:{dynamic_id}"}
            )
        ).scalar_one()
    seqs = [row[0] for row in rows]
    assert seqs == list(range(1, len(seqs) + 1)) and counter == len(seqs)
    recorded = [str(uuid.UUID(str(row[2]))) for row in rows if row[1] == "checkin"]
    assert sorted(recorded) == sorted(ids)
    for limit in (200, 2):
        pages, _ = await sync_pages(client, alice, cursor, limit=limit)
        seen = [c["id"] for p in pages for c in p["changes"] if c["entity"] == "checkin"]
        assert sorted(seen) == sorted(ids)


async def test_a_new_partner_appears_in_the_feed(client: httpx.AsyncClient, alice: Member) -> None:
    _, cursor, _ = await sync_state(client, alice)
    carol = await register(client, "Carol")
    invite = await ok(await client.post("/api/invites", json={}, headers=alice.headers), 201)
    await ok(
        await client.post(f"/api/invites/{invite['code']}/accept", json={}, headers=carol.headers),
        201,
    )
    pages, _ = await sync_pages(client, alice, cursor)
    assert apply({}, pages) == await rest_state(client, alice)
