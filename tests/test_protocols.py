"""Protocols negotiated by consent, and their follow-through, through the API.

Proposals, agreement to a named version, declining, renegotiation (If-Match), withdrawal of
consent, retirement, the history, red and an ended dynamic, completions and acknowledgements,
adherence. Every test runs on SQLite and on PostgreSQL; stored state is read back through the
app's own engine, and races are real concurrent requests over the ASGI client.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, update
from sqlmodel import col, select

from app.dynamics.models import DynamicPause
from app.protocols.models import (
    Completion,
    Protocol,
    ProtocolAgreement,
    ProtocolEvent,
    ProtocolVersion,
)
from tests.helpers import Member, error_code, pair, register
from tests.helpers.inbox import kinds, notifications
from tests.helpers.protocols import active_protocol, agree, complete, propose, terms

PARIS = ZoneInfo("Europe/Paris")

# --- helpers ------------------------------------------------------------------------------------


async def read(client: httpx.AsyncClient, member: Member, pid: str) -> dict[str, Any]:
    response = await client.get(f"/api/protocols/{pid}", headers=member.headers)
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == response.json()["etag"]
    data: dict[str, Any] = response.json()
    return data


async def post(
    client: httpx.AsyncClient, member: Member, path: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    return await client.post(path, json=body if body is not None else {}, headers=member.headers)


async def act(
    client: httpx.AsyncClient, member: Member, pid: str, action: str, reason: str | None = None
) -> httpx.Response:
    """POST decline | withdraw | retire on a protocol."""
    body = {"reason": reason} if reason is not None else {}
    return await post(client, member, f"/api/protocols/{pid}/{action}", body)


async def patch(
    client: httpx.AsyncClient,
    member: Member,
    pid: str,
    body: dict[str, Any],
    if_match: str | None,
) -> httpx.Response:
    headers = dict(member.headers)
    if if_match is not None:
        headers["If-Match"] = if_match
    return await client.patch(f"/api/protocols/{pid}", json=body, headers=headers)


async def renegotiate(
    client: httpx.AsyncClient, member: Member, pid: str, body: dict[str, Any]
) -> dict[str, Any]:
    current = await read(client, member, pid)
    response = await patch(client, member, pid, body, current["etag"])
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == response.json()["etag"]
    data: dict[str, Any] = response.json()
    return data


async def suspended_protocol(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> dict[str, Any]:
    active = await active_protocol(client, alice, bob, dynamic_id)
    response = await act(client, bob, active["id"], "withdraw")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    assert data["status"] == "suspended"
    return data


async def dynamic_action(
    client: httpx.AsyncClient, member: Member, dynamic_id: str, action: str
) -> None:
    response = await post(client, member, f"/api/dynamics/{dynamic_id}/{action}")
    assert response.status_code == 200, response.text


async def stored_protocol(app: FastAPI, pid: str) -> Protocol:
    async with app.state.db.reader() as session:
        protocol = await session.get(Protocol, uuid.UUID(pid))
    assert protocol is not None
    return protocol


async def all_agreements(app: FastAPI, pid: str) -> list[ProtocolAgreement]:
    async with app.state.db.reader() as session:
        result = await session.execute(
            select(ProtocolAgreement).where(col(ProtocolAgreement.protocol_id) == uuid.UUID(pid))
        )
        return list(result.scalars())


async def live_agreements(app: FastAPI, pid: str) -> set[tuple[int, str]]:
    return {
        (a.version, str(a.user_id))
        for a in await all_agreements(app, pid)
        if a.withdrawn_at is None
    }


async def count_rows(app: FastAPI, model: Any) -> int:
    async with app.state.db.reader() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def consent_is_intact(app: FastAPI, members: set[str]) -> None:
    """The invariant behind the product: an active protocol's in-force version carries both
    members' standing agreements, and only an active protocol has a version in force."""
    async with app.state.db.reader() as session:
        protocols = list((await session.execute(select(Protocol))).scalars())
        agreements = list(
            (
                await session.execute(
                    select(ProtocolAgreement).where(col(ProtocolAgreement.withdrawn_at).is_(None))
                )
            ).scalars()
        )
    for protocol in protocols:
        assert (protocol.status == "active") == (protocol.in_force_version is not None), protocol
        live = [a for a in agreements if a.protocol_id == protocol.id]
        keys = [(a.version, str(a.user_id)) for a in live]
        assert len(keys) == len(set(keys)), keys  # one standing yes per member and version
        if protocol.status == "active":
            agreed = {str(a.user_id) for a in live if a.version == protocol.in_force_version}
            assert agreed == members, (protocol, keys)


def parse_time(value: str) -> datetime:
    when = datetime.fromisoformat(value)
    assert when.tzinfo is not None, value
    return when


# --- proposing and agreeing ---------------------------------------------------------------------


