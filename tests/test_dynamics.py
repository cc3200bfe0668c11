"""Pairing, the life of a dynamic (red, yellow, resume, leave, membership) and the inbox.

Everything goes through the real app on a real database; stored state is read back through the
app's own engine. Races are real concurrent requests over the ASGI client.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import update
from sqlmodel import col, select

from app.dynamics.models import Dynamic, Invite, Membership
from app.dynamics.service import pair_key
from app.notifications.models import Notification
from tests.helpers import Member, error_code, pair, register
from tests.helpers.inbox import inbox, kinds

CODE_RE = re.compile(r"^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$")


# --- helpers ------------------------------------------------------------------------------------


async def new_invite(client: httpx.AsyncClient, member: Member) -> dict[str, Any]:
    response = await client.post("/api/invites", json={}, headers=member.headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def accept(client: httpx.AsyncClient, member: Member, code: str) -> httpx.Response:
    return await client.post(f"/api/invites/{code}/accept", json={}, headers=member.headers)


async def read_dynamic(
    client: httpx.AsyncClient, member: Member, dynamic_id: str
) -> dict[str, Any]:
    response = await client.get(f"/api/dynamics/{dynamic_id}", headers=member.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def act(
    client: httpx.AsyncClient,
    member: Member,
    dynamic_id: str,
    action: str,
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    """POST red | yellow | resume | leave on a dynamic."""
    return await client.post(
        f"/api/dynamics/{dynamic_id}/{action}", json=body or {}, headers=member.headers
    )


def member_view(dynamic: dict[str, Any], member: Member) -> dict[str, Any]:
    (found,) = [m for m in dynamic["members"] if m["user_id"] == member.id]
    assert isinstance(found, dict)
    return found


def parse_time(value: str) -> datetime:
    when = datetime.fromisoformat(value)
    assert when.tzinfo is not None, value
    return when


def mutating_calls(dynamic_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    base = f"/api/dynamics/{dynamic_id}"
    return [
        ("POST", f"{base}/red", {"note": "stop"}),
        ("POST", f"{base}/yellow", {"note": "talk"}),
        ("POST", f"{base}/resume", {}),
        ("POST", f"{base}/leave", {}),
        ("PATCH", f"{base}/membership", {"role": "switch", "nickname": "Pet"}),
    ]


async def stored_dynamic(app: FastAPI, dynamic_id: str) -> Dynamic:
    async with app.state.db.reader() as session:
        dynamic = await session.get(Dynamic, uuid.UUID(dynamic_id))
    assert dynamic is not None
    return dynamic


async def stored_membership(app: FastAPI, dynamic_id: str, member: Member) -> Membership:
    async with app.state.db.reader() as session:
        result = await session.execute(
            select(Membership).where(
                col(Membership.dynamic_id) == uuid.UUID(dynamic_id),
                col(Membership.user_id) == uuid.UUID(member.id),
            )
        )
        return result.scalar_one()


async def stored_invite(app: FastAPI, code: str) -> Invite:
    async with app.state.db.reader() as session:
        result = await session.execute(select(Invite).where(col(Invite.code) == code))
        return result.scalar_one()


async def dynamics_between(app: FastAPI, a: Member, b: Member) -> list[Dynamic]:
    key = pair_key(uuid.UUID(a.id), uuid.UUID(b.id))
    async with app.state.db.reader() as session:
        result = await session.execute(select(Dynamic).where(col(Dynamic.pair_key) == key))
        return list(result.scalars())


async def all_dynamics(app: FastAPI) -> list[Dynamic]:
    async with app.state.db.reader() as session:
        return list((await session.execute(select(Dynamic))).scalars())


async def stored_notifications(app: FastAPI, member: Member) -> list[Notification]:
    async with app.state.db.reader() as session:
        result = await session.execute(
            select(Notification).where(col(Notification.user_id) == uuid.UUID(member.id))
        )
        return list(result.scalars())


async def set_invite_expiry(app: FastAPI, code: str, expires_at: datetime) -> None:
    async with app.state.db.writer() as session:
        await session.execute(
            update(Invite).where(col(Invite.code) == code).values(expires_at=expires_at)
        )
        await session.commit()


def raw_cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


# --- invites ------------------------------------------------------------------------------------


async def test_create_invite_shape(client: httpx.AsyncClient, app: FastAPI, alice: Member) -> None:
    before = datetime.now(UTC)
    body = await new_invite(client, alice)
    assert CODE_RE.match(body["code"]), body["code"]
    assert body["url"].endswith(f"/join/{body['code']}")
    assert body["url"].startswith("http")
    expires = parse_time(body["expires_at"])
    assert before + timedelta(hours=48) - timedelta(minutes=1) <= expires
    assert expires <= datetime.now(UTC) + timedelta(hours=48, minutes=1)
    assert body["state"] == "open"
    assert body["inviter_id"] == alice.id
    assert body["inviter_name"] == "Alice"

    invite = await stored_invite(app, body["code"])
    assert str(invite.inviter_id) == alice.id
    assert invite.accepted_at is None and invite.revoked_at is None
    # Every code is fresh.
    codes = {body["code"]} | {(await new_invite(client, alice))["code"] for _ in range(3)}
    assert len(codes) == 4


async def test_create_invite_rejects_unknown_fields_and_needs_auth(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    response = await client.post("/api/invites", json={"code": "AAAAAAAA"}, headers=alice.headers)
    assert response.status_code == 422
    assert error_code(response) == "validation_error"
    response = await client.post("/api/invites", json={})
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"
    async with app.state.db.reader() as session:
        assert list((await session.execute(select(Invite))).scalars()) == []


async def test_at_most_five_open_invites(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    codes = [(await new_invite(client, alice))["code"] for _ in range(5)]
    sixth = await client.post("/api/invites", json={}, headers=alice.headers)
    assert sixth.status_code == 409
    assert error_code(sixth) == "too_many_invites"
    # The limit is per user: Bob still can.
    await new_invite(client, bob)

    revoked = await client.delete(f"/api/invites/{codes[0]}", headers=alice.headers)
    assert revoked.status_code == 204
    await new_invite(client, alice)
    again = await client.post("/api/invites", json={}, headers=alice.headers)
    assert again.status_code == 409
    assert error_code(again) == "too_many_invites"

    # An expired invite no longer counts.
    await set_invite_expiry(app, codes[1], datetime.now(UTC) - timedelta(minutes=1))
    await new_invite(client, alice)

    # Nor does an accepted one.
    accepted = await accept(client, bob, codes[2])
    assert accepted.status_code == 201, accepted.text
    await new_invite(client, alice)
    async with app.state.db.reader() as session:
        mine = list(
            (
                await session.execute(
                    select(Invite).where(col(Invite.inviter_id) == uuid.UUID(alice.id))
                )
            ).scalars()
        )
    assert len(mine) == 8


async def test_partner_reads_invite(client: httpx.AsyncClient, alice: Member, bob: Member) -> None:
    invite = await new_invite(client, alice)
    code = invite["code"]
    response = await client.get(f"/api/invites/{code}", headers=bob.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["inviter_name"] == "Alice"
    assert body["inviter_id"] == alice.id
    assert body["state"] == "open"
    assert body["code"] == code
    assert body["url"] == invite["url"]


@pytest.mark.parametrize(
    "typed",
    [
        lambda c: c.lower(),
        lambda c: f"{c[:4]}-{c[4:]}",
        lambda c: f"{c[:4]} {c[4:]}".lower(),
        lambda c: f" {c[:2]}-{c[2:5]}-{c[5:]} ",
    ],
    ids=["lower", "dash", "space-lower", "dashes-and-padding"],
)
async def test_code_as_people_type_it(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, typed: Any
) -> None:
    code = (await new_invite(client, alice))["code"]
    spelled = typed(code)
    response = await client.get(f"/api/invites/{spelled}", headers=bob.headers)
    assert response.status_code == 200, response.text
    assert response.json()["code"] == code
    accepted = await accept(client, bob, spelled)
    assert accepted.status_code == 201, accepted.text
    invite = await stored_invite(app, code)
    assert str(invite.accepted_by) == bob.id
    assert str(invite.dynamic_id) == accepted.json()["id"]


@pytest.mark.parametrize(
    "code",
    ["ABCDEFGH", "ABC", "ABCDEFGHJ", "OOOOOOOO", "11111111", "ABCD_EFG", "%C3%A9%C3%A9", "x" * 300],
)
async def test_unknown_or_malformed_code_is_404(
    client: httpx.AsyncClient, alice: Member, bob: Member, code: str
) -> None:
    await new_invite(client, alice)
    for response in (
        await client.get(f"/api/invites/{code}", headers=bob.headers),
        await accept(client, bob, code),
        await client.delete(f"/api/invites/{code}", headers=alice.headers),
    ):
        assert response.status_code == 404, response.text
        assert error_code(response) == "not_found"


async def test_expired_invite_is_gone(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    code = (await new_invite(client, alice))["code"]
    await set_invite_expiry(app, code, datetime.now(UTC) - timedelta(seconds=1))
    response = await client.get(f"/api/invites/{code}", headers=bob.headers)
    assert response.status_code == 410
    assert error_code(response) == "invite_expired"
    accepted = await accept(client, bob, code)
    assert accepted.status_code == 410
    assert error_code(accepted) == "invite_expired"
    # The inviter still sees what became of it.
    own = await client.get(f"/api/invites/{code}", headers=alice.headers)
    assert own.status_code == 200
    assert own.json()["state"] == "expired"
    assert await all_dynamics(app) == []
    assert (await stored_invite(app, code)).accepted_at is None


async def test_revoked_invite_is_gone(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    code = (await new_invite(client, alice))["code"]
    revoked = await client.delete(f"/api/invites/{code}", headers=alice.headers)
    assert revoked.status_code == 204
    assert (await stored_invite(app, code)).revoked_at is not None
    response = await client.get(f"/api/invites/{code}", headers=bob.headers)
    assert response.status_code == 410
    assert error_code(response) == "invite_revoked"
    accepted = await accept(client, bob, code)
    assert accepted.status_code == 410
    assert error_code(accepted) == "invite_revoked"
    assert await all_dynamics(app) == []
    # Revoking twice changes nothing.
    assert (await client.delete(f"/api/invites/{code}", headers=alice.headers)).status_code == 204
    own = await client.get(f"/api/invites/{code}", headers=alice.headers)
    assert own.json()["state"] == "revoked"


async def test_accepted_invite_is_gone_for_others(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, eve: Member
) -> None:
    code = (await new_invite(client, alice))["code"]
    first = await accept(client, bob, code)
    assert first.status_code == 201, first.text
    for response in (
        await client.get(f"/api/invites/{code}", headers=eve.headers),
        await accept(client, eve, code),
        await client.get(f"/api/invites/{code}", headers=bob.headers),
        await accept(client, bob, code),
    ):
        assert response.status_code == 410, response.text
        assert error_code(response) == "invite_accepted"
    own = await client.get(f"/api/invites/{code}", headers=alice.headers)
    assert own.status_code == 200
    assert own.json()["state"] == "accepted"
    # An accepted invite cannot be revoked.
    revoke = await client.delete(f"/api/invites/{code}", headers=alice.headers)
    assert revoke.status_code == 409
    assert error_code(revoke) == "invite_accepted"
    assert (await stored_invite(app, code)).revoked_at is None
    assert len(await all_dynamics(app)) == 1


async def test_accept_creates_the_dynamic(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    code = (await new_invite(client, alice))["code"]
    response = await accept(client, bob, code)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["state"] == "active"
    assert body["ended_at"] is None and body["ended_by"] is None
    assert {m["user_id"] for m in body["members"]} == {alice.id, bob.id}
    assert {m["display_name"] for m in body["members"]} == {"Alice", "Bob"}
    for m in body["members"]:
        assert m["role"] == "other"
        assert m["nickname"] is None
        assert m["red_at"] is None and m["yellow_at"] is None

    (stored,) = await dynamics_between(app, alice, bob)
    assert str(stored.id) == body["id"]
    assert stored.state == "active"
    # The inviter is told; the one who accepted is not.
    (linked,) = (await inbox(client, alice))["items"]
    assert linked["kind"] == "partner_linked"
    assert linked["dynamic_id"] == body["id"]
    assert linked["actor_id"] == bob.id
    assert (await inbox(client, bob))["items"] == []
    # Both see it in their list.
    for member in (alice, bob):
        listed = await client.get("/api/dynamics", headers=member.headers)
        assert [d["id"] for d in listed.json()["items"]] == [body["id"]]


async def test_revoke_by_someone_else_is_404(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    code = (await new_invite(client, alice))["code"]
    response = await client.delete(f"/api/invites/{code}", headers=bob.headers)
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert (await stored_invite(app, code)).revoked_at is None
    assert (await accept(client, bob, code)).status_code == 201


async def test_accepting_your_own_invite(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    code = (await new_invite(client, alice))["code"]
    response = await accept(client, alice, code)
    assert response.status_code == 409
    assert error_code(response) == "own_invite"
    assert await all_dynamics(app) == []
    assert (await stored_invite(app, code)).accepted_at is None


async def test_already_paired_then_pair_again_after_leaving(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    first = await pair(client, alice, bob)
    # Either direction: Bob's invite accepted by Alice, or another of Alice's accepted by Bob.
    for inviter, invitee in ((bob, alice), (alice, bob)):
        code = (await new_invite(client, inviter))["code"]
        response = await accept(client, invitee, code)
        assert response.status_code == 409
        assert error_code(response) == "already_paired"
        # The invite stays open for someone else.
        assert (await stored_invite(app, code)).accepted_at is None
    # A paused dynamic is still open.
    assert (await act(client, alice, first, "red")).status_code == 200
    code = (await new_invite(client, bob))["code"]
    response = await accept(client, alice, code)
    assert response.status_code == 409
    assert error_code(response) == "already_paired"

    assert (await act(client, bob, first, "leave")).status_code == 200
    response = await accept(client, alice, code)
    assert response.status_code == 201, response.text
    second = response.json()["id"]
    assert second != first
    states = {str(d.id): d.state for d in await dynamics_between(app, alice, bob)}
    assert states == {first: "ended", second: "active"}


async def test_a_user_may_have_several_dynamics(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, eve: Member
) -> None:
    one = await pair(client, alice, bob)
    two = await pair(client, eve, alice)
    listed = await client.get("/api/dynamics", headers=alice.headers)
    assert {d["id"] for d in listed.json()["items"]} == {one, two}
    # Bob sees only his.
    listed = await client.get("/api/dynamics", headers=bob.headers)
    assert [d["id"] for d in listed.json()["items"]] == [one]


# --- races --------------------------------------------------------------------------------------


async def test_race_many_accept_one_code(client: httpx.AsyncClient, app: FastAPI) -> None:
    inviter = await register(client, "Inviter")
    takers = [await register(client, f"Taker{i}") for i in range(8)]
    code = (await new_invite(client, inviter))["code"]

    responses = await asyncio.gather(*(accept(client, t, code) for t in takers))

    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 1, [(r.status_code, r.text) for r in responses]
    for r in responses:
        if r.status_code != 201:
            assert r.status_code in (409, 410), r.text
            assert error_code(r) in {"invite_accepted", "conflict"}
    winner_index = statuses.index(201)
    winner = takers[winner_index]
    dynamics = await all_dynamics(app)
    assert len(dynamics) == 1
    assert str(dynamics[0].id) == responses[winner_index].json()["id"]
    invite = await stored_invite(app, code)
    assert str(invite.accepted_by) == winner.id
    assert invite.dynamic_id == dynamics[0].id
    async with app.state.db.reader() as session:
        members = list((await session.execute(select(Membership))).scalars())
    assert {str(m.user_id) for m in members} == {inviter.id, winner.id}
    # The inviter was told exactly once.
    assert await kinds(client, inviter) == ["partner_linked"]


async def test_race_accepting_each_others_invites(client: httpx.AsyncClient, app: FastAPI) -> None:
    for round_ in range(3):
        a = await register(client, f"A{round_}")
        b = await register(client, f"B{round_}")
        code_a = (await new_invite(client, a))["code"]
        code_b = (await new_invite(client, b))["code"]

        responses = await asyncio.gather(accept(client, a, code_b), accept(client, b, code_a))

        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201, 409], [(r.status_code, r.text) for r in responses]
        loser = next(r for r in responses if r.status_code == 409)
        assert error_code(loser) in {"already_paired", "conflict"}
        (dynamic,) = await dynamics_between(app, a, b)
        winner = next(r for r in responses if r.status_code == 201)
        assert str(dynamic.id) == winner.json()["id"]
        # Exactly one of the two invites was spent; the other is still open.
        spent = [
            (await stored_invite(app, code)).accepted_at is not None for code in (code_a, code_b)
        ]
        assert sorted(spent) == [False, True]


async def test_race_concurrent_invite_creation(client: httpx.AsyncClient, app: FastAPI) -> None:
    someone = await register(client, "Hasty")

    responses = await asyncio.gather(
        *(client.post("/api/invites", json={}, headers=someone.headers) for _ in range(8))
    )

    created = [r for r in responses if r.status_code == 201]
    assert len(created) == 5, [(r.status_code, r.text) for r in responses]
    for r in responses:
        if r.status_code != 201:
            assert r.status_code == 409, r.text
            assert error_code(r) == "too_many_invites"
    async with app.state.db.reader() as session:
        stored = list(
            (
                await session.execute(
                    select(Invite).where(col(Invite.inviter_id) == uuid.UUID(someone.id))
                )
            ).scalars()
        )
    assert sorted(i.code for i in stored) == sorted(r.json()["code"] for r in created)


async def test_race_red_from_both_sides(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    responses = await asyncio.gather(
        act(client, alice, dynamic_id, "red"), act(client, bob, dynamic_id, "red")
    )
    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    assert (await stored_dynamic(app, dynamic_id)).state == "paused"
    # Each lift is seen by the other: lifting both, in parallel, ends the pause.
    responses = await asyncio.gather(
        act(client, alice, dynamic_id, "resume"), act(client, bob, dynamic_id, "resume")
    )
    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    assert (await stored_dynamic(app, dynamic_id)).state == "active"


async def test_race_revoke_against_accept(client: httpx.AsyncClient, app: FastAPI) -> None:
    """An invite is either revoked or accepted, never both, and both sides are told the truth."""
    inviter = await register(client, "Inviter")
    for round_ in range(6):
        taker = await register(client, f"Taker{round_}")
        code = (await new_invite(client, inviter))["code"]

        revoked, accepted = await asyncio.gather(
            client.delete(f"/api/invites/{code}", headers=inviter.headers),
            accept(client, taker, code),
        )

        invite = await stored_invite(app, code)
        if accepted.status_code == 201:
            assert revoked.status_code == 409, revoked.text
            assert error_code(revoked) == "invite_accepted"
            assert invite.revoked_at is None
            assert invite.accepted_at is not None
            assert len(await dynamics_between(app, inviter, taker)) == 1
        else:
            assert accepted.status_code == 410, accepted.text
            assert error_code(accepted) in {"invite_revoked", "conflict"}
            assert revoked.status_code == 204, revoked.text
            assert invite.accepted_at is None
            assert invite.revoked_at is not None
            assert await dynamics_between(app, inviter, taker) == []


async def test_race_both_leave(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    responses = await asyncio.gather(
        act(client, alice, dynamic_id, "leave"), act(client, bob, dynamic_id, "leave")
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.text for r in responses]
    winner, loser = sorted(responses, key=lambda r: r.status_code)
    assert error_code(loser) == "dynamic_ended"
    stored = await stored_dynamic(app, dynamic_id)
    assert stored.state == "ended"
    assert str(stored.ended_by) == winner.json()["ended_by"]
    # Only the one who was left is told, once.
    told = [n.kind for n in await stored_notifications(app, alice)] + [
        n.kind for n in await stored_notifications(app, bob)
    ]
    assert told.count("partner_left") == 1


async def test_race_red_against_leave(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    red, left = await asyncio.gather(
        act(client, alice, dynamic_id, "red"), act(client, bob, dynamic_id, "leave")
    )
    assert left.status_code == 200, left.text
    assert red.status_code in (200, 409), red.text
    if red.status_code == 409:
        assert error_code(red) == "dynamic_ended"
    # Whatever the order, the dynamic ends ended, never "paused" again after leaving.
    assert (await stored_dynamic(app, dynamic_id)).state == "ended"
    assert (await read_dynamic(client, alice, dynamic_id))["state"] == "ended"


# --- red ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("caller_name", ["alice", "bob"])
async def test_red_pauses_at_once_and_only_its_caller_lifts_it(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Member,
    bob: Member,
    dynamic_id: str,
    caller_name: str,
) -> None:
    caller, partner = (alice, bob) if caller_name == "alice" else (bob, alice)
    before = await inbox(client, partner)

    response = await act(client, caller, dynamic_id, "red", {"note": "too much, stop"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "paused"
    assert member_view(body, caller)["red_at"] is not None
    assert member_view(body, caller)["red_note"] == "too much, stop"
    assert member_view(body, partner)["red_at"] is None
    assert (await stored_dynamic(app, dynamic_id)).state == "paused"
    # The partner sees it at once, note included, and is told.
    seen = await read_dynamic(client, partner, dynamic_id)
    assert seen["state"] == "paused"
    assert member_view(seen, caller)["red_note"] == "too much, stop"
    after = await inbox(client, partner)
    assert after["unread"] == before["unread"] + 1
    newest = after["items"][0]
    assert newest["kind"] == "red"
    assert newest["dynamic_id"] == dynamic_id
    assert newest["actor_id"] == caller.id
    # The inbox may reach a lock screen: it never carries the note.
    assert "too much" not in json.dumps(newest)
    assert "red" not in await kinds(client, caller)

    # Red twice: idempotent, no second notification, first time kept.
    first_red_at = member_view(body, caller)["red_at"]
    again = await act(client, caller, dynamic_id, "red")
    assert again.status_code == 200
    assert again.json()["state"] == "paused"
    assert member_view(again.json(), caller)["red_at"] == first_red_at
    assert (await kinds(client, partner)).count("red") == 1

    # The partner cannot lift it.
    refused = await act(client, partner, dynamic_id, "resume")
    assert refused.status_code == 403
    assert error_code(refused) == "not_your_red"
    assert (await stored_dynamic(app, dynamic_id)).state == "paused"
    assert (await stored_membership(app, dynamic_id, caller)).red_at is not None

    # Its caller can.
    lifted = await act(client, caller, dynamic_id, "resume")
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["state"] == "active"
    assert member_view(lifted.json(), caller)["red_at"] is None
    assert member_view(lifted.json(), caller)["red_note"] is None
    assert (await stored_dynamic(app, dynamic_id)).state == "active"
    told = (await inbox(client, partner))["items"][0]
    assert told["kind"] == "resumed"
    assert told["actor_id"] == caller.id
    assert told["data"]["lifted"] == ["red"]
    assert told["data"]["state"] == "active"
    assert "resumed" not in await kinds(client, caller)


async def test_red_from_both_stays_paused_until_both_lift(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    assert (await act(client, alice, dynamic_id, "red")).status_code == 200
    bob_red = await act(client, bob, dynamic_id, "red", {"note": "me too"})
    assert bob_red.status_code == 200
    assert bob_red.json()["state"] == "paused"
    assert "red" in await kinds(client, alice)

    lifted = await act(client, alice, dynamic_id, "resume")
    assert lifted.status_code == 200
    assert lifted.json()["state"] == "paused"
    assert member_view(lifted.json(), alice)["red_at"] is None
    assert member_view(lifted.json(), bob)["red_at"] is not None
    assert (await stored_dynamic(app, dynamic_id)).state == "paused"
    told = (await inbox(client, bob))["items"][0]
    assert told["kind"] == "resumed"
    assert (told["data"]["lifted"], told["data"]["state"]) == (["red"], "paused")
    # Alice has nothing of her own left to lift, and cannot lift Bob's.
    refused = await act(client, alice, dynamic_id, "resume")
    assert refused.status_code == 403
    assert error_code(refused) == "not_your_red"

    lifted = await act(client, bob, dynamic_id, "resume")
    assert lifted.status_code == 200
    assert lifted.json()["state"] == "active"
    assert (await stored_dynamic(app, dynamic_id)).state == "active"


async def test_red_with_bad_note(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, dynamic_id: str
) -> None:
    for body in ({"note": "x" * 501}, {"note": "a\x00b"}, {"colour": "red"}):
        response = await act(client, alice, dynamic_id, "red", body)
        assert response.status_code == 422, response.text
        assert error_code(response) == "validation_error"
    assert (await stored_dynamic(app, dynamic_id)).state == "active"
    # No body at all is fine.
    response = await client.post(f"/api/dynamics/{dynamic_id}/red", headers=alice.headers)
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "paused"


@pytest.mark.parametrize("action", ["red", "yellow"])
async def test_flag_notes_are_trimmed_and_blank_is_none(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, dynamic_id: str, action: str
) -> None:
    response = await act(client, alice, dynamic_id, action, {"note": "   "})
    assert response.status_code == 200, response.text
    assert member_view(response.json(), alice)[f"{action}_note"] is None
    response = await act(client, alice, dynamic_id, action, {"note": "  two\nlines  "})
    assert member_view(response.json(), alice)[f"{action}_note"] == "two\nlines"
    stored = await stored_membership(app, dynamic_id, alice)
    assert getattr(stored, f"{action}_note") == "two\nlines"


# --- yellow and resume --------------------------------------------------------------------------


async def test_yellow_pauses_nothing_and_is_lifted_by_its_member(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    response = await act(client, bob, dynamic_id, "yellow", {"note": "can we talk tonight?"})
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "active"
    assert (await stored_dynamic(app, dynamic_id)).state == "active"

    seen = await read_dynamic(client, alice, dynamic_id)
    assert seen["state"] == "active"
    assert member_view(seen, bob)["yellow_at"] is not None
    assert member_view(seen, bob)["yellow_note"] == "can we talk tonight?"
    assert member_view(seen, alice)["yellow_at"] is None
    newest = (await inbox(client, alice))["items"][0]
    assert newest["kind"] == "yellow"
    assert newest["actor_id"] == bob.id
    assert newest["dynamic_id"] == dynamic_id
    assert "talk tonight" not in json.dumps(newest)

    # Alice has nothing standing: her resume lifts nothing of Bob's.
    refused = await act(client, alice, dynamic_id, "resume")
    assert refused.status_code == 409
    assert error_code(refused) == "nothing_to_resume"
    assert (await stored_membership(app, dynamic_id, bob)).yellow_at is not None

    lifted = await act(client, bob, dynamic_id, "resume")
    assert lifted.status_code == 200
    assert lifted.json()["state"] == "active"
    assert member_view(lifted.json(), bob)["yellow_at"] is None
    assert member_view(lifted.json(), bob)["yellow_note"] is None
    stored = await stored_membership(app, dynamic_id, bob)
    assert stored.yellow_at is None and stored.yellow_note is None
    assert (await kinds(client, alice))[-1] == "resumed"


async def test_yellow_without_note_and_during_red(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    response = await act(client, alice, dynamic_id, "yellow")
    assert response.status_code == 200
    assert member_view(response.json(), alice)["yellow_note"] is None
    assert member_view(response.json(), alice)["yellow_at"] is not None
    # Red on top of a yellow; one resume lifts both.
    assert (await act(client, alice, dynamic_id, "red")).json()["state"] == "paused"
    lifted = await act(client, alice, dynamic_id, "resume")
    assert lifted.status_code == 200
    body = lifted.json()
    assert body["state"] == "active"
    assert member_view(body, alice)["red_at"] is None
    assert member_view(body, alice)["yellow_at"] is None
    told = (await inbox(client, bob))["items"][0]
    assert told["kind"] == "resumed"
    assert (told["data"]["lifted"], told["data"]["state"]) == (["red", "yellow"], "active")
    again = await act(client, alice, dynamic_id, "resume")
    assert again.status_code == 409
    assert error_code(again) == "nothing_to_resume"


async def test_yellow_twice_is_one_flag(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    first = await act(client, alice, dynamic_id, "yellow", {"note": "soon"})
    assert first.status_code == 200
    raised_at = member_view(first.json(), alice)["yellow_at"]
    again = await act(client, alice, dynamic_id, "yellow")
    assert again.status_code == 200
    assert member_view(again.json(), alice)["yellow_at"] == raised_at
    assert member_view(again.json(), alice)["yellow_note"] == "soon"
    # A new note replaces the old one, without a second notification.
    again = await act(client, alice, dynamic_id, "yellow", {"note": "tonight, please"})
    assert member_view(again.json(), alice)["yellow_note"] == "tonight, please"
    assert member_view(again.json(), alice)["yellow_at"] == raised_at
    assert (await stored_membership(app, dynamic_id, alice)).yellow_note == "tonight, please"
    assert (await kinds(client, bob)).count("yellow") == 1


async def test_lifting_a_yellow_under_the_partners_red(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    assert (await act(client, bob, dynamic_id, "yellow", {"note": "hm"})).is_success
    assert (await act(client, alice, dynamic_id, "red")).is_success
    lifted = await act(client, bob, dynamic_id, "resume")
    assert lifted.status_code == 200, lifted.text
    body = lifted.json()
    assert body["state"] == "paused"  # Alice's red stands
    assert member_view(body, bob)["yellow_at"] is None
    assert member_view(body, alice)["red_at"] is not None
    assert (await stored_dynamic(app, dynamic_id)).state == "paused"
    # Alice saw the yellow go up, so she is told it came down.
    told = (await inbox(client, alice))["items"][0]
    assert told["kind"] == "resumed"
    assert told["actor_id"] == bob.id
    assert (told["data"]["lifted"], told["data"]["state"]) == (["yellow"], "paused")
    # Now Bob has nothing left; Alice's red is still hers alone.
    refused = await act(client, bob, dynamic_id, "resume")
    assert refused.status_code == 403
    assert error_code(refused) == "not_your_red"


async def test_resume_with_nothing_standing(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    for member in (alice, bob):
        response = await act(client, member, dynamic_id, "resume")
        assert response.status_code == 409
        assert error_code(response) == "nothing_to_resume"
    assert (await stored_dynamic(app, dynamic_id)).state == "active"
    assert "resumed" not in await kinds(client, alice)
    assert (await inbox(client, bob))["items"] == []


# --- leave --------------------------------------------------------------------------------------


@pytest.mark.parametrize("leaver_name", ["alice", "bob"])
async def test_leave_ends_it_at_once_and_it_becomes_read_only(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Member,
    bob: Member,
    dynamic_id: str,
    leaver_name: str,
) -> None:
    leaver, partner = (alice, bob) if leaver_name == "alice" else (bob, alice)
    response = await act(client, leaver, dynamic_id, "leave")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "ended"
    assert body["ended_by"] == leaver.id
    assert body["ended_reason"] == "left"
    assert body["ended_at"] is not None
    stored = await stored_dynamic(app, dynamic_id)
    assert stored.state == "ended"
    assert str(stored.ended_by) == leaver.id
    assert stored.ended_at is not None

    newest = (await inbox(client, partner))["items"][0]
    assert newest["kind"] == "partner_left"
    assert newest["actor_id"] == leaver.id
    assert newest["dynamic_id"] == dynamic_id
    assert "partner_left" not in await kinds(client, leaver)

    for member in (alice, bob):
        for method, url, payload in mutating_calls(dynamic_id):
            refused = await client.request(method, url, json=payload, headers=member.headers)
            assert refused.status_code == 409, (method, url, refused.text)
            assert error_code(refused) == "dynamic_ended"
    # Nothing changed under the refusals.
    for member in (alice, bob):
        membership = await stored_membership(app, dynamic_id, member)
        assert membership.red_at is None and membership.yellow_at is None
        assert membership.role == "other" and membership.nickname is None
    assert str((await stored_dynamic(app, dynamic_id)).ended_by) == leaver.id

    # Still readable by both, in the list and through the state filter.
    for member in (alice, bob):
        seen = await read_dynamic(client, member, dynamic_id)
        assert seen["state"] == "ended"
        assert seen == body
        everything = await client.get("/api/dynamics", headers=member.headers)
        assert [d["id"] for d in everything.json()["items"]] == [dynamic_id]
        ended = await client.get("/api/dynamics?state=ended", headers=member.headers)
        assert ended.status_code == 200
        assert [d["id"] for d in ended.json()["items"]] == [dynamic_id]
        active = await client.get("/api/dynamics?state=active", headers=member.headers)
        assert active.json()["items"] == []

    # The same two can start again.
    new_id = await pair(client, partner, leaver)
    assert new_id != dynamic_id
    active = await client.get("/api/dynamics?state=active", headers=alice.headers)
    assert [d["id"] for d in active.json()["items"]] == [new_id]


async def test_leave_while_paused(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    assert (await act(client, alice, dynamic_id, "red")).status_code == 200
    # Leaving does not need the partner's red lifted: either can leave at once.
    response = await act(client, bob, dynamic_id, "leave")
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "ended"
    assert (await stored_dynamic(app, dynamic_id)).state == "ended"
    refused = await act(client, alice, dynamic_id, "resume")
    assert refused.status_code == 409
    assert error_code(refused) == "dynamic_ended"
    assert (await stored_dynamic(app, dynamic_id)).state == "ended"


async def test_state_filter(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, eve: Member
) -> None:
    with_bob = await pair(client, alice, bob)
    with_eve = await pair(client, alice, eve)
    assert (await act(client, bob, with_bob, "red")).status_code == 200
    expected = {"paused": [with_bob], "active": [with_eve], "ended": []}
    for state, ids in expected.items():
        response = await client.get(f"/api/dynamics?state={state}", headers=alice.headers)
        assert response.status_code == 200
        assert [d["id"] for d in response.json()["items"]] == ids, state
    bad = await client.get("/api/dynamics?state=gone", headers=alice.headers)
    assert bad.status_code == 422
    assert error_code(bad) == "validation_error"


# --- membership ---------------------------------------------------------------------------------


async def test_membership_role_and_nickname(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    url = f"/api/dynamics/{dynamic_id}/membership"
    response = await client.patch(
        url, json={"role": "dominant", "nickname": "  Sir  "}, headers=alice.headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert member_view(body, alice)["role"] == "dominant"
    assert member_view(body, alice)["nickname"] == "Sir"
    assert member_view(body, bob)["role"] == "other"
    stored = await stored_membership(app, dynamic_id, alice)
    assert (stored.role, stored.nickname) == ("dominant", "Sir")

    for role in ("submissive", "switch", "other"):
        response = await client.patch(url, json={"role": role}, headers=bob.headers)
        assert response.status_code == 200, response.text
        assert member_view(response.json(), bob)["role"] == role
    # A role-only change keeps the nickname, and the other way round.
    response = await client.patch(url, json={"role": "submissive"}, headers=alice.headers)
    assert member_view(response.json(), alice)["nickname"] == "Sir"
    response = await client.patch(url, json={"nickname": "Ma'am"}, headers=alice.headers)
    assert member_view(response.json(), alice)["role"] == "submissive"
    assert member_view(response.json(), alice)["nickname"] == "Ma'am"

    # null clears the nickname.
    response = await client.patch(url, json={"nickname": None}, headers=alice.headers)
    assert response.status_code == 200
    assert member_view(response.json(), alice)["nickname"] is None
    assert (await stored_membership(app, dynamic_id, alice)).nickname is None
    assert (await stored_membership(app, dynamic_id, alice)).role == "submissive"


@pytest.mark.parametrize(
    "payload",
    [
        {"role": "master"},
        {"role": "DOMINANT"},
        {"role": None},
        {"role": 1},
        {"nickname": "n" * 41},
        {"nickname": "   "},
        {"nickname": "two\nlines"},
        {"nickname": "bell\x07"},
        {"user_id": "00000000-0000-0000-0000-000000000000"},
    ],
)
async def test_membership_bad_input(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Member,
    dynamic_id: str,
    payload: dict[str, Any],
) -> None:
    response = await client.patch(
        f"/api/dynamics/{dynamic_id}/membership", json=payload, headers=alice.headers
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    field_name = next(iter(payload))
    assert field_name in body["detail"], body
    assert ["body", field_name] in [e["loc"][:2] for e in body["errors"]], body
    stored = await stored_membership(app, dynamic_id, alice)
    assert (stored.role, stored.nickname) == ("other", None)


async def test_membership_change_of_nothing_is_refused(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str
) -> None:
    response = await client.patch(
        f"/api/dynamics/{dynamic_id}/membership", json={}, headers=alice.headers
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


async def test_nickname_at_the_limit(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, dynamic_id: str
) -> None:
    name = "é" * 40
    response = await client.patch(
        f"/api/dynamics/{dynamic_id}/membership", json={"nickname": name}, headers=alice.headers
    )
    assert response.status_code == 200, response.text
    assert (await stored_membership(app, dynamic_id, alice)).nickname == name


async def test_both_members_see_the_same_dynamic(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    url = f"/api/dynamics/{dynamic_id}/membership"
    assert (await client.patch(url, json={"role": "dominant"}, headers=alice.headers)).is_success
    patched = await client.patch(
        url, json={"role": "submissive", "nickname": "Pet"}, headers=bob.headers
    )
    assert patched.is_success
    assert (await act(client, bob, dynamic_id, "yellow", {"note": "slow"})).is_success
    assert (await act(client, alice, dynamic_id, "red")).is_success

    as_alice = await client.get(f"/api/dynamics/{dynamic_id}", headers=alice.headers)
    as_bob = await client.get(f"/api/dynamics/{dynamic_id}", headers=bob.headers)
    assert as_alice.status_code == as_bob.status_code == 200
    assert as_alice.json() == as_bob.json()
    listed_alice = (await client.get("/api/dynamics", headers=alice.headers)).json()["items"]
    listed_bob = (await client.get("/api/dynamics", headers=bob.headers)).json()["items"]
    assert listed_alice == listed_bob == [as_alice.json()]
    # The submissive label grants and removes nothing: Bob's red is his own, Alice's is hers.
    refused = await act(client, bob, dynamic_id, "resume")
    assert refused.status_code == 200  # lifts Bob's yellow only
    assert refused.json()["state"] == "paused"
    blocked = await act(client, bob, dynamic_id, "resume")
    assert blocked.status_code == 403
    assert error_code(blocked) == "not_your_red"


# --- listing ------------------------------------------------------------------------------------


async def test_dynamics_paging(client: httpx.AsyncClient, alice: Member, bob: Member) -> None:
    partners = [bob] + [await register(client, f"P{i}") for i in range(3)]
    made = [await pair(client, alice, p) for p in partners]

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 1}
        if cursor is not None:
            params["cursor"] = cursor
        response = await client.get("/api/dynamics", params=params, headers=alice.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 1
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        pages += 1
        if cursor is None:
            break
        assert pages < 10
    assert seen == list(reversed(made))  # newest first, each once
    assert pages == 4

    whole = await client.get("/api/dynamics", params={"limit": 4}, headers=alice.headers)
    assert [d["id"] for d in whole.json()["items"]] == seen
    assert whole.json()["next_cursor"] is None


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        pytest.param(raw_cursor(["not a time", str(uuid.uuid4())]), id="not-a-time"),
        pytest.param(raw_cursor(["2026-01-01T00:00:00", str(uuid.uuid4())]), id="naive-time"),
        raw_cursor(["2026-01-01T00:00:00+00:00", "not-a-uuid"]),
        raw_cursor({"a": 1}),
        raw_cursor(42),
        pytest.param(raw_cursor(["2026-01-01T00:00:00+00:00", 123]), id="id-not-a-string"),
        pytest.param(
            raw_cursor(["0001-01-01T00:00:00+01:00", str(uuid.uuid4())]), id="time-out-of-range"
        ),
    ],
)
async def test_bad_cursor(client: httpx.AsyncClient, alice: Member, cursor: str) -> None:
    response = await client.get("/api/dynamics", params={"cursor": cursor}, headers=alice.headers)
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_cursor"
    response = await client.get(
        "/api/notifications", params={"cursor": cursor}, headers=alice.headers
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "invalid_cursor"


@pytest.mark.parametrize("limit", ["0", "101", "-1", "many"])
async def test_bad_limit(client: httpx.AsyncClient, alice: Member, limit: str) -> None:
    for url in ("/api/dynamics", "/api/notifications"):
        response = await client.get(url, params={"limit": limit}, headers=alice.headers)
        assert response.status_code == 422, response.text
        assert error_code(response) == "validation_error"


# --- notifications ------------------------------------------------------------------------------


async def _three_for_alice(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> tuple[str, list[dict[str, Any]]]:
    """Alice is told: partner_linked, red, resumed (oldest first)."""
    dynamic_id = await pair(client, alice, bob)
    assert (await act(client, bob, dynamic_id, "red")).is_success
    assert (await act(client, bob, dynamic_id, "resume")).is_success
    items = (await inbox(client, alice))["items"]
    return dynamic_id, items


async def test_inbox_newest_first_with_unread(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    dynamic_id, items = await _three_for_alice(client, alice, bob)
    page = await inbox(client, alice)
    assert [n["kind"] for n in page["items"]] == ["resumed", "red", "partner_linked"]
    assert page["unread"] == 3
    assert page["next_cursor"] is None
    times = [parse_time(n["created_at"]) for n in page["items"]]
    assert times == sorted(times, reverse=True)
    for n in page["items"]:
        assert n["read_at"] is None
        assert n["dynamic_id"] == dynamic_id
        assert n["actor_id"] == bob.id
        assert n["data"].get("actor_name") == "Bob"

    # Paged one at a time, the same order.
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 1}
        if cursor:
            params["cursor"] = cursor
        one = await inbox(client, alice, **params)
        assert one["unread"] == 3  # the whole inbox, not the page
        seen += [n["id"] for n in one["items"]]
        cursor = one["next_cursor"]
        if cursor is None:
            break
    assert seen == [n["id"] for n in items]


async def test_mark_read_by_ids_and_all(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    _, items = await _three_for_alice(client, alice, bob)
    red = next(n for n in items if n["kind"] == "red")

    response = await client.post(
        "/api/notifications/read", json={"ids": [red["id"]]}, headers=alice.headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"marked": 1, "unread": 2}
    # Marking it again marks nothing.
    response = await client.post(
        "/api/notifications/read", json={"ids": [red["id"]]}, headers=alice.headers
    )
    assert response.json() == {"marked": 0, "unread": 2}

    page = await inbox(client, alice)
    assert page["unread"] == 2
    by_id = {n["id"]: n for n in page["items"]}
    assert by_id[red["id"]]["read_at"] is not None
    unread = await inbox(client, alice, unread_only="true")
    assert [n["kind"] for n in unread["items"]] == ["resumed", "partner_linked"]
    assert all(n["read_at"] is None for n in unread["items"])

    response = await client.post(
        "/api/notifications/read", json={"all": True}, headers=alice.headers
    )
    assert response.status_code == 200
    assert response.json() == {"marked": 2, "unread": 0}
    assert (await inbox(client, alice, unread_only="true"))["items"] == []
    assert all(n.read_at is not None for n in await stored_notifications(app, alice))
    # An empty list is a valid, empty request.
    response = await client.post("/api/notifications/read", json={"ids": []}, headers=alice.headers)
    assert response.json() == {"marked": 0, "unread": 0}


async def test_mark_read_only_touches_your_own(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, eve: Member
) -> None:
    dynamic_id, items = await _three_for_alice(client, alice, bob)
    ids = [n["id"] for n in items]
    for intruder in (bob, eve):
        response = await client.post(
            "/api/notifications/read", json={"ids": ids}, headers=intruder.headers
        )
        assert response.status_code == 200
        assert response.json() == {"marked": 0, "unread": 0}
        response = await client.post(
            "/api/notifications/read", json={"all": True}, headers=intruder.headers
        )
        assert response.json()["marked"] == 0
    assert all(n.read_at is None for n in await stored_notifications(app, alice))
    assert (await inbox(client, alice))["unread"] == 3
    # A mix of hers and someone else's marks only hers.
    assert (await act(client, alice, dynamic_id, "red")).is_success
    bobs = (await inbox(client, bob))["items"]
    assert [n["kind"] for n in bobs] == ["red"]
    response = await client.post(
        "/api/notifications/read", json={"ids": [ids[0], bobs[0]["id"]]}, headers=alice.headers
    )
    assert response.json() == {"marked": 1, "unread": 2}
    assert (await inbox(client, bob))["unread"] == 1


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"all": False},
        {"ids": None, "all": False},
        {"ids": [], "all": True},
        {"ids": ["not-a-uuid"]},
        {"ids": [str(uuid.uuid4()) for _ in range(201)]},
        {"all": True, "extra": 1},
    ],
)
async def test_mark_read_bad_input(
    client: httpx.AsyncClient, alice: Member, bob: Member, payload: dict[str, Any]
) -> None:
    await pair(client, alice, bob)
    response = await client.post("/api/notifications/read", json=payload, headers=alice.headers)
    assert response.status_code == 422, response.text
    assert error_code(response) == "validation_error"
    assert (await inbox(client, alice))["unread"] == 1


async def test_outsider_sees_no_notifications(
    client: httpx.AsyncClient, alice: Member, bob: Member, eve: Member
) -> None:
    await _three_for_alice(client, alice, bob)
    page = await inbox(client, eve)
    assert page == {"items": [], "next_cursor": None, "unread": 0}
    assert (await inbox(client, eve, unread_only="true"))["items"] == []
    response = await client.get("/api/notifications")
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


async def test_account_deletion_ends_the_dynamic_for_the_partner(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, eve: Member
) -> None:
    with_bob = await pair(client, alice, bob)
    with_eve = await pair(client, eve, bob)
    assert (await act(client, eve, with_eve, "leave")).is_success
    url = f"/api/dynamics/{with_bob}/membership"
    assert (await client.patch(url, json={"nickname": "Pup"}, headers=bob.headers)).is_success
    assert (await act(client, bob, with_bob, "yellow", {"note": "private words"})).is_success
    assert (await act(client, bob, with_bob, "red", {"note": "more words"})).is_success

    deleted = await client.request(
        "DELETE", "/api/me", json={"password": bob.password}, headers=bob.headers
    )
    assert deleted.status_code == 204, deleted.text

    seen = await read_dynamic(client, alice, with_bob)
    assert seen["state"] == "ended"
    assert seen["ended_at"] is not None
    (former,) = [m for m in seen["members"] if m["user_id"] != alice.id]
    assert former["user_id"] is None
    assert former["display_name"] == "Former member"
    assert former["nickname"] is None
    assert former["red_note"] is None and former["yellow_note"] is None
    assert "words" not in json.dumps(seen)
    assert (await stored_dynamic(app, with_bob)).state == "ended"
    assert (await kinds(client, alice))[-1] == "partner_left"
    # The already ended one is untouched and still Eve's to read.
    assert (await read_dynamic(client, eve, with_eve))["state"] == "ended"
    assert str((await stored_dynamic(app, with_eve)).ended_by) == eve.id
    # Alice's dynamic is read-only now.
    refused = await act(client, alice, with_bob, "red")
    assert refused.status_code == 409
    assert error_code(refused) == "dynamic_ended"


# --- a whole story, watched by an outsider ------------------------------------------------------


async def _outsider_is_shut_out(
    client: httpx.AsyncClient, app: FastAPI, outsider: Member, dynamic_id: str
) -> None:
    before = await stored_dynamic(app, dynamic_id)
    response = await client.get(f"/api/dynamics/{dynamic_id}", headers=outsider.headers)
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    for method, url, payload in mutating_calls(dynamic_id):
        response = await client.request(method, url, json=payload, headers=outsider.headers)
        assert response.status_code == 404, (method, url, response.text)
        assert error_code(response) == "not_found"
    listed = await client.get("/api/dynamics", headers=outsider.headers)
    assert listed.status_code == 200
    assert listed.json() == {"items": [], "next_cursor": None}
    after = await stored_dynamic(app, dynamic_id)
    assert (after.state, after.ended_at, after.updated_at) == (
        before.state,
        before.ended_at,
        before.updated_at,
    )


async def test_full_journey(client: httpx.AsyncClient, app: FastAPI) -> None:
    alice = await register(client, "Alice")
    bob = await register(client, "Bob")
    eve = await register(client, "Eve")

    invite = await new_invite(client, alice)
    shown = await client.get(f"/api/invites/{invite['code'].lower()}", headers=bob.headers)
    assert shown.json()["inviter_name"] == "Alice"
    accepted = await accept(client, bob, invite["code"])
    assert accepted.status_code == 201
    dynamic_id = accepted.json()["id"]
    await _outsider_is_shut_out(client, app, eve, dynamic_id)
    # The spent invite is gone for the outsider too.
    assert (await accept(client, eve, invite["code"])).status_code == 410

    steps: list[tuple[Member, str, dict[str, Any], str]] = [
        (bob, "red", {"note": "stop"}, "paused"),
        (bob, "resume", {}, "active"),
        (alice, "yellow", {"note": "talk later?"}, "active"),
        (alice, "resume", {}, "active"),
    ]
    for member, action, body, state in steps:
        response = await act(client, member, dynamic_id, action, body)
        assert response.status_code == 200, (action, response.text)
        assert response.json()["state"] == state
        assert (await stored_dynamic(app, dynamic_id)).state == state
        await _outsider_is_shut_out(client, app, eve, dynamic_id)

    left = await act(client, alice, dynamic_id, "leave")
    assert left.status_code == 200
    assert left.json()["state"] == "ended"
    await _outsider_is_shut_out(client, app, eve, dynamic_id)

    assert await kinds(client, alice) == ["partner_linked", "red", "resumed"]
    assert await kinds(client, bob) == ["yellow", "resumed", "partner_left"]
    assert (await inbox(client, eve))["items"] == []
    assert (await stored_dynamic(app, dynamic_id)).state == "ended"


async def test_unknown_dynamic_is_404_and_bad_id_is_422(
    client: httpx.AsyncClient, alice: Member
) -> None:
    unknown = str(uuid.uuid4())
    response = await client.get(f"/api/dynamics/{unknown}", headers=alice.headers)
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    for method, url, payload in mutating_calls(unknown):
        response = await client.request(method, url, json=payload, headers=alice.headers)
        assert response.status_code == 404, (method, url)
        assert error_code(response) == "not_found"
    response = await client.get("/api/dynamics/not-a-uuid", headers=alice.headers)
    assert response.status_code == 422
    assert error_code(response) == "validation_error"
    response = await client.post(f"/api/dynamics/{unknown}/red", json={})
    assert response.status_code == 401


# --- "I see you" --------------------------------------------------------------------------------


async def test_i_see_you_answers_the_partners_red_and_tells_them(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    # Nothing to answer while no flag of Bob's stands (Alice's own red is not one).
    assert error_code(await act(client, alice, dynamic_id, "seen")) == "nothing_to_see"
    assert (await act(client, alice, dynamic_id, "red")).status_code == 200
    assert error_code(await act(client, alice, dynamic_id, "seen")) == "nothing_to_see"
    assert (await act(client, alice, dynamic_id, "resume")).status_code == 200

    assert (await act(client, bob, dynamic_id, "red", {"note": "stop"})).status_code == 200
    before = await kinds(client, bob)
    seen = await act(client, alice, dynamic_id, "seen", {"note": "I'm here. Take your time."})
    assert seen.status_code == 200, seen.text
    alices = member_view(seen.json(), alice)
    assert alices["saw_red_at"] is not None and alices["saw_yellow_at"] is None
    assert alices["saw_note"] == "I'm here. Take your time."
    # Bob sees who saw it and when, and is told (without the note: the inbox may be pushed).
    shown = member_view(await read_dynamic(client, bob, dynamic_id), alice)
    assert shown["saw_red_at"] == alices["saw_red_at"]
    told = (await inbox(client, bob))["items"][0]
    assert told["kind"] == "seen" and told["actor_id"] == alice.id
    assert told["data"]["signals"] == ["red"]
    assert "here" not in json.dumps(told)
    assert len(await kinds(client, bob)) == len(before) + 1

    # A repeat (a retry, a second tap) tells nobody again; a new note does.
    again = await act(client, alice, dynamic_id, "seen")
    assert member_view(again.json(), alice)["saw_red_at"] == alices["saw_red_at"]
    assert len(await kinds(client, bob)) == len(before) + 1
    await act(client, alice, dynamic_id, "seen", {"note": "Still here."})
    assert len(await kinds(client, bob)) == len(before) + 2

    # Bob's yellow is seen on its own; the red keeps its first time.
    assert (await act(client, bob, dynamic_id, "yellow")).status_code == 200
    both = member_view((await act(client, alice, dynamic_id, "seen")).json(), alice)
    assert both["saw_red_at"] == alices["saw_red_at"] and both["saw_yellow_at"] is not None
    assert (await inbox(client, bob))["items"][0]["data"]["signals"] == ["yellow"]

    # Lifting the flags takes the answer with them.
    assert (await act(client, bob, dynamic_id, "resume")).status_code == 200
    cleared = member_view(await read_dynamic(client, bob, dynamic_id), alice)
    assert cleared["saw_red_at"] is None and cleared["saw_yellow_at"] is None
    assert cleared["saw_note"] is None
    stored = await stored_membership(app, dynamic_id, alice)
    assert stored.saw_note is None


async def test_i_see_you_by_an_outsider_bad_input_and_after_the_end(
    client: httpx.AsyncClient, alice: Member, bob: Member, eve: Member, dynamic_id: str
) -> None:
    assert (await act(client, bob, dynamic_id, "yellow")).status_code == 200
    assert (await act(client, eve, dynamic_id, "seen")).status_code == 404
    assert (await act(client, alice, str(uuid.uuid4()), "seen")).status_code == 404
    for bad in ({"note": "x" * 501}, {"note": 5}, {"feeling": "ok"}):
        refused = await act(client, alice, dynamic_id, "seen", bad)
        assert refused.status_code == 422, bad
    assert member_view(await read_dynamic(client, bob, dynamic_id), alice)["saw_yellow_at"] is None
    assert (await act(client, alice, dynamic_id, "leave")).status_code == 200
    assert error_code(await act(client, alice, dynamic_id, "seen")) == "dynamic_ended"


async def test_i_see_you_from_both_at_once_is_one_answer(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    assert (await act(client, bob, dynamic_id, "red")).status_code == 200
    answers = await asyncio.gather(*(act(client, alice, dynamic_id, "seen") for _ in range(4)))
    assert {a.status_code for a in answers} == {200}
    assert (await kinds(client, bob)).count("seen") == 1


async def test_red_from_two_devices_at_once_is_one_red(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    answers = await asyncio.gather(*(act(client, alice, dynamic_id, "red") for _ in range(4)))
    assert {a.status_code for a in answers} == {200}
    assert len({member_view(a.json(), alice)["red_at"] for a in answers}) == 1
    assert (await kinds(client, bob)).count("red") == 1
