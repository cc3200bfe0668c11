"""The home screen in one call: GET /api/dynamics/{id}/today, on both databases.

The dynamic's state, each member's latest check-in, open needs (gone once answered "done"),
today's scheduled protocol moments in each performer's own local day with their done state,
the balance verdict (the same as GET balance's) and the caller's unread count.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from tests.helpers import Member, error_code, pair, register


def today_url(dynamic_id: str) -> str:
    return f"/api/dynamics/{dynamic_id}/today"


async def today(client: httpx.AsyncClient, member: Member, dynamic_id: str) -> dict[str, Any]:
    response = await client.get(today_url(dynamic_id), headers=member.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def check_in(
    client: httpx.AsyncClient, member: Member, dynamic_id: str, **body: Any
) -> dict[str, Any]:
    body.setdefault("mood", 3)
    response = await client.post(
        f"/api/dynamics/{dynamic_id}/checkins", json=body, headers=member.headers
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def answer(client: httpx.AsyncClient, member: Member, checkin_id: str, kind: str) -> None:
    response = await client.post(
        f"/api/checkins/{checkin_id}/responses", json={"kind": kind}, headers=member.headers
    )
    assert response.status_code == 201, response.text


async def active_protocol(
    client: httpx.AsyncClient,
    proposer: Member,
    partner: Member,
    dynamic_id: str,
    *,
    performers: list[Member],
    times: list[str],
    weekdays: list[int] | None = None,
    title: str = "Check on each other",
) -> str:
    proposed = await client.post(
        f"/api/dynamics/{dynamic_id}/protocols",
        json={
            "title": title,
            "description": "",
            "kind": "ritual",
            "performer_ids": [p.id for p in performers],
            "schedule": {
                "times": times,
                "weekdays": list(range(7)) if weekdays is None else weekdays,
            },
            "review_on": None,
        },
        headers=proposer.headers,
    )
    assert proposed.status_code == 201, proposed.text
    pid = str(proposed.json()["id"])
    agreed = await client.post(
        f"/api/protocols/{pid}/agree",
        json={"version": proposed.json()["version"]},
        headers=partner.headers,
    )
    assert agreed.status_code == 200, agreed.text
    assert agreed.json()["status"] == "active"
    return pid


async def complete(client: httpx.AsyncClient, member: Member, pid: str) -> None:
    response = await client.post(
        f"/api/protocols/{pid}/completions", json={}, headers=member.headers
    )
    assert response.status_code == 201, response.text


def ordered(*members: Member) -> list[Member]:
    return sorted(members, key=lambda m: uuid.UUID(m.id))


# --- state and check-ins ------------------------------------------------------------------------


async def test_an_empty_day(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    body = await today(client, bob, dynamic_id)
    assert body["dynamic"]["id"] == dynamic_id
    assert body["dynamic"]["state"] == "active"
    assert {m["user_id"] for m in body["dynamic"]["members"]} == {alice.id, bob.id}
    assert body["latest_checkins"] == []
    assert body["open_needs"] == []
    assert body["occurrences"] == []
    assert body["balance"]["verdict"] == "not_enough_data"
    assert body["balance"]["reasons"]
    assert body["unread_notifications"] == 0
    # Alice invited; Bob's accepting told her.
    assert (await today(client, alice, dynamic_id))["unread_notifications"] == 1


async def test_latest_check_in_of_each_member(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    now = datetime.now(UTC)
    await check_in(
        client, alice, dynamic_id, mood=2, occurred_at=(now - timedelta(hours=5)).isoformat()
    )
    alice_latest = await check_in(
        client, alice, dynamic_id, mood=4, occurred_at=(now - timedelta(hours=1)).isoformat()
    )
    # Sent later, but it happened earlier: the latest is the one that happened last.
    await check_in(
        client, alice, dynamic_id, mood=1, occurred_at=(now - timedelta(days=2)).isoformat()
    )
    bob_latest = await check_in(client, bob, dynamic_id, mood=5, note="Good day")

    for member in (alice, bob):
        body = await today(client, member, dynamic_id)
        by_user = {c["user_id"]: c for c in body["latest_checkins"]}
        assert by_user == {alice.id: alice_latest, bob.id: bob_latest}
        # In member-id order, the same for both.
        assert [c["user_id"] for c in body["latest_checkins"]] == [
            m.id for m in ordered(alice, bob)
        ]


async def test_latest_check_in_from_before_the_balance_window(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    """Home reads one window of check-ins (the balance's 28 days); a member quiet for longer
    still shows their latest, and a check-in dated a few minutes ahead counts as the latest."""
    now = datetime.now(UTC)
    bob_latest = await check_in(
        client,
        bob,
        dynamic_id,
        mood=2,
        occurred_at=(now - timedelta(days=29, hours=12)).isoformat(),
    )
    await check_in(
        client,
        bob,
        dynamic_id,
        mood=4,
        occurred_at=(now - timedelta(days=29, hours=20)).isoformat(),
    )
    await check_in(client, alice, dynamic_id, mood=3)
    alice_latest = await check_in(
        client, alice, dynamic_id, mood=5, occurred_at=(now + timedelta(minutes=4)).isoformat()
    )
    for member in (alice, bob):
        body = await today(client, member, dynamic_id)
        by_user = {c["user_id"]: c for c in body["latest_checkins"]}
        assert by_user == {alice.id: alice_latest, bob.id: bob_latest}


async def test_only_one_member_checked_in(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    made = await check_in(client, bob, dynamic_id)
    for member in (alice, bob):
        assert (await today(client, member, dynamic_id))["latest_checkins"] == [made]


async def test_open_needs_disappear_when_answered_done(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    now = datetime.now(UTC)
    hers = await check_in(
        client,
        alice,
        dynamic_id,
        needs=["reassurance", "Tea in bed"],
        occurred_at=(now - timedelta(hours=2)).isoformat(),
    )
    his = await check_in(
        client, bob, dynamic_id, needs=["space"], occurred_at=(now - timedelta(hours=1)).isoformat()
    )
    await check_in(client, bob, dynamic_id)  # no needs: nothing open
    # Older than a week: no longer on the home screen.
    await check_in(
        client, alice, dynamic_id, needs=["play"], occurred_at=(now - timedelta(days=8)).isoformat()
    )

    def needs_of(body: dict[str, Any]) -> list[tuple[str, list[str], str | None]]:
        return [(n["checkin_id"], n["needs"], n["response_kind"]) for n in body["open_needs"]]

    for member in (alice, bob):
        body = await today(client, member, dynamic_id)
        # Newest first.
        assert needs_of(body) == [
            (his["id"], ["space"], None),
            (hers["id"], ["reassurance", "Tea in bed"], None),
        ]
        assert {n["user_id"] for n in body["open_needs"]} == {alice.id, bob.id}

    await answer(client, bob, hers["id"], "seen")
    await answer(client, bob, hers["id"], "on_it")
    assert needs_of(await today(client, alice, dynamic_id))[1] == (
        hers["id"],
        ["reassurance", "Tea in bed"],
        "on_it",
    )
    await answer(client, bob, hers["id"], "done")
    for member in (alice, bob):
        assert needs_of(await today(client, member, dynamic_id)) == [(his["id"], ["space"], None)]
    await answer(client, alice, his["id"], "done")
    for member in (alice, bob):
        assert (await today(client, member, dynamic_id))["open_needs"] == []


# --- today's protocol moments -------------------------------------------------------------------


async def utc_pair(client: httpx.AsyncClient) -> tuple[Member, Member, str]:
    ann = await register(client, "Ann", timezone="UTC")
    ben = await register(client, "Ben", timezone="UTC")
    return ann, ben, await pair(client, ann, ben)


TIMES = ["00:00", "06:30", "12:00", "18:15", "23:59"]


async def test_todays_occurrences_and_their_done_state(client: httpx.AsyncClient) -> None:
    ann, ben, dynamic_id = await utc_pair(client)
    pid = await active_protocol(client, ann, ben, dynamic_id, performers=[ben], times=TIMES)
    today_utc = datetime.now(UTC).date()
    expected_at = [
        datetime.combine(today_utc, datetime.strptime(t, "%H:%M").time(), UTC) for t in TIMES
    ]

    def moments(body: dict[str, Any]) -> list[tuple[datetime, str, bool]]:
        return [
            (datetime.fromisoformat(o["at"]), o["local_time"], o["done"])
            for o in body["occurrences"]
        ]

    for member in (ann, ben):
        body = await today(client, member, dynamic_id)
        assert moments(body) == [(at, t, False) for at, t in zip(expected_at, TIMES, strict=True)]
        for o in body["occurrences"]:
            assert o["protocol_id"] == pid
            assert o["performer_id"] == ben.id
            assert o["title"] == "Check on each other"

    await complete(client, ben, pid)
    for member in (ann, ben):
        assert [o["done"] for o in (await today(client, member, dynamic_id))["occurrences"]] == [
            True,
            False,
            False,
            False,
            False,
        ]
    await complete(client, ben, pid)
    body = await today(client, ann, dynamic_id)
    assert [o["done"] for o in body["occurrences"]] == [True, True, False, False, False]


async def test_nothing_is_due_while_a_red_stands(client: httpx.AsyncClient) -> None:
    ann, ben, dynamic_id = await utc_pair(client)
    await active_protocol(client, ann, ben, dynamic_id, performers=[ben], times=TIMES)
    assert len((await today(client, ann, dynamic_id))["occurrences"]) == len(TIMES)
    red = await client.post(f"/api/dynamics/{dynamic_id}/red", json={}, headers=ann.headers)
    assert red.status_code == 200
    for member in (ann, ben):
        assert (await today(client, member, dynamic_id))["occurrences"] == []
    resumed = await client.post(f"/api/dynamics/{dynamic_id}/resume", headers=ann.headers)
    assert resumed.status_code == 200
    assert len((await today(client, ben, dynamic_id))["occurrences"]) == len(TIMES)


async def test_only_active_scheduled_protocols_due_today(client: httpx.AsyncClient) -> None:
    ann, ben, dynamic_id = await utc_pair(client)
    weekday = datetime.now(UTC).weekday()
    due = await active_protocol(
        client, ann, ben, dynamic_id, performers=[ann, ben], times=["07:00"], title="Due"
    )
    await active_protocol(
        client,
        ann,
        ben,
        dynamic_id,
        performers=[ann],
        times=["08:00"],
        weekdays=[d for d in range(7) if d != weekday],
        title="Not today",
    )
    # Proposed only: not agreed, not due.
    proposed = await client.post(
        f"/api/dynamics/{dynamic_id}/protocols",
        json={
            "title": "Proposed",
            "description": "",
            "kind": "ritual",
            "performer_ids": [ben.id],
            "schedule": {"times": ["09:00"], "weekdays": list(range(7))},
            "review_on": None,
        },
        headers=ann.headers,
    )
    assert proposed.status_code == 201
    # Active, without a schedule: nothing to show at a time.
    unscheduled = await client.post(
        f"/api/dynamics/{dynamic_id}/protocols",
        json={
            "title": "Unscheduled",
            "description": "",
            "kind": "rule",
            "performer_ids": [ben.id],
            "schedule": None,
            "review_on": None,
        },
        headers=ann.headers,
    )
    assert unscheduled.status_code == 201
    agreed = await client.post(
        f"/api/protocols/{unscheduled.json()['id']}/agree",
        json={"version": unscheduled.json()["version"]},
        headers=ben.headers,
    )
    assert agreed.status_code == 200

    body = await today(client, ben, dynamic_id)
    # One moment per performer of the due protocol, each with their own done state.
    assert {(o["protocol_id"], o["performer_id"]) for o in body["occurrences"]} == {
        (due, ann.id),
        (due, ben.id),
    }
    await complete(client, ben, due)
    body = await today(client, ann, dynamic_id)
    done = {o["performer_id"]: o["done"] for o in body["occurrences"]}
    assert done == {ann.id: False, ben.id: True}

    # Consent withdrawn: the protocol is suspended and is no longer due.
    withdrawn = await client.post(f"/api/protocols/{due}/withdraw", json={}, headers=ann.headers)
    assert withdrawn.status_code == 200, withdrawn.text
    assert (await today(client, ann, dynamic_id))["occurrences"] == []


async def test_each_performer_has_their_own_local_day(client: httpx.AsyncClient) -> None:
    """UTC+14 and UTC-11: their local days differ by a whole day; each sees 09:00 of theirs."""
    east = await register(client, "East", timezone="Pacific/Kiritimati")
    west = await register(client, "West", timezone="Pacific/Pago_Pago")
    dynamic_id = await pair(client, east, west)
    pid = await active_protocol(
        client, east, west, dynamic_id, performers=[east, west], times=["09:00"]
    )
    now = datetime.now(UTC)
    body = await today(client, east, dynamic_id)
    assert body == await today(client, east, dynamic_id)
    by_performer = {o["performer_id"]: o for o in body["occurrences"]}
    assert set(by_performer) == {east.id, west.id}
    for member, zone in ((east, "Pacific/Kiritimati"), (west, "Pacific/Pago_Pago")):
        o = by_performer[member.id]
        local = datetime.fromisoformat(o["at"]).astimezone(ZoneInfo(zone))
        assert o["protocol_id"] == pid
        assert o["local_time"] == "09:00"
        assert (local.hour, local.minute) == (9, 0)
        assert local.date() == now.astimezone(ZoneInfo(zone)).date()
    # Sorted by time.
    ats = [o["at"] for o in body["occurrences"]]
    assert ats == sorted(ats, key=datetime.fromisoformat)


# --- balance, unread, state ---------------------------------------------------------------------


async def test_the_verdict_is_the_balance_verdict(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    async def same() -> str:
        balance = await client.get(f"/api/dynamics/{dynamic_id}/balance", headers=alice.headers)
        assert balance.status_code == 200
        for member in (alice, bob):
            summary = (await today(client, member, dynamic_id))["balance"]
            assert summary == {
                "verdict": balance.json()["verdict"],
                "reasons": balance.json()["reasons"],
            }
        return str(balance.json()["verdict"])

    assert await same() == "not_enough_data"
    for hours in (3, 2):
        at = (datetime.now(UTC) - timedelta(hours=hours)).isoformat()
        await check_in(client, alice, dynamic_id, mood=4, gave=3, received=3, occurred_at=at)
        await check_in(client, bob, dynamic_id, mood=4, gave=3, received=3, occurred_at=at)
    assert await same() == "balanced"
    for _ in range(2):
        await check_in(client, alice, dynamic_id, mood=3, gave=5, received=1, deal=-3)
        await check_in(client, bob, dynamic_id, mood=4, gave=1, received=5, deal=3)
    assert await same() == "imbalanced"


async def test_unread_is_the_callers_own(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    read = await client.post("/api/notifications/read", json={"all": True}, headers=alice.headers)
    assert read.status_code == 200
    await check_in(client, alice, dynamic_id)
    await check_in(client, alice, dynamic_id)
    assert (await today(client, bob, dynamic_id))["unread_notifications"] == 2
    assert (await today(client, alice, dynamic_id))["unread_notifications"] == 0
    read = await client.post("/api/notifications/read", json={"all": True}, headers=bob.headers)
    assert read.status_code == 200
    assert (await today(client, bob, dynamic_id))["unread_notifications"] == 0


async def test_paused_and_ended(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    red = await client.post(f"/api/dynamics/{dynamic_id}/red", json={}, headers=bob.headers)
    assert red.status_code == 200
    body = await today(client, alice, dynamic_id)
    assert body["dynamic"]["state"] == "paused"
    made = await check_in(client, alice, dynamic_id, needs=["reassurance"])
    body = await today(client, bob, dynamic_id)
    assert body["latest_checkins"] == [made]
    assert [n["checkin_id"] for n in body["open_needs"]] == [made["id"]]
    left = await client.post(f"/api/dynamics/{dynamic_id}/leave", json={}, headers=alice.headers)
    assert left.status_code == 200
    for member in (alice, bob):
        body = await today(client, member, dynamic_id)
        assert body["dynamic"]["state"] == "ended"
        assert body["latest_checkins"] == [made]


async def test_the_outsider_gets_a_404(
    client: httpx.AsyncClient, alice: Member, eve: Member, dynamic_id: str
) -> None:
    await check_in(client, alice, dynamic_id, needs=["praise"], note="private")
    response = await client.get(today_url(dynamic_id), headers=eve.headers)
    assert response.status_code == 404
    assert error_code(response) == "not_found"
    assert "private" not in response.text
    missing = await client.get(today_url(str(uuid.uuid4())), headers=alice.headers)
    assert missing.status_code == 404
    assert error_code(missing) == "not_found"
    assert (await client.get(today_url("not-a-uuid"), headers=alice.headers)).status_code == 422
    assert (await client.get(today_url(dynamic_id))).status_code == 401