async def test_propose_and_agree_makes_it_active(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    body = terms(bob, review_on=(date.today() + timedelta(days=30)).isoformat())
    created = await propose(client, alice, dynamic_id, body)
    assert created["status"] == "proposed"
    assert created["version"] == 1
    assert created["agreed_by"] == [alice.id]  # proposing is agreeing
    assert created["pending"] is True
    assert created["in_force"] is None
    assert created["dynamic_id"] == dynamic_id
    assert created["created_by"] == alice.id
    assert created["title"] == "Morning message"
    assert created["kind"] == "ritual"
    assert created["performer_ids"] == [bob.id]
    assert created["schedule"] == {"times": ["08:30"], "weekdays": [0, 1, 2, 3, 4]}
    assert created["review_on"] == body["review_on"]
    assert created["reminders"] is True
    assert "streak" not in str(created)
    pid = created["id"]

    stored = await stored_protocol(app, pid)
    assert stored.status == "proposed" and stored.in_force_version is None
    assert stored.open_version == 1
    assert await live_agreements(app, pid) == {(1, alice.id)}
    bob_notes = [n for n in await notifications(client, bob) if n["kind"] == "protocol_proposed"]
    assert len(bob_notes) == 1
    assert bob_notes[0]["data"]["protocol_id"] == pid
    assert bob_notes[0]["actor_id"] == alice.id
    assert "protocol_proposed" not in await kinds(client, alice)

    # The proposer agreeing again changes nothing.
    again = await agree(client, alice, pid, 1)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "proposed"
    assert await live_agreements(app, pid) == {(1, alice.id)}

    agreed = await agree(client, bob, pid, 1)
    assert agreed.status_code == 200, agreed.text
    assert agreed.headers["etag"] == agreed.json()["etag"]
    view = agreed.json()
    assert view["status"] == "active"
    assert view["pending"] is False
    assert sorted(view["agreed_by"]) == sorted([alice.id, bob.id])
    assert view["in_force"]["number"] == 1
    assert view["in_force"]["title"] == "Morning message"
    assert view["in_force"]["performer_ids"] == [bob.id]
    assert view["etag"] != created["etag"]

    stored = await stored_protocol(app, pid)
    assert stored.status == "active" and stored.in_force_version == 1
    assert stored.open_version is None
    assert await live_agreements(app, pid) == {(1, alice.id), (1, bob.id)}
    alice_kinds = await kinds(client, alice)
    assert "protocol_active" in alice_kinds
    assert "protocol_active" not in await kinds(client, bob)  # the actor is not told

    # Both see the same protocol, in the list too.
    assert await read(client, bob, pid) == await read(client, alice, pid)
    listed = await client.get(f"/api/dynamics/{dynamic_id}/protocols", headers=bob.headers)
    assert listed.status_code == 200
    assert [p["id"] for p in listed.json()["items"]] == [pid]
    assert listed.json()["next_cursor"] is None


async def test_list_filters_by_status_and_pages(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, alice, bob, dynamic_id)
    proposed = [
        (await propose(client, bob, dynamic_id, terms(bob, title=f"P{i}")))["id"] for i in range(3)
    ]
    url = f"/api/dynamics/{dynamic_id}/protocols"
    only_active = await client.get(url, params={"status": "active"}, headers=alice.headers)
    assert [p["id"] for p in only_active.json()["items"]] == [active["id"]]
    only_proposed = await client.get(url, params={"status": "proposed"}, headers=alice.headers)
    assert {p["id"] for p in only_proposed.json()["items"]} == set(proposed)
    bad = await client.get(url, params={"status": "sleeping"}, headers=alice.headers)
    assert bad.status_code == 422

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = await client.get(url, params=params, headers=alice.headers)
        assert page.status_code == 200, page.text
        seen += [p["id"] for p in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted([active["id"], *proposed])
    assert seen[-1] == active["id"]  # newest first


async def test_agree_names_the_version(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    created = await propose(client, alice, dynamic_id, terms(bob))
    pid = created["id"]
    changed = await renegotiate(client, alice, pid, {"title": "Evening message"})
    assert changed["version"] == 2
    assert changed["status"] == "proposed"
    assert changed["agreed_by"] == [alice.id]

    stale = await agree(client, bob, pid, 1)
    assert stale.status_code == 409
    assert error_code(stale) == "stale_version"
    future = await agree(client, bob, pid, 7)
    assert future.status_code == 409
    assert error_code(future) == "stale_version"
    assert (await stored_protocol(app, pid)).status == "proposed"
    assert await live_agreements(app, pid) == {(2, alice.id)}

    for bad in ({}, {"version": 0}, {"version": "two"}, {"version": 2, "extra": 1}):
        refused = await post(client, bob, f"/api/protocols/{pid}/agree", bad)
        assert refused.status_code == 422, (bad, refused.text)
        assert error_code(refused) == "validation_error"

    ok = await agree(client, bob, pid, 2)
    assert ok.status_code == 200, ok.text
    assert ok.json()["status"] == "active"
    assert ok.json()["in_force"]["title"] == "Evening message"

    nothing = await agree(client, bob, pid, 2)
    assert nothing.status_code == 409
    assert error_code(nothing) == "nothing_to_agree"


async def test_decline_a_proposal(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    created = await propose(client, alice, dynamic_id, terms(bob))
    pid = created["id"]
    own = await act(client, alice, pid, "decline")
    assert own.status_code == 409
    assert error_code(own) == "already_agreed"

    declined = await act(client, bob, pid, "decline", reason="not like this")
    assert declined.status_code == 200, declined.text
    assert declined.headers["etag"] == declined.json()["etag"]
    assert declined.json()["status"] == "declined"
    assert declined.json()["pending"] is False
    assert declined.json()["agreed_by"] == []
    assert (await stored_protocol(app, pid)).status == "declined"
    assert await live_agreements(app, pid) == set()
    notes = [n for n in await notifications(client, alice) if n["kind"] == "protocol_declined"]
    assert len(notes) == 1 and notes[0]["data"]["protocol_id"] == pid
    assert notes[0]["actor_id"] == bob.id

    # A declined protocol is final.
    view = await read(client, alice, pid)
    for response, code in (
        (await agree(client, bob, pid, 1), "protocol_closed"),
        (await act(client, bob, pid, "decline"), "protocol_closed"),
        (await act(client, alice, pid, "withdraw"), "protocol_closed"),
        (await act(client, alice, pid, "retire"), "protocol_closed"),
        (await patch(client, alice, pid, {"title": "Again"}, view["etag"]), "protocol_closed"),
        (await complete(client, bob, pid), "protocol_not_active"),
    ):
        assert response.status_code == 409, response.text
        assert error_code(response) == code
    assert (await stored_protocol(app, pid)).status == "declined"


async def test_reason_bodies_are_optional(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    created = await propose(client, alice, dynamic_id, terms(bob))
    pid = created["id"]
    nobody = await client.post(f"/api/protocols/{pid}/withdraw", headers=alice.headers)
    assert nobody.status_code == 200, nobody.text
    assert nobody.json()["agreed_by"] == []
    too_long = await act(client, bob, pid, "retire", reason="x" * 501)
    assert too_long.status_code == 422
    extra = await post(client, bob, f"/api/protocols/{pid}/retire", {"why": "no"})
    assert extra.status_code == 422
    retired = await client.post(f"/api/protocols/{pid}/retire", headers=bob.headers)
    assert retired.status_code == 200 and retired.json()["status"] == "retired"


async def test_decline_needs_something_to_decline(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, alice, bob, dynamic_id)
    for member in (alice, bob):
        refused = await act(client, member, active["id"], "decline")
        assert refused.status_code == 409
        assert error_code(refused) == "nothing_to_decline"
    # Once the proposer withdrew their own yes, nobody's proposal is waiting.
    created = await propose(client, alice, dynamic_id, terms(bob, title="Other"))
    assert (await act(client, alice, created["id"], "withdraw")).status_code == 200
    refused = await act(client, bob, created["id"], "decline")
    assert refused.status_code == 409
    assert error_code(refused) == "nothing_to_decline"


@pytest.mark.parametrize("who", ["alice", "bob"])
async def test_either_member_retires(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Member,
    bob: Member,
    dynamic_id: str,
    who: str,
) -> None:
    active = await active_protocol(client, alice, bob, dynamic_id, terms(alice, bob))
    pid = active["id"]
    retirer, other = (alice, bob) if who == "alice" else (bob, alice)
    retired = await act(client, retirer, pid, "retire", reason="served its purpose")
    assert retired.status_code == 200, retired.text
    view = retired.json()
    assert view["status"] == "retired"
    assert view["in_force"] is None
    assert view["pending"] is False
    assert (await stored_protocol(app, pid)).status == "retired"
    assert await live_agreements(app, pid) == set()
    assert "protocol_retired" in await kinds(client, other)
    assert "protocol_retired" not in await kinds(client, retirer)
    for member in (alice, bob):
        done = await complete(client, member, pid)
        assert done.status_code == 409
        assert error_code(done) == "protocol_not_active"
    again = await act(client, other, pid, "retire")
    assert again.status_code == 409
    assert error_code(again) == "protocol_closed"
    events = (await client.get(f"/api/protocols/{pid}/history", headers=other.headers)).json()[
        "events"
    ]
    assert events[-1]["action"] == "retired"
    assert events[-1]["actor_id"] == retirer.id
    assert events[-1]["reason"] == "served its purpose"


async def test_retire_a_proposal(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    created = await propose(client, alice, dynamic_id, terms(bob))
    retired = await act(client, bob, created["id"], "retire")
    assert retired.status_code == 200, retired.text
    assert retired.json()["status"] == "retired"
    late = await agree(client, bob, created["id"], 1)
    assert late.status_code == 409
    assert error_code(late) == "protocol_closed"


async def test_propose_is_idempotent(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    headers = alice.idem()
    url = f"/api/dynamics/{dynamic_id}/protocols"
    first = await client.post(url, json=terms(bob), headers=headers)
    second = await client.post(url, json=terms(bob), headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["etag"] == first.headers["etag"]
    assert await count_rows(app, Protocol) == 1
    assert [k for k in await kinds(client, bob) if k == "protocol_proposed"] == [
        "protocol_proposed"
    ]
    different = await client.post(url, json=terms(bob, title="Else"), headers=headers)
    assert different.status_code == 422
    assert error_code(different) == "idempotency_key_reused"


# --- validation ---------------------------------------------------------------------------------


def _invalid_bodies(bob: Member, alice: Member) -> list[tuple[str, dict[str, Any]]]:
    base = terms(bob)
    return [
        ("empty title", {**base, "title": ""}),
        ("blank title", {**base, "title": "   "}),
        ("title too long", {**base, "title": "x" * 121}),
        ("two-line title", {**base, "title": "a\nb"}),
        ("no title", {k: v for k, v in base.items() if k != "title"}),
        ("unknown kind", {**base, "kind": "punishment"}),
        ("no kind", {k: v for k, v in base.items() if k != "kind"}),
        ("no performers", {**base, "performer_ids": []}),
        ("duplicate performers", {**base, "performer_ids": [bob.id, bob.id]}),
        ("three performers", {**base, "performer_ids": [bob.id, alice.id, str(uuid.uuid4())]}),
        ("performer not a uuid", {**base, "performer_ids": ["bob"]}),
        ("time not HH:MM", {**base, "schedule": {"times": ["8:30"]}}),
        ("time 24:00", {**base, "schedule": {"times": ["24:00"]}}),
        ("time with seconds", {**base, "schedule": {"times": ["08:30:00"]}}),
        ("time as a number", {**base, "schedule": {"times": [830]}}),
        ("time with a newline", {**base, "schedule": {"times": ["08:30\n"]}}),
        ("time in other digits", {**base, "schedule": {"times": ["0\u0668:30"]}}),
        ("same time twice, disguised", {**base, "schedule": {"times": ["08:30", "08:30\n"]}}),
        ("duplicate times", {**base, "schedule": {"times": ["08:30", "08:30"]}}),
        ("no times", {**base, "schedule": {"times": []}}),
        ("weekday 7", {**base, "schedule": {"times": ["08:30"], "weekdays": [7]}}),
        ("weekday -1", {**base, "schedule": {"times": ["08:30"], "weekdays": [-1]}}),
        ("duplicate weekdays", {**base, "schedule": {"times": ["08:30"], "weekdays": [1, 1]}}),
        ("no weekdays", {**base, "schedule": {"times": ["08:30"], "weekdays": []}}),
        ("extra schedule field", {**base, "schedule": {"times": ["08:30"], "tz": "UTC"}}),
        ("extra field", {**base, "status": "active"}),
        ("review_on not a date", {**base, "review_on": "soon"}),
        ("description too long", {**base, "description": "x" * 4001}),
        ("control character", {**base, "title": "bad\x00title"}),
    ]


async def test_propose_validation(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    url = f"/api/dynamics/{dynamic_id}/protocols"
    for label, body in _invalid_bodies(bob, alice):
        response = await client.post(url, json=body, headers=alice.headers)
        assert response.status_code == 422, (label, response.text)
        assert error_code(response) == "validation_error", label
    assert await count_rows(app, Protocol) == 0


async def test_propose_domain_validation(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Member,
    bob: Member,
    eve: Member,
    dynamic_id: str,
) -> None:
    url = f"/api/dynamics/{dynamic_id}/protocols"
    yesterday = (datetime.now(PARIS).date() - timedelta(days=1)).isoformat()
    for body, code in (
        (terms(eve), "performer_not_member"),
        (terms(bob, performer_ids=[bob.id, eve.id]), "performer_not_member"),
        (terms(bob, performer_ids=[str(uuid.uuid4())]), "performer_not_member"),
        (terms(bob, review_on=yesterday), "review_on_past"),
        (terms(bob, review_on="2100-01-01"), "review_on_too_far"),
    ):
        response = await client.post(url, json=body, headers=alice.headers)
        assert response.status_code == 422, response.text
        assert error_code(response) == code
    assert await count_rows(app, Protocol) == 0
    assert await count_rows(app, ProtocolVersion) == 0

    # What is valid: both performers, no schedule, every weekday by default, review today.
    today = datetime.now(PARIS).date().isoformat()
    both = await propose(
        client,
        alice,
        dynamic_id,
        terms(bob, alice, schedule={"times": ["21:00", "07:15"]}, review_on=today),
    )
    assert both["performer_ids"] == sorted([alice.id, bob.id])
    assert both["schedule"] == {"times": ["07:15", "21:00"], "weekdays": list(range(7))}
    free = await propose(client, alice, dynamic_id, terms(bob, schedule=None, kind="care"))
    assert free["schedule"] is None
    assert free["adherence"] is None
    trimmed = await propose(client, alice, dynamic_id, terms(bob, title="  Kneel  "))
    assert trimmed["title"] == "Kneel"
    long_title = await propose(client, alice, dynamic_id, terms(bob, title="t" * 120))
    assert long_title["title"] == "t" * 120
    for kind in ("ritual", "rule", "task", "communication", "care"):
        made = await propose(client, bob, dynamic_id, terms(alice, kind=kind))
        assert made["kind"] == kind


async def test_patch_validation(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Member,
    bob: Member,
    eve: Member,
    dynamic_id: str,
) -> None:
    created = await propose(client, alice, dynamic_id, terms(bob))
    pid = created["id"]
    etag = created["etag"]
    invalid: list[dict[str, Any]] = [
        {},
        {"title": ""},
        {"title": "x" * 121},
        {"title": None},
        {"kind": None},
        {"performer_ids": None},
        {"kind": "punishment"},
        {"performer_ids": [bob.id, bob.id]},
        {"performer_ids": [alice.id, bob.id, eve.id]},
        {"schedule": {"times": ["25:00"]}},
        {"schedule": {"times": ["08:00", "08:00"]}},
        {"schedule": {"times": ["08:00"], "weekdays": [9]}},
        {"status": "active"},
        {"version": 3},
    ]
    for body in invalid:
        response = await patch(client, alice, pid, body, etag)
        assert response.status_code == 422, (body, response.text)
        assert error_code(response) == "validation_error", body

    unchanged: list[dict[str, Any]] = [
        {"title": "Morning message"},
        {"title": "  Morning message "},
        {"title": "Morning message", "kind": "ritual"},
        {"performer_ids": [bob.id]},
        {"schedule": {"weekdays": [4, 3, 2, 1, 0], "times": ["08:30"]}},
        {"review_on": None},
        {"reminders": True},
    ]
    for body in unchanged:
        response = await patch(client, alice, pid, body, etag)
        assert response.status_code == 422, (body, response.text)
        assert error_code(response) == "no_change", body

    not_member = await patch(client, alice, pid, {"performer_ids": [eve.id]}, etag)
    assert not_member.status_code == 422
    assert error_code(not_member) == "performer_not_member"
    yesterday = (datetime.now(PARIS).date() - timedelta(days=1)).isoformat()
    past = await patch(client, alice, pid, {"review_on": yesterday}, etag)
    assert past.status_code == 422
    assert error_code(past) == "review_on_past"

    # Nothing was stored by any of these.
    stored = await stored_protocol(app, pid)
    assert stored.version == 1 and stored.revision == 1
    assert await count_rows(app, ProtocolVersion) == 1
    assert (await read(client, alice, pid))["etag"] == etag


# --- ETag and If-Match --------------------------------------------------------------------------


async def test_if_match_is_required_and_checked(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    created = await propose(client, alice, dynamic_id, terms(bob))
    pid = created["id"]
    first_etag = created["etag"]
    assert first_etag.startswith('"') and first_etag.endswith('"')

    missing = await patch(client, bob, pid, {"title": "Changed"}, None)
    assert missing.status_code == 428
    assert error_code(missing) == "if_match_required"

    for wrong in ('"p999"', "p1", '"nope"', ""):
        response = await patch(client, bob, pid, {"title": "Changed"}, wrong)
        assert response.status_code in (412, 428), (wrong, response.text)
        if wrong:
            assert response.status_code == 412
            assert error_code(response) == "etag_mismatch"

    ok = await patch(client, bob, pid, {"title": "Changed"}, first_etag)
    assert ok.status_code == 200, ok.text
    second_etag = ok.json()["etag"]
    assert ok.headers["etag"] == second_etag != first_etag

    # The ETag is now stale: a lost update is refused, never silently applied.
    stale = await patch(client, alice, pid, {"title": "Mine"}, first_etag)
    assert stale.status_code == 412
    assert error_code(stale) == "etag_mismatch"
    assert (await read(client, alice, pid))["title"] == "Changed"
    assert (await stored_protocol(app, pid)).version == 2

    # ``*`` means "whatever is current"; a list naming the current one matches too.
    star = await patch(client, alice, pid, {"title": "Star"}, "*")
    assert star.status_code == 200, star.text
    listed = await patch(client, bob, pid, {"title": "Listed"}, f'"p0", {star.json()["etag"]}')
    assert listed.status_code == 200, listed.text
    weak = await patch(client, alice, pid, {"title": "Weak"}, f"W/{listed.json()['etag']}")
    assert weak.status_code == 200, weak.text

    # An agreement changes the ETag too.
    current = await read(client, bob, pid)
    agreed = await agree(client, bob, pid, current["version"])
    assert agreed.status_code == 200
    assert agreed.headers["etag"] == agreed.json()["etag"] != current["etag"]
    assert (await read(client, alice, pid))["etag"] == agreed.json()["etag"]


# --- renegotiation ------------------------------------------------------------------------------


async def test_renegotiation_keeps_the_agreed_version_in_force(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, alice, bob, dynamic_id, terms(bob))
    pid = active["id"]
    changed = await renegotiate(
        client, alice, pid, {"title": "Evening message", "schedule": {"times": ["20:00"]}}
    )
    assert changed["status"] == "active"
    assert changed["version"] == 2
    assert changed["pending"] is True
    assert changed["agreed_by"] == [alice.id]
    assert changed["title"] == "Evening message"
    assert changed["schedule"] == {"times": ["20:00"], "weekdays": list(range(7))}
    assert changed["description"] == active["description"]  # unchanged fields carry over
    assert changed["in_force"]["number"] == 1
    assert changed["in_force"]["title"] == "Morning message"
    assert changed["in_force"]["schedule"] == {"times": ["08:30"], "weekdays": [0, 1, 2, 3, 4]}
    assert await read(client, bob, pid) == changed

    stored = await stored_protocol(app, pid)
    assert (stored.status, stored.in_force_version, stored.open_version) == ("active", 1, 2)
    assert await live_agreements(app, pid) == {(1, alice.id), (1, bob.id), (2, alice.id)}
    renegotiated = [
        n for n in await notifications(client, bob) if n["kind"] == "protocol_renegotiated"
    ]
    assert len(renegotiated) == 1
    assert renegotiated[0]["data"] == {"protocol_id": pid, "version": 2}

    # Follow-through still counts against the version in force.
    done = await complete(client, bob, pid)
    assert done.status_code == 201, done.text
    assert done.json()["version"] == 1
    assert "completion_recorded" in await kinds(client, alice)
    return_view = await read(client, alice, pid)
    assert return_view["in_force"]["number"] == 1


async def test_declined_renegotiation_leaves_the_old_version_in_force(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, alice, bob, dynamic_id, terms(bob))
    pid = active["id"]
    await renegotiate(client, alice, pid, {"title": "Evening message"})
    declined = await act(client, bob, pid, "decline", reason="mornings suit me")
    assert declined.status_code == 200, declined.text
    view = declined.json()
    assert view["status"] == "active"
    assert view["pending"] is False
    assert view["in_force"]["number"] == 1
    assert view["in_force"]["title"] == "Morning message"
    # What applies is what was agreed; the refused terms are only in the history.
    assert view["title"] == "Morning message"
    assert sorted(view["agreed_by"]) == sorted([alice.id, bob.id])
    stored = await stored_protocol(app, pid)
    assert (stored.status, stored.in_force_version, stored.open_version) == ("active", 1, None)
    assert await live_agreements(app, pid) == {(1, alice.id), (1, bob.id)}
    assert "protocol_declined" in await kinds(client, alice)

    late = await agree(client, bob, pid, 2)
    assert late.status_code == 409
    assert error_code(late) == "nothing_to_agree"
    done = await complete(client, bob, pid)
    assert done.status_code == 201 and done.json()["version"] == 1

    # The next renegotiation starts from the terms in force, not from the refused ones.
    current = await read(client, alice, pid)
    same = await patch(client, alice, pid, {"title": "Morning message"}, current["etag"])
    assert same.status_code == 422
    assert error_code(same) == "no_change"
    third = await patch(client, alice, pid, {"description": "Before ten."}, current["etag"])
    assert third.status_code == 200, third.text
    assert third.json()["version"] == 3
    assert third.json()["title"] == "Morning message"
    assert third.json()["description"] == "Before ten."
    history = (await client.get(f"/api/protocols/{pid}/history", headers=bob.headers)).json()
    # The difference is from the previous version, here the refused one.
    assert history["versions"][2]["changes"] == {
        "title": {"from": "Evening message", "to": "Morning message"},
        "description": {"from": "A short message before nine.", "to": "Before ten."},
    }


async def test_agreed_renegotiation_puts_the_new_version_in_force(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, alice, bob, dynamic_id, terms(bob))
    pid = active["id"]
    # The new version makes Alice a performer too; until it is agreed she is not one.
    await renegotiate(client, bob, pid, {"performer_ids": [alice.id, bob.id]})
    early = await complete(client, alice, pid)
    assert early.status_code == 403
    assert error_code(early) == "not_performer"

    agreed = await agree(client, alice, pid, 2)
    assert agreed.status_code == 200, agreed.text
    view = agreed.json()
    assert view["status"] == "active"
    assert view["pending"] is False
    assert view["in_force"]["number"] == 2
    assert view["in_force"]["performer_ids"] == sorted([alice.id, bob.id])
    stored = await stored_protocol(app, pid)
    assert (stored.status, stored.in_force_version, stored.open_version) == ("active", 2, None)
    assert await live_agreements(app, pid) == {(2, alice.id), (2, bob.id)}
    assert "protocol_active" in await kinds(client, bob)

    for member in (alice, bob):
        done = await complete(client, member, pid)
        assert done.status_code == 201, done.text
        assert done.json()["version"] == 2
    await consent_is_intact(app, {alice.id, bob.id})


async def test_a_passed_review_date_does_not_block_renegotiation(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    soon = (datetime.now(PARIS).date() + timedelta(days=3)).isoformat()
    active = await active_protocol(client, alice, bob, dynamic_id, terms(bob, review_on=soon))
    pid = active["id"]
    passed = datetime.now(PARIS).date() - timedelta(days=3)
    async with app.state.db.writer() as session:
        await session.execute(
            update(ProtocolVersion)
            .where(col(ProtocolVersion.protocol_id) == uuid.UUID(pid))
            .values(review_on=passed)
        )
        await session.commit()
    # The review date came: the partners look at it again and change something else.
    changed = await renegotiate(client, alice, pid, {"description": "Reviewed, kept."})
    assert changed["review_on"] == passed.isoformat()
    assert changed["version"] == 2
    # A new review date still has to be in the future.
    refused = await patch(
        client, bob, pid, {"review_on": (passed - timedelta(days=1)).isoformat()}, changed["etag"]
    )
    assert refused.status_code == 422
    assert error_code(refused) == "review_on_past"
    later = (datetime.now(PARIS).date() + timedelta(days=90)).isoformat()
    moved = await patch(client, bob, pid, {"review_on": later}, changed["etag"])
    assert moved.status_code == 200, moved.text
    assert moved.json()["review_on"] == later


async def test_withdraw_after_a_declined_renegotiation_reopens_the_agreed_terms(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, alice, bob, dynamic_id, terms(bob))
    pid = active["id"]
    await renegotiate(client, alice, pid, {"title": "Evening message"})
    assert (await act(client, bob, pid, "decline")).status_code == 200
    withdrawn = await act(client, bob, pid, "withdraw")
    assert withdrawn.status_code == 200
    # To be active again, both agree again to what they had agreed to, not to what Bob refused.
    assert withdrawn.json()["title"] == "Morning message"
    assert (await agree(client, bob, pid, withdrawn.json()["version"])).status_code == 200
    reactivated = await agree(client, alice, pid, withdrawn.json()["version"])
    assert reactivated.json()["in_force"]["title"] == "Morning message"


async def test_renegotiating_a_proposal_needs_the_proposer_again(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    created = await propose(client, alice, dynamic_id, terms(bob))
    pid = created["id"]
    countered = await renegotiate(client, bob, pid, {"title": "Counter-offer"})
    assert countered["status"] == "proposed"
    assert countered["agreed_by"] == [bob.id]
    assert await live_agreements(app, pid) == {(2, bob.id)}
    assert "protocol_renegotiated" in await kinds(client, alice)
    ok = await agree(client, alice, pid, 2)
    assert ok.status_code == 200 and ok.json()["status"] == "active"
    assert ok.json()["in_force"]["title"] == "Counter-offer"


# --- withdrawing consent ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob"])
async def test_one_no_suspends_and_both_must_agree_again(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Member,
    bob: Member,
    dynamic_id: str,
    who: str,
) -> None:
    active = await active_protocol(client, alice, bob, dynamic_id, terms(bob))
    pid = active["id"]
    withdrawer, other = (alice, bob) if who == "alice" else (bob, alice)

    withdrawn = await act(client, withdrawer, pid, "withdraw", reason="not now")
    assert withdrawn.status_code == 200, withdrawn.text
    view = withdrawn.json()
    assert view["status"] == "suspended"
    assert view["in_force"] is None
    assert view["agreed_by"] == []
    assert view["pending"] is True
    assert view["version"] == 1
    stored = await stored_protocol(app, pid)
    assert (stored.status, stored.in_force_version) == ("suspended", None)
    assert await live_agreements(app, pid) == set()
    notes = [n for n in await notifications(client, other) if n["kind"] == "protocol_withdrawn"]
    assert len(notes) == 1 and notes[0]["actor_id"] == withdrawer.id

    done = await complete(client, bob, pid)
    assert done.status_code == 409
    assert error_code(done) == "protocol_not_active"
    again = await act(client, other, pid, "withdraw")
    assert again.status_code == 409
    assert error_code(again) == "nothing_to_withdraw"

    # One member's yes is not enough, whoever it is.
    first = await agree(client, other, pid, 1)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "suspended"
    assert first.json()["agreed_by"] == [other.id]
    assert await live_agreements(app, pid) == {(1, other.id)}
    assert "protocol_agreed" in await kinds(client, withdrawer)
    still = await complete(client, bob, pid)
    assert still.status_code == 409
    assert error_code(still) == "protocol_not_active"

    second = await agree(client, withdrawer, pid, 1)
    assert second.status_code == 200, second.text
    assert second.json()["status"] == "active"
    assert second.json()["in_force"]["number"] == 1
    assert await live_agreements(app, pid) == {(1, alice.id), (1, bob.id)}
    assert "protocol_active" in await kinds(client, other)
    assert (await complete(client, bob, pid)).status_code == 201

    events = (await client.get(f"/api/protocols/{pid}/history", headers=alice.headers)).json()[
        "events"
    ]
    assert [(e["action"], e["actor_id"]) for e in events] == [
        ("proposed", alice.id),
        ("agreed", bob.id),
        ("activated", bob.id),
        ("withdrawn", withdrawer.id),
        ("suspended", withdrawer.id),
        ("agreed", other.id),
        ("agreed", withdrawer.id),
        ("reactivated", withdrawer.id),
    ]
    assert events[3]["reason"] == "not now"


async def test_withdraw_while_proposed_removes_only_your_own_agreement(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    created = await propose(client, alice, dynamic_id, terms(bob))
    pid = created["id"]
    not_agreed = await act(client, bob, pid, "withdraw")
    assert not_agreed.status_code == 409
    assert error_code(not_agreed) == "nothing_to_withdraw"
    assert await live_agreements(app, pid) == {(1, alice.id)}

    withdrawn = await act(client, alice, pid, "withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "proposed"
    assert withdrawn.json()["agreed_by"] == []
    assert await live_agreements(app, pid) == set()
    (row,) = await all_agreements(app, pid)
    assert row.withdrawn_at is not None and str(row.user_id) == alice.id

    # Bob's yes alone does not start it; Alice's renewed yes does.
    half = await agree(client, bob, pid, 1)
    assert half.json()["status"] == "proposed"
    assert half.json()["agreed_by"] == [bob.id]
    bob_withdraws = await act(client, bob, pid, "withdraw")
    assert bob_withdraws.status_code == 200
    assert bob_withdraws.json()["agreed_by"] == []
    assert (await agree(client, alice, pid, 1)).json()["status"] == "proposed"
    final = await agree(client, bob, pid, 1)
    assert final.json()["status"] == "active"
    await consent_is_intact(app, {alice.id, bob.id})


async def test_withdraw_during_renegotiation_suspends(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, alice, bob, dynamic_id, terms(bob))
    pid = active["id"]
    await renegotiate(client, alice, pid, {"title": "Evening message"})
    withdrawn = await act(client, bob, pid, "withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "suspended"
    assert withdrawn.json()["in_force"] is None
    assert await live_agreements(app, pid) == set()
    await consent_is_intact(app, {alice.id, bob.id})


# --- the history --------------------------------------------------------------------------------


async def test_history_lists_versions_agreements_and_transitions(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    created = await propose(client, alice, dynamic_id, terms(bob))
    pid = created["id"]
    assert (await agree(client, bob, pid, 1)).status_code == 200
    review = (datetime.now(PARIS).date() + timedelta(days=60)).isoformat()
    await renegotiate(
        client,
        alice,
        pid,
        {
            "title": "Evening message",
            "schedule": {"times": ["20:00"], "weekdays": [5, 6]},
            "performer_ids": [alice.id, bob.id],
            "review_on": review,
        },
    )
    assert (await agree(client, bob, pid, 2)).status_code == 200
    assert (await act(client, bob, pid, "withdraw", reason="too much")).status_code == 200

    response = await client.get(f"/api/protocols/{pid}/history", headers=bob.headers)
    assert response.status_code == 200, response.text
    history = response.json()
    assert history["protocol_id"] == pid
    v1, v2 = history["versions"]
    assert v1["number"] == 1 and v2["number"] == 2
    assert v1["changes"] is None
    assert v1["created_by"] == alice.id and v2["created_by"] == alice.id
    assert v1["title"] == "Morning message" and v2["title"] == "Evening message"
    assert v2["changes"] == {
        "title": {"from": "Morning message", "to": "Evening message"},
        "schedule": {
            "from": {"times": ["08:30"], "weekdays": [0, 1, 2, 3, 4]},
            "to": {"times": ["20:00"], "weekdays": [5, 6]},
        },
        "performer_ids": {"from": [bob.id], "to": sorted([alice.id, bob.id])},
        "review_on": {"from": None, "to": review},
    }
    # Every yes ever given, with when it stopped standing.
    assert sorted(a["user_id"] for a in v1["agreements"]) == sorted([alice.id, bob.id])
    assert all(a["withdrawn_at"] is not None for a in v1["agreements"])
    assert sorted(a["user_id"] for a in v2["agreements"]) == sorted([alice.id, bob.id])
    assert all(a["withdrawn_at"] is not None for a in v2["agreements"])
    for agreement in v1["agreements"] + v2["agreements"]:
        assert parse_time(agreement["withdrawn_at"]) >= parse_time(agreement["agreed_at"])

    events = history["events"]
    assert [(e["action"], e["actor_id"], e["version"]) for e in events] == [
        ("proposed", alice.id, 1),
        ("agreed", bob.id, 1),
        ("activated", bob.id, 1),
        ("renegotiated", alice.id, 2),
        ("agreed", bob.id, 2),
        ("activated", bob.id, 2),
        ("withdrawn", bob.id, 2),
        ("suspended", bob.id, 2),
    ]
    times = [parse_time(e["at"]) for e in events]
    assert times == sorted(times)
    assert events[-1]["reason"] == "too much"
    assert events[0]["reason"] is None
    # Both members read the same history.
    other = await client.get(f"/api/protocols/{pid}/history", headers=alice.headers)
    assert other.json() == history


# --- red and an ended dynamic -------------------------------------------------------------------


async def test_red_stops_everything_and_resume_restores_it(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, alice, bob, dynamic_id, terms(bob))
    proposed = await propose(client, alice, dynamic_id, terms(bob, title="Proposed"))
    suspended = await suspended_protocol(client, alice, bob, dynamic_id)
    half = await suspended_protocol(client, alice, bob, dynamic_id)
    assert (await agree(client, alice, half["id"], 1)).status_code == 200
    ids = [active["id"], proposed["id"], suspended["id"], half["id"]]
    before = {pid: await read(client, alice, pid) for pid in ids}

    await dynamic_action(client, bob, dynamic_id, "red")

    # Nothing becomes active and nothing is recorded as done...
    for pid, member in ((proposed["id"], bob), (suspended["id"], alice), (half["id"], bob)):
        refused = await agree(client, member, pid, 1)
        assert refused.status_code == 409, refused.text
        assert error_code(refused) == "dynamic_paused"
    for member in (alice, bob):
        refused = await complete(client, member, active["id"])
        assert refused.status_code == 409
        assert error_code(refused) == "dynamic_paused"
    assert await count_rows(app, Completion) == 0

    # ...but saying no, and proposing, are always possible.
    during = await propose(client, alice, dynamic_id, terms(bob, title="During the red"))
    assert during["status"] == "proposed"
    withdrawn = await act(client, alice, during["id"], "withdraw")
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["agreed_by"] == []
    late = await agree(client, bob, during["id"], 1)
    assert late.status_code == 409 and error_code(late) == "dynamic_paused"
    # Reads still work.
    for pid in ids:
        assert (await read(client, bob, pid))["status"] == before[pid]["status"]
    for pid in ids:
        assert (await stored_protocol(app, pid)).status == before[pid]["status"]

    await dynamic_action(client, bob, dynamic_id, "resume")

    for pid in ids:
        after = await read(client, alice, pid)
        assert after["status"] == before[pid]["status"]
        assert after["agreed_by"] == before[pid]["agreed_by"]
        assert after["in_force"] == before[pid]["in_force"]
        assert after["etag"] == before[pid]["etag"]
    assert [before[pid]["status"] for pid in ids] == [
        "active",
        "proposed",
        "suspended",
        "suspended",
    ]
    # And the protocols carry on from there.
    assert (await complete(client, bob, active["id"])).status_code == 201
    resumed = await agree(client, bob, half["id"], 1)
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    await consent_is_intact(app, {alice.id, bob.id})


async def test_red_by_either_member_blocks_agreement(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    proposed = await propose(client, bob, dynamic_id, terms(bob))
    # Alice calls red on a protocol Bob proposed and she would agree to.
    await dynamic_action(client, alice, dynamic_id, "red")
    refused = await agree(client, alice, proposed["id"], 1)
    assert refused.status_code == 409 and error_code(refused) == "dynamic_paused"
    await dynamic_action(client, alice, dynamic_id, "resume")
    ok = await agree(client, alice, proposed["id"], 1)
    assert ok.status_code == 200 and ok.json()["status"] == "active"


async def test_an_ended_dynamic_is_read_only(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, alice, bob, dynamic_id, terms(alice, bob))
    pid = active["id"]
    done = await complete(client, alice, pid)
    assert done.status_code == 201
    proposed = await propose(client, alice, dynamic_id, terms(bob, title="Open"))
    await renegotiate(client, alice, pid, {"title": "Pending change"})
    await dynamic_action(client, bob, dynamic_id, "leave")
    etag = (await read(client, alice, pid))["etag"]
    before_revision = (await stored_protocol(app, pid)).revision

    writes = [
        await post(client, alice, f"/api/dynamics/{dynamic_id}/protocols", terms(bob)),
        await patch(client, alice, pid, {"title": "After the end"}, etag),
        await patch(client, alice, pid, {"title": "After the end"}, None),
        await patch(client, alice, pid, {"title": "After the end"}, '"stale"'),
        await agree(client, bob, pid, 2),
        await agree(client, bob, proposed["id"], 1),
        await act(client, bob, pid, "decline"),
        await act(client, bob, proposed["id"], "decline"),
        await act(client, alice, pid, "withdraw"),
        await act(client, alice, pid, "retire"),
        await complete(client, alice, pid),
        await post(client, bob, f"/api/completions/{done.json()['id']}/acknowledge"),
    ]
    for response in writes:
        assert response.status_code == 409, (response.request.url, response.text)
        assert error_code(response) == "dynamic_ended"

    assert (await stored_protocol(app, pid)).revision == before_revision
    assert await count_rows(app, Protocol) == 2
    assert await count_rows(app, Completion) == 1
    # Reads still work, for both.
    for member in (alice, bob):
        assert (await read(client, member, pid))["status"] == "active"
        for path in (
            f"/api/dynamics/{dynamic_id}/protocols",
            f"/api/protocols/{pid}/history",
            f"/api/protocols/{pid}/completions",
        ):
            response = await client.get(path, headers=member.headers)
            assert response.status_code == 200, (path, response.text)


# --- the outsider -------------------------------------------------------------------------------


async def test_an_outsider_finds_nothing(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Member,
    bob: Member,
    eve: Member,
    dynamic_id: str,
) -> None:
    active = await active_protocol(client, alice, bob, dynamic_id, terms(alice))
    pid = active["id"]
    done = await complete(client, alice, pid)
    cid = done.json()["id"]
    etag = active["etag"]
    missing = str(uuid.uuid4())
    calls = [
        ("GET", f"/api/dynamics/{dynamic_id}/protocols", None, {}),
        ("POST", f"/api/dynamics/{dynamic_id}/protocols", terms(eve), {}),
        ("GET", f"/api/protocols/{pid}", None, {}),
        ("PATCH", f"/api/protocols/{pid}", {"title": "Mine now"}, {"If-Match": etag}),
        ("PATCH", f"/api/protocols/{pid}", {"title": "Mine now"}, {}),
        ("POST", f"/api/protocols/{pid}/agree", {"version": 1}, {}),
        ("POST", f"/api/protocols/{pid}/decline", {}, {}),
        ("POST", f"/api/protocols/{pid}/withdraw", {}, {}),
        ("POST", f"/api/protocols/{pid}/retire", {}, {}),
        ("GET", f"/api/protocols/{pid}/history", None, {}),
        ("POST", f"/api/protocols/{pid}/completions", {}, {}),
        ("GET", f"/api/protocols/{pid}/completions", None, {}),
        ("POST", f"/api/completions/{cid}/acknowledge", {}, {}),
    ]
    for method, path, body, extra in calls:
        response = await client.request(method, path, json=body, headers={**eve.headers, **extra})
        assert response.status_code == 404, (method, path, response.text)
        assert error_code(response) == "not_found"
        # Exactly as if it did not exist.
        ghost = path.replace(pid, missing).replace(cid, missing).replace(dynamic_id, missing)
        response = await client.request(
            method, ghost, json=body, headers={**alice.headers, **extra}
        )
        assert response.status_code == 404, (method, ghost, response.text)
    stored = await stored_protocol(app, pid)
    assert stored.status == "active" and stored.revision == 2
    assert await count_rows(app, Protocol) == 1
    assert await count_rows(app, Completion) == 1
    assert await notifications(client, eve) == []

    unauthenticated = await client.get(f"/api/protocols/{pid}")
    assert unauthenticated.status_code == 401


# --- completions and acknowledgement ------------------------------------------------------------


async def test_completion_and_acknowledgement(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, bob, alice, dynamic_id, terms(alice))
    pid = active["id"]
    not_performer = await complete(client, bob, pid)
    assert not_performer.status_code == 403
    assert error_code(not_performer) == "not_performer"

    when = datetime.now(UTC) - timedelta(hours=3)
    done = await complete(client, alice, pid, when.astimezone(PARIS), note="done, with care")
    assert done.status_code == 201, done.text
    completion = done.json()
    assert completion["protocol_id"] == pid
    assert completion["dynamic_id"] == dynamic_id
    assert completion["user_id"] == alice.id
    assert completion["version"] == 1
    assert completion["note"] == "done, with care"
    assert parse_time(completion["occurred_at"]) == when
    assert completion["acknowledged_at"] is None
    recorded = [n for n in await notifications(client, bob) if n["kind"] == "completion_recorded"]
    assert len(recorded) == 1
    assert recorded[0]["data"] == {"protocol_id": pid, "completion_id": completion["id"]}
    assert "done, with care" not in str(recorded)  # the inbox carries no notes
    assert "completion_recorded" not in await kinds(client, alice)

    ack_url = f"/api/completions/{completion['id']}/acknowledge"
    own = await post(client, alice, ack_url)
    assert own.status_code == 403
    assert error_code(own) == "own_completion"
    bad = await post(client, bob, ack_url, {"note": "x" * 1001})
    assert bad.status_code == 422

    acked = await post(client, bob, ack_url, {"note": "Thank you"})
    assert acked.status_code == 201, acked.text
    body = acked.json()
    assert body["acknowledged_by"] == bob.id
    assert body["acknowledgement_note"] == "Thank you"
    assert body["acknowledged_at"] is not None
    acknowledged = [
        n for n in await notifications(client, alice) if n["kind"] == "completion_acknowledged"
    ]
    assert len(acknowledged) == 1
    assert acknowledged[0]["actor_id"] == bob.id
    assert acknowledged[0]["data"]["completion_id"] == completion["id"]

    twice = await post(client, bob, ack_url, {"note": "again"})
    assert twice.status_code == 409
    assert error_code(twice) == "already_acknowledged"
    async with app.state.db.reader() as session:
        stored = await session.get(Completion, uuid.UUID(completion["id"]))
    assert stored is not None
    assert str(stored.acknowledged_by) == bob.id
    assert stored.acknowledgement_note == "Thank you"
    assert len([k for k in await kinds(client, alice) if k == "completion_acknowledged"]) == 1

    listed = await client.get(f"/api/protocols/{pid}/completions", headers=bob.headers)
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert item["id"] == completion["id"]
    assert item["acknowledged_by"] == bob.id


async def test_concurrent_acknowledgements_count_once(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, bob, alice, dynamic_id, terms(alice))
    done = await complete(client, alice, active["id"])
    url = f"/api/completions/{done.json()['id']}/acknowledge"
    responses = await asyncio.gather(*(post(client, bob, url, {"note": f"n{i}"}) for i in range(4)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409], [r.text for r in responses]
    for r in responses:
        if r.status_code == 409:
            assert error_code(r) in {"already_acknowledged", "conflict"}
    assert len([k for k in await kinds(client, alice) if k == "completion_acknowledged"]) == 1


async def test_both_performers_complete(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, alice, bob, dynamic_id, terms(alice, bob))
    pid = active["id"]
    first = await complete(client, alice, pid)
    second = await complete(client, bob, pid)
    assert first.status_code == second.status_code == 201
    assert first.json()["user_id"] == alice.id and second.json()["user_id"] == bob.id
    # Each acknowledges the other's.
    for ack_by, cid in ((bob, first.json()["id"]), (alice, second.json()["id"])):
        response = await post(client, ack_by, f"/api/completions/{cid}/acknowledge")
        assert response.status_code == 201, response.text
        assert response.json()["acknowledged_by"] == ack_by.id
    for member in (alice, bob):
        assert "completion_acknowledged" in await kinds(client, member)
        assert "completion_recorded" in await kinds(client, member)


async def test_occurred_at_bounds(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, bob, alice, dynamic_id, terms(alice))
    pid = active["id"]
    now = datetime.now(UTC)
    for value in (
        now - timedelta(days=31),
        now + timedelta(minutes=10),
        now + timedelta(days=1),
        "2026-01-01T10:00:00",  # no UTC offset
        (now - timedelta(hours=1)).replace(tzinfo=None).isoformat(),
    ):
        response = await complete(client, alice, pid, value)
        assert response.status_code == 422, (value, response.text)
        assert error_code(response) == "occurred_at_out_of_range"
    for value in ("yesterday", "2026-13-01T10:00:00Z"):
        response = await complete(client, alice, pid, value)
        assert response.status_code == 422, (value, response.text)
    extra = await post(client, alice, f"/api/protocols/{pid}/completions", {"mood": 5})
    assert extra.status_code == 422
    assert await count_rows(app, Completion) == 0

    for value in (
        now - timedelta(days=29, hours=23),
        now + timedelta(minutes=4),
        now.astimezone(ZoneInfo("America/New_York")),
    ):
        response = await complete(client, alice, pid, value)
        assert response.status_code == 201, (value, response.text)
        assert parse_time(response.json()["occurred_at"]) == value
    default = await complete(client, alice, pid)
    assert default.status_code == 201
    assert abs(parse_time(default.json()["occurred_at"]) - datetime.now(UTC)) < timedelta(minutes=1)
    assert await count_rows(app, Completion) == 4


async def test_completion_is_idempotent(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, bob, alice, dynamic_id, terms(alice))
    pid = active["id"]
    when = datetime.now(UTC) - timedelta(hours=1)
    headers = alice.idem()
    first = await complete(client, alice, pid, when, headers=headers)
    second = await complete(client, alice, pid, when, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    assert await count_rows(app, Completion) == 1
    assert [k for k in await kinds(client, bob) if k == "completion_recorded"] == [
        "completion_recorded"
    ]
    other = await complete(client, alice, pid, when - timedelta(minutes=1), headers=headers)
    assert other.status_code == 422
    assert error_code(other) == "idempotency_key_reused"

    # Replays race too: a key in flight is a 409, never a second completion.
    racing = alice.idem()
    responses = await asyncio.gather(
        *(complete(client, alice, pid, when, headers=racing) for _ in range(4))
    )
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1, [r.text for r in responses]
    for r in responses:
        if r.status_code != 201:
            assert r.status_code == 409 and error_code(r) == "idempotency_in_flight"
    assert await count_rows(app, Completion) == 2


async def test_completions_page(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, bob, alice, dynamic_id, terms(alice))
    pid = active["id"]
    now = datetime.now(UTC)
    made = []
    for hours in (5, 1, 9, 3, 7):
        response = await complete(client, alice, pid, now - timedelta(hours=hours))
        assert response.status_code == 201
        made.append((hours, response.json()["id"]))
    expected = [cid for _, cid in sorted(made)]  # newest first

    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await client.get(
            f"/api/protocols/{pid}/completions", params=params, headers=bob.headers
        )
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen += [c["id"] for c in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert pages == 3

    for params in ({"limit": 0}, {"limit": 101}, {"cursor": "garbage"}):
        response = await client.get(
            f"/api/protocols/{pid}/completions", params=params, headers=bob.headers
        )
        assert response.status_code == 422, (params, response.text)


# --- adherence ----------------------------------------------------------------------------------


def _due(
    times: list[str], weekdays: list[int], zone: ZoneInfo, start: datetime, end: datetime
) -> list[datetime]:
    """The scheduled moments in [start, end), worked out independently of the app."""
    found = []
    day = start.astimezone(zone).date() - timedelta(days=1)
    while day <= end.astimezone(zone).date() + timedelta(days=1):
        if day.weekday() in weekdays:
            for t in times:
                local = datetime.combine(day, time.fromisoformat(t), tzinfo=zone)
                if start <= local.astimezone(UTC) < end:
                    found.append(local.astimezone(UTC))
        day += timedelta(days=1)
    return sorted(found)


async def _backdate_activation(app: FastAPI, pid: str, at: datetime) -> None:
    async with app.state.db.writer() as session:
        await session.execute(
            update(ProtocolEvent)
            .where(
                col(ProtocolEvent.protocol_id) == uuid.UUID(pid),
                col(ProtocolEvent.action).in_(["activated", "reactivated"]),
            )
            .values(at=at)
        )
        await session.commit()


async def test_adherence_over_scheduled_occurrences(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    times = ["08:00", "20:00"]
    weekdays = [0, 2, 4, 6]
    schedule = {"times": times, "weekdays": weekdays}
    active = await active_protocol(client, bob, alice, dynamic_id, terms(alice, schedule=schedule))
    pid = active["id"]
    assert active["adherence"] == {"window_days": 28, "scheduled": 0, "done": 0, "rate": None}

    now = datetime.now(UTC)
    started = now - timedelta(days=12, hours=5)
    await _backdate_activation(app, pid, started)
    due = [d for d in _due(times, weekdays, PARIS, started, now) if d < now - timedelta(hours=1)]
    assert len(due) >= 8
    by_day: dict[date, list[datetime]] = {}
    for moment in due:
        by_day.setdefault(moment.astimezone(PARIS).date(), []).append(moment)
    days = sorted(by_day)
    # Every occurrence done on the first due day, one on the second, three completions on the
    # third (only as many as were due count), and one on a day nothing was due (does not count).
    completions = [
        *by_day[days[0]],
        by_day[days[1]][0],
        *(by_day[days[2]][0] + timedelta(minutes=m) for m in (0, 5, 10)),
    ]
    off_day = next(
        d for d in (days[0] + timedelta(days=k) for k in range(1, 8)) if d.weekday() not in weekdays
    )
    completions.append(datetime.combine(off_day, time(12, 0), tzinfo=PARIS).astimezone(UTC))
    for moment in completions:
        response = await complete(client, alice, pid, moment)
        assert response.status_code == 201, response.text

    scheduled_now = len([d for d in _due(times, weekdays, PARIS, started, datetime.now(UTC))])
    view = await read(client, bob, pid)
    adherence = view["adherence"]
    assert adherence["window_days"] == 28
    assert adherence["scheduled"] == scheduled_now
    # Every occurrence of the first due day (one or two: the activation may fall between the
    # day's two times, depending on when the test runs), one, then at most three.
    assert adherence["done"] == len(by_day[days[0]]) + 1 + min(3, len(by_day[days[2]]))
    assert adherence["rate"] == round(adherence["done"] / adherence["scheduled"], 4)
    assert "streak" not in str(view)
    assert await read(client, alice, pid) == view

    # A red over one occurrence of a day without completions: it is not due at all.
    skipped = by_day[days[3]][0]
    async with app.state.db.writer() as session:
        session.add(
            DynamicPause(
                dynamic_id=uuid.UUID(dynamic_id),
                started_at=skipped - timedelta(minutes=30),
                ended_at=skipped + timedelta(minutes=30),
            )
        )
        await session.commit()
    paused = (await read(client, bob, pid))["adherence"]
    assert paused["scheduled"] == adherence["scheduled"] - 1
    assert paused["done"] == adherence["done"]

    # The list shows the same numbers.
    listed = await client.get(f"/api/dynamics/{dynamic_id}/protocols", headers=alice.headers)
    (item,) = listed.json()["items"]
    assert item["adherence"] == paused


async def test_adherence_counts_only_while_in_force(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    schedule = {"times": ["12:00"], "weekdays": list(range(7))}
    active = await active_protocol(
        client, bob, alice, dynamic_id, terms(alice, bob, schedule=schedule)
    )
    pid = active["id"]
    now = datetime.now(UTC)
    started = now - timedelta(days=6)
    await _backdate_activation(app, pid, started)
    due = _due(["12:00"], list(range(7)), PARIS, started, now)
    view = await read(client, alice, pid)
    # Two performers: each occurrence is due for each of them.
    assert view["adherence"]["scheduled"] == 2 * len(due)
    assert view["adherence"]["done"] == 0
    assert view["adherence"]["rate"] == 0.0

    # Completions of one performer count for that performer only.
    response = await complete(client, bob, pid, due[0])
    assert response.status_code == 201
    assert (await read(client, alice, pid))["adherence"]["done"] == 1

    # A renegotiation of the schedule changes nothing until it is agreed.
    await renegotiate(client, alice, pid, {"schedule": {"times": ["12:00", "18:00"]}})
    pending = (await read(client, alice, pid))["adherence"]
    assert pending["scheduled"] == 2 * len(due)


async def test_adherence_excludes_suspended_time_after_a_renegotiation(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    schedule = {"times": ["12:00"], "weekdays": list(range(7))}
    active = await active_protocol(client, bob, alice, dynamic_id, terms(alice, schedule=schedule))
    pid = active["id"]
    changed = await renegotiate(client, bob, pid, {"description": "Slowly."})
    assert (await agree(client, alice, pid, changed["version"])).status_code == 200
    assert (await act(client, alice, pid, "withdraw")).status_code == 200
    for member in (alice, bob):
        assert (await agree(client, member, pid, 2)).status_code == 200
    assert (await read(client, bob, pid))["status"] == "active"

    now = datetime.now(UTC)
    # proposed..activated 10 days ago, renegotiated and activated again 9 days ago, suspended
    # 7 days ago, active again for the last 3 days.
    ages = [10, 10, 10, 9, 9, 9, 7, 7, 3, 3, 3]
    async with app.state.db.writer() as session:
        events = list(
            (
                await session.execute(
                    select(ProtocolEvent)
                    .where(col(ProtocolEvent.protocol_id) == uuid.UUID(pid))
                    .order_by(col(ProtocolEvent.seq))
                )
            ).scalars()
        )
        assert [e.action for e in events] == [
            "proposed",
            "agreed",
            "activated",
            "renegotiated",
            "agreed",
            "activated",
            "withdrawn",
            "suspended",
            "agreed",
            "agreed",
            "reactivated",
        ]
        for event, age in zip(events, ages, strict=True):
            event.at = now - timedelta(days=age)
            session.add(event)
        await session.commit()

    expected = _due(
        ["12:00"], list(range(7)), PARIS, now - timedelta(days=10), now - timedelta(days=7)
    ) + _due(["12:00"], list(range(7)), PARIS, now - timedelta(days=3), datetime.now(UTC))
    adherence = (await read(client, alice, pid))["adherence"]
    assert adherence["scheduled"] == len(expected), adherence
    assert adherence["done"] == 0


async def test_adherence_follows_the_schedule_in_force_at_the_time(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    daily = {"times": ["08:00"], "weekdays": list(range(7))}
    active = await active_protocol(client, bob, alice, dynamic_id, terms(alice, schedule=daily))
    pid = active["id"]
    now = datetime.now(UTC)
    started = now - timedelta(days=8)
    await _backdate_activation(app, pid, started)
    first_days = _due(["08:00"], list(range(7)), PARIS, started, now - timedelta(days=2))
    for moment in first_days:
        assert (await complete(client, alice, pid, moment)).status_code == 201

    # From two days ago, twice a day: the week before keeps its own schedule.
    twice = {"times": ["07:00", "19:00"], "weekdays": list(range(7))}
    changed = await renegotiate(client, bob, pid, {"schedule": twice})
    agreed = await agree(client, alice, pid, changed["version"])
    assert agreed.status_code == 200 and agreed.json()["in_force"]["number"] == 2
    switched = now - timedelta(days=2)
    async with app.state.db.writer() as session:
        await session.execute(
            update(ProtocolEvent)
            .where(
                col(ProtocolEvent.protocol_id) == uuid.UUID(pid),
                col(ProtocolEvent.action) == "activated",
                col(ProtocolEvent.version) == 2,
            )
            .values(at=switched)
        )
        await session.commit()
    second = _due(["07:00", "19:00"], list(range(7)), PARIS, switched, datetime.now(UTC))
    adherence = (await read(client, alice, pid))["adherence"]
    before = _due(["08:00"], list(range(7)), PARIS, started, switched)
    assert adherence["scheduled"] == len(before) + len(second), adherence
    assert adherence["done"] == len([d for d in first_days if d < switched])
    # The list computes the same, next to another protocol of the dynamic.
    await active_protocol(client, bob, alice, dynamic_id, terms(alice, schedule=daily))
    listed = await client.get(f"/api/dynamics/{dynamic_id}/protocols", headers=bob.headers)
    by_id = {p["id"]: p for p in listed.json()["items"]}
    assert by_id[pid]["adherence"] == (await read(client, bob, pid))["adherence"]


async def test_a_suspended_protocol_shows_its_adherence_frozen(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    schedule = {"times": ["12:00"], "weekdays": list(range(7))}
    active = await active_protocol(client, bob, alice, dynamic_id, terms(alice, schedule=schedule))
    pid = active["id"]
    now = datetime.now(UTC)
    await _backdate_activation(app, pid, now - timedelta(days=5))
    due = _due(["12:00"], list(range(7)), PARIS, now - timedelta(days=5), now)
    assert (await complete(client, alice, pid, due[0])).status_code == 201
    withdrawn = await act(client, bob, pid, "withdraw")
    assert withdrawn.json()["status"] == "suspended"
    frozen = withdrawn.json()["adherence"]
    assert frozen == {
        "window_days": 28,
        "scheduled": len(due),
        "done": 1,
        "rate": round(1 / len(due), 4),
    }
    # Nothing becomes due while it is suspended: the rate stays as it was.
    async with app.state.db.writer() as session:
        await session.execute(
            update(ProtocolEvent)
            .where(
                col(ProtocolEvent.protocol_id) == uuid.UUID(pid),
                col(ProtocolEvent.action) == "suspended",
            )
            .values(at=now - timedelta(days=2))
        )
        await session.commit()
    earlier = _due(
        ["12:00"], list(range(7)), PARIS, now - timedelta(days=5), now - timedelta(days=2)
    )
    assert (await read(client, alice, pid))["adherence"]["scheduled"] == len(earlier)
    # A proposal never in force has none.
    proposed = await propose(client, alice, dynamic_id, terms(alice, schedule=schedule))
    assert proposed["adherence"] is None


# --- races --------------------------------------------------------------------------------------


ROUNDS = 12


async def test_agree_racing_an_edit_never_activates_unagreed_terms(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    outcomes: set[str] = set()
    for round_ in range(ROUNDS):
        created = await propose(client, alice, dynamic_id, terms(bob, title=f"Round {round_}"))
        pid = created["id"]
        agreed, edited = await asyncio.gather(
            agree(client, bob, pid, 1),
            patch(client, alice, pid, {"title": f"Changed {round_}"}, created["etag"]),
        )
        statuses = (agreed.status_code, edited.status_code)
        assert statuses in ((200, 412), (409, 200)), (agreed.text, edited.text)
        stored = await stored_protocol(app, pid)
        if agreed.status_code == 200:
            outcomes.add("agree first")
            assert error_code(edited) == "etag_mismatch"
            assert (stored.status, stored.in_force_version, stored.version) == ("active", 1, 1)
            assert agreed.json()["in_force"]["title"] == f"Round {round_}"
        else:
            outcomes.add("edit first")
            assert error_code(agreed) == "stale_version"
            assert (stored.status, stored.in_force_version, stored.version) == ("proposed", None, 2)
            assert await live_agreements(app, pid) == {(2, alice.id)}
        await consent_is_intact(app, {alice.id, bob.id})

    # The same race during a renegotiation of an active protocol.
    active = await active_protocol(client, alice, bob, dynamic_id, terms(bob, title="Base"))
    pid = active["id"]
    for round_ in range(ROUNDS):
        current = await renegotiate(client, alice, pid, {"description": f"Offer {round_}"})
        agreed, edited = await asyncio.gather(
            agree(client, bob, pid, current["version"]),
            patch(client, alice, pid, {"description": f"Rethought {round_}"}, current["etag"]),
        )
        statuses = (agreed.status_code, edited.status_code)
        assert statuses in ((200, 412), (409, 200)), (agreed.text, edited.text)
        if agreed.status_code == 409:
            assert error_code(agreed) == "stale_version"
        stored = await stored_protocol(app, pid)
        assert stored.status == "active"
        in_force = (await read(client, alice, pid))["in_force"]
        if agreed.status_code == 200:
            assert in_force["description"] == f"Offer {round_}"
        else:
            assert in_force["description"] != f"Rethought {round_}"
        await consent_is_intact(app, {alice.id, bob.id})
    assert outcomes  # at least one ordering was exercised


async def test_two_agrees_of_one_member_leave_one_agreement(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    # On a suspended protocol: neither completes it, both succeed, one standing yes.
    suspended = await suspended_protocol(client, alice, bob, dynamic_id)
    pid = suspended["id"]
    responses = await asyncio.gather(*(agree(client, alice, pid, 1) for _ in range(4)))
    assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
    assert await live_agreements(app, pid) == {(1, alice.id)}
    assert (await stored_protocol(app, pid)).status == "suspended"
    assert len([k for k in await kinds(client, bob) if k == "protocol_agreed"]) == 1

    # On a proposal: the first activates it; a repeat finds nothing left to agree to.
    for _ in range(3):
        created = await propose(client, alice, dynamic_id, terms(bob))
        responses = await asyncio.gather(*(agree(client, bob, created["id"], 1) for _ in range(3)))
        statuses = [r.status_code for r in responses]
        assert statuses.count(200) >= 1, [r.text for r in responses]
        for r in responses:
            if r.status_code != 200:
                assert r.status_code == 409 and error_code(r) == "nothing_to_agree", r.text
        assert await live_agreements(app, created["id"]) == {(1, alice.id), (1, bob.id)}
        assert (await stored_protocol(app, created["id"])).status == "active"
    await consent_is_intact(app, {alice.id, bob.id})


async def test_withdraw_racing_agree_never_leaves_it_active(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    for round_ in range(ROUNDS):
        created = await propose(client, alice, dynamic_id, terms(bob, title=f"Race {round_}"))
        pid = created["id"]
        agreed, withdrawn = await asyncio.gather(
            agree(client, bob, pid, 1), act(client, alice, pid, "withdraw")
        )
        assert agreed.status_code == 200, agreed.text
        assert withdrawn.status_code == 200, withdrawn.text
        stored = await stored_protocol(app, pid)
        # Either order ends without Alice's consent, so it is not active.
        assert stored.status in ("proposed", "suspended"), stored
        assert stored.in_force_version is None
        assert (1, alice.id) not in await live_agreements(app, pid)
        await consent_is_intact(app, {alice.id, bob.id})

    # Withdrawals by both at once on an active protocol: suspended, nothing left standing.
    for _ in range(3):
        active = await active_protocol(client, alice, bob, dynamic_id)
        responses = await asyncio.gather(
            act(client, alice, active["id"], "withdraw"), act(client, bob, active["id"], "withdraw")
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200, 409], [r.text for r in responses]
        assert error_code(next(r for r in responses if r.status_code == 409)) == (
            "nothing_to_withdraw"
        )
        assert (await stored_protocol(app, active["id"])).status == "suspended"
        assert await live_agreements(app, active["id"]) == set()


async def test_concurrent_completions_and_withdrawal(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    active = await active_protocol(client, bob, alice, dynamic_id, terms(alice))
    pid = active["id"]
    results = await asyncio.gather(
        *(complete(client, alice, pid) for _ in range(4)), act(client, bob, pid, "withdraw")
    )
    *completions, withdrawn = results
    assert withdrawn.status_code == 200
    for r in completions:
        assert r.status_code in (201, 409), r.text
        if r.status_code == 409:
            assert error_code(r) == "protocol_not_active"
    async with app.state.db.reader() as session:
        suspended_at = (
            await session.execute(
                select(ProtocolEvent.at).where(
                    col(ProtocolEvent.protocol_id) == uuid.UUID(pid),
                    col(ProtocolEvent.action) == "suspended",
                )
            )
        ).scalar_one()
        rows = list((await session.execute(select(Completion))).scalars())
    assert len(rows) == sum(r.status_code == 201 for r in completions)
    for row in rows:
        assert row.created_at <= suspended_at


async def test_a_second_dynamic_is_separate(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    carol = await register(client, "Carol")
    other = await pair(client, alice, carol)
    mine = await propose(client, alice, other, terms(carol))
    # Bob cannot be a performer in Alice and Carol's dynamic, nor see it.
    wrong = await post(client, alice, f"/api/dynamics/{other}/protocols", terms(bob))
    assert wrong.status_code == 422 and error_code(wrong) == "performer_not_member"
    assert (await client.get(f"/api/protocols/{mine['id']}", headers=bob.headers)).status_code == (
        404
    )
    listed = await client.get(f"/api/dynamics/{dynamic_id}/protocols", headers=alice.headers)
    assert listed.json()["items"] == []
