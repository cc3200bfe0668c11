"""What waits for a person, and needs that end, on both databases.

- The asker closes their own open needs (met / not needed): who may, what is settled already
  (409 naming why), bad input (422 naming the field), the sync feed, and what the balance makes
  of it (met counts as answered, not needed no longer counts).
- Needs neither answered nor closed expire 7 days on: they leave home and count as not answered.
- Home's one list (`waiting` in GET today): the partner's red or yellow until seen, proposals
  until agreed, the partner's completions until acknowledged, the partner's open needs with
  their check-in and expiry; `GET /api/waiting` counts it per dynamic for the switcher.
- The first minute after pairing is marked done per member (POST …/introduced).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app.notifications.models import Notification
from app.reminders.messages import screen_for
from tests.helpers import Member, check_in, error_code, pair, register


async def close(
    client: httpx.AsyncClient, member: Member, checkin_id: str, reason: Any = "met"
) -> httpx.Response:
    return await client.post(
        f"/api/checkins/{checkin_id}/close", json={"reason": reason}, headers=member.headers
    )


async def today(client: httpx.AsyncClient, member: Member, dynamic_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/dynamics/{dynamic_id}/today", headers=member.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def balance_of(client: httpx.AsyncClient, member: Member, dynamic_id: str) -> dict[str, Any]:
    response = await client.get(f"/api/dynamics/{dynamic_id}/balance", headers=member.headers)
    assert response.status_code == 200, response.text
    return {m["user_id"]: m for m in response.json()["members"]}


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


# --- needs that end -----------------------------------------------------------------------------


async def test_the_asker_closes_their_needs(
    client: httpx.AsyncClient, alice: Member, bob: Member, eve: Member, dynamic_id: str
) -> None:
    made = await check_in(client, alice, dynamic_id, needs=["praise", "rest"])
    assert made["needs_closed_at"] is None and made["needs_closed_reason"] is None
    expires = datetime.fromisoformat(made["needs_expire_at"])
    assert expires - datetime.fromisoformat(made["occurred_at"]) == timedelta(days=7)
    # Only the asker: the partner answers needs, the outsider finds nothing.
    by_partner = await close(client, bob, made["id"])
    assert by_partner.status_code == 403
    assert error_code(by_partner) == "not_your_need"
    assert (await close(client, eve, made["id"])).status_code == 404
    closed = await close(client, alice, made["id"], "not_needed")
    assert closed.status_code == 200, closed.text
    assert closed.json()["needs_closed_reason"] == "not_needed"
    assert closed.json()["needs_closed_at"] is not None
    again = await close(client, alice, made["id"], "met")
    assert again.status_code == 409
    assert error_code(again) == "needs_closed"
    # Gone from home for both, and the partner's phone learns it through the sync feed.
    for member in (alice, bob):
        body = await today(client, member, dynamic_id)
        assert body["open_needs"] == []
        assert not [w for w in body["waiting"] if w["kind"] == "need"]
    feed = (await client.get("/api/sync", headers=bob.headers)).json()["changes"]
    mine = [c for c in feed if c["entity"] == "checkin" and c["id"] == made["id"]]
    assert mine[-1]["data"]["needs_closed_reason"] == "not_needed"


async def test_what_is_settled_cannot_be_closed(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    nothing = await check_in(client, alice, dynamic_id)
    response = await close(client, alice, nothing["id"])
    assert (response.status_code, error_code(response)) == (409, "no_needs")
    answered = await check_in(client, alice, dynamic_id, needs=["talk"])
    done = await client.post(
        f"/api/checkins/{answered['id']}/responses", json={"kind": "done"}, headers=bob.headers
    )
    assert done.status_code == 201
    response = await close(client, alice, answered["id"])
    assert (response.status_code, error_code(response)) == (409, "needs_answered")
    old = await check_in(client, alice, dynamic_id, needs=["talk"], occurred_at=ago(days=8))
    response = await close(client, alice, old["id"])
    assert (response.status_code, error_code(response)) == (409, "needs_expired")


@pytest.mark.parametrize("body", [{}, {"reason": "done"}, {"reason": None}, {"reason": 1}])
async def test_closing_needs_a_reason(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str, body: dict[str, Any]
) -> None:
    made = await check_in(client, alice, dynamic_id, needs=["rest"])
    response = await client.post(
        f"/api/checkins/{made['id']}/close", json=body, headers=alice.headers
    )
    assert response.status_code == 422, response.text
    assert "reason" in response.text


async def test_needs_expire_after_seven_days_and_count_as_not_answered(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    fresh = await check_in(client, alice, dynamic_id, needs=["rest"], occurred_at=ago(days=6))
    await check_in(client, alice, dynamic_id, needs=["praise"], occurred_at=ago(days=7, hours=1))
    body = await today(client, bob, dynamic_id)
    assert [n["checkin_id"] for n in body["open_needs"]] == [fresh["id"]]
    [need] = [w for w in body["waiting"] if w["kind"] == "need"]
    assert need["checkin_id"] == fresh["id"]
    assert need["from_user_id"] == alice.id
    assert need["needs"] == ["rest"]
    assert need["expires_at"] == fresh["needs_expire_at"]
    # The expired one still counts: raised, and not answered.
    members = await balance_of(client, bob, dynamic_id)
    assert (members[alice.id]["needs_raised"], members[alice.id]["needs_answered"]) == (2, 0)


async def test_closed_needs_in_the_balance(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    met = await check_in(client, alice, dynamic_id, needs=["praise", "rest"])
    dropped = await check_in(client, alice, dynamic_id, needs=["talk"])
    await check_in(client, alice, dynamic_id, needs=["space"])
    assert (await close(client, alice, met["id"], "met")).status_code == 200
    assert (await close(client, alice, dropped["id"], "not_needed")).status_code == 200
    members = await balance_of(client, alice, dynamic_id)
    # Met: two needs, answered. Not needed: no longer counted. The last one: still open.
    assert (members[alice.id]["needs_raised"], members[alice.id]["needs_answered"]) == (3, 2)


# --- home's one list ----------------------------------------------------------------------------


def kinds(body: dict[str, Any]) -> list[str]:
    return [w["kind"] for w in body["waiting"]]


async def test_what_waits_for_each_partner(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    assert kinds(await today(client, alice, dynamic_id)) == []
    proposed = await client.post(
        f"/api/dynamics/{dynamic_id}/protocols",
        json={
            "title": "Morning message",
            "description": "",
            "kind": "ritual",
            "performer_ids": [bob.id],
            "schedule": None,
            "review_on": None,
        },
        headers=alice.headers,
    )
    assert proposed.status_code == 201
    pid = proposed.json()["id"]
    # The proposal waits for Bob only: Alice agreed by proposing.
    assert kinds(await today(client, alice, dynamic_id)) == []
    [proposal] = (await today(client, bob, dynamic_id))["waiting"]
    assert proposal["kind"] == "proposal"
    assert (proposal["protocol_id"], proposal["version"]) == (pid, 1)
    assert proposal["title"] == "Morning message"
    assert proposal["from_user_id"] == alice.id
    agreed = await client.post(
        f"/api/protocols/{pid}/agree", json={"version": 1}, headers=bob.headers
    )
    assert agreed.status_code == 200
    assert kinds(await today(client, bob, dynamic_id)) == []
    # Bob's completion waits for Alice's acknowledgement.
    done = await client.post(f"/api/protocols/{pid}/completions", json={}, headers=bob.headers)
    assert done.status_code == 201
    [ack] = (await today(client, alice, dynamic_id))["waiting"]
    assert (ack["kind"], ack["completion_id"], ack["title"]) == (
        "acknowledge",
        done.json()["id"],
        "Morning message",
    )
    assert kinds(await today(client, bob, dynamic_id)) == []
    acked = await client.post(
        f"/api/completions/{done.json()['id']}/acknowledge", json={}, headers=alice.headers
    )
    assert acked.status_code == 201
    assert kinds(await today(client, alice, dynamic_id)) == []
    # Alice's needs wait for Bob; her yellow comes first of all until he sees it.
    need = await check_in(client, alice, dynamic_id, needs=["reassurance"])
    yellow = await client.post(f"/api/dynamics/{dynamic_id}/yellow", json={}, headers=alice.headers)
    assert yellow.status_code == 200
    body = await today(client, bob, dynamic_id)
    assert kinds(body) == ["signal", "need"]
    assert body["waiting"][0]["signal"] == "yellow"
    assert body["waiting"][1]["checkin_id"] == need["id"]
    assert kinds(await today(client, alice, dynamic_id)) == []
    counts = (await client.get("/api/waiting", headers=bob.headers)).json()
    assert counts == {"dynamics": [{"dynamic_id": dynamic_id, "count": 2}]}
    seen = await client.post(f"/api/dynamics/{dynamic_id}/seen", json={}, headers=bob.headers)
    assert seen.status_code == 200
    assert kinds(await today(client, bob, dynamic_id)) == ["need"]


async def test_each_dynamic_has_its_own_count(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    carol = await register(client, "Carol")
    other = await pair(client, carol, alice)
    await check_in(client, carol, other, needs=["talk"])
    await check_in(client, carol, other, needs=["rest"])
    await check_in(client, bob, dynamic_id, needs=["praise"])
    counts = (await client.get("/api/waiting", headers=alice.headers)).json()["dynamics"]
    assert {c["dynamic_id"]: c["count"] for c in counts} == {other: 2, dynamic_id: 1}
    # An ended dynamic waits for nothing.
    left = await client.post(f"/api/dynamics/{other}/leave", headers=carol.headers)
    assert left.status_code == 200
    counts = (await client.get("/api/waiting", headers=alice.headers)).json()["dynamics"]
    assert counts == [{"dynamic_id": dynamic_id, "count": 1}]
    assert (await client.get("/api/waiting")).status_code == 401


# --- the first minute ---------------------------------------------------------------------------


async def test_the_first_minute_is_done_once_per_member(
    client: httpx.AsyncClient, alice: Member, bob: Member, eve: Member, dynamic_id: str
) -> None:
    def introduced(body: dict[str, Any]) -> dict[str, Any]:
        return {m["user_id"]: m["introduced_at"] for m in body["members"]}

    url = f"/api/dynamics/{dynamic_id}/introduced"
    first = await client.post(url, headers=alice.headers)
    assert first.status_code == 200, first.text
    marks = introduced(first.json())
    assert marks[alice.id] is not None and marks[bob.id] is None
    again = await client.post(url, headers=alice.headers)
    assert introduced(again.json()) == marks  # the first time is kept
    seen_by_bob = await client.get(f"/api/dynamics/{dynamic_id}", headers=bob.headers)
    assert introduced(seen_by_bob.json())[alice.id] == marks[alice.id]
    assert (await client.post(url, headers=eve.headers)).status_code == 404


def test_a_push_opens_the_dynamic_it_is_about() -> None:
    """Someone with two partners lands in the right dynamic: every notification's link names
    its dynamic (the app makes it the one shown), then the screen."""
    dynamic, protocol = uuid.uuid4(), uuid.uuid4()
    user = uuid.uuid4()

    def link(kind: str, **data: str) -> str:
        return screen_for(Notification(user_id=user, dynamic_id=dynamic, kind=kind, data=data))

    assert link("red") == f"/#/dynamics/{dynamic}/home"
    assert link("partner_checked_in") == f"/#/dynamics/{dynamic}/checkins"
    assert (
        link("protocol_proposed", protocol_id=str(protocol))
        == f"/#/dynamics/{dynamic}/protocol/{protocol}"
    )
    without = Notification(user_id=user, dynamic_id=None, kind="nudge", data={})
    assert screen_for(without) == "/#/home"
