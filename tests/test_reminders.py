"""Reminders through the real app and database: planned once, sent once, never while paused,
never for what is no longer agreed, never in a burst after downtime, deferred by quiet hours."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from app.core.db import write_session
from app.notifications.models import Notification, NotificationKind, Reminder
from app.reminders.dispatcher import dispatch_once
from app.reminders.messages import message_for, screen_for
from app.reminders.planner import plan
from tests.helpers import Member, couple, error_code
from tests.helpers import protocols as proposals
from tests.helpers.protocols import terms


def clock(at: datetime) -> str:
    return at.strftime("%H:%M")


async def active_protocol(
    client: httpx.AsyncClient,
    proposer: Member,
    partner: Member,
    dynamic_id: str,
    performer: Member,
    times: list[str],
    **extra: Any,
) -> str:
    """A task of ``performer``'s in force, due at ``times`` every day."""
    body = terms(performer, title="Water the plants", kind="task", schedule={"times": times})
    found = await proposals.active_protocol(client, proposer, partner, dynamic_id, body | extra)
    return str(found["id"])


async def run_plan(app: FastAPI, now: datetime) -> int:
    async with write_session(app.state.db) as session:
        return await plan(session, now)


async def reminders(app: FastAPI, **where: Any) -> list[Reminder]:
    async with app.state.db.reader() as session:
        stmt = select(Reminder).order_by(col(Reminder.due_at))
        for name, value in where.items():
            stmt = stmt.where(getattr(Reminder, name) == value)
        return list((await session.execute(stmt)).scalars())


def next_minute(minutes: int) -> datetime:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    return now + timedelta(minutes=minutes)


async def test_a_protocol_is_reminded_to_its_performer_once(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    ann, ben, dynamic_id = await couple(client, "Ann", "Ben", timezone="UTC")
    due = next_minute(10)
    pid = await active_protocol(client, ann, ben, dynamic_id, ben, [clock(due)])
    now = datetime.now(UTC)
    assert await run_plan(app, now) >= 1
    assert await run_plan(app, now) == 0  # planning again adds nothing
    planned = await reminders(app, kind="protocol")
    assert {str(r.user_id) for r in planned} == {ben.id}
    first = planned[0]
    assert first.due_at == due and first.protocol_id is not None and str(first.protocol_id) == pid

    listed = await client.get("/api/reminders", headers=ben.headers)
    assert listed.status_code == 200, listed.text
    assert [r["id"] for r in listed.json()["items"]][:1] == [str(first.id)]
    assert (await client.get("/api/reminders", headers=ann.headers)).json()["items"] == []

    early = await dispatch_once(app.state.db, None, due - timedelta(seconds=1))
    assert early.sent_kinds["protocol"] == 0
    sent = await dispatch_once(app.state.db, None, due + timedelta(seconds=5))
    assert sent.sent_kinds["protocol"] == 1
    again = await dispatch_once(app.state.db, None, due + timedelta(seconds=10))
    assert again.sent_kinds["protocol"] == 0
    (stored,) = await reminders(app, id=first.id)
    assert stored.state == "sent"
    inbox = (await client.get("/api/notifications", headers=ben.headers)).json()["items"]
    assert [n["kind"] for n in inbox].count("reminder") == 1
    upcoming = (await client.get("/api/reminders", headers=ben.headers)).json()["items"]
    assert str(first.id) not in [r["id"] for r in upcoming]  # a sent reminder is not upcoming


@pytest.mark.parametrize("change", ["red", "withdraw", "retire", "leave"])
async def test_nothing_is_sent_when_it_is_no_longer_agreed(
    client: httpx.AsyncClient, app: FastAPI, change: str
) -> None:
    ann, ben, dynamic_id = await couple(client, "Ann", "Ben", timezone="UTC")
    due = next_minute(10)
    pid = await active_protocol(client, ann, ben, dynamic_id, ben, [clock(due)])
    await run_plan(app, datetime.now(UTC))
    if change == "red":
        response = await client.post(
            f"/api/dynamics/{dynamic_id}/red", json={}, headers=ben.headers
        )
    elif change == "leave":
        response = await client.post(f"/api/dynamics/{dynamic_id}/leave", headers=ann.headers)
    else:
        response = await client.post(f"/api/protocols/{pid}/{change}", json={}, headers=ann.headers)
    assert response.status_code == 200, response.text
    result = await dispatch_once(app.state.db, None, due + timedelta(seconds=5))
    assert result.sent_kinds["protocol"] == 0
    skipped = [r for r in await reminders(app, kind="protocol") if r.due_at == due]
    assert [r.state for r in skipped] == ["skipped"]
    expected = {
        "red": "dynamic_paused",
        "leave": "dynamic_ended",
        "withdraw": "protocol_not_active",
        "retire": "protocol_not_active",
    }[change]
    assert skipped[0].outcome == expected


async def test_after_downtime_a_late_reminder_is_sent_once_and_an_old_one_skipped(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    ann, ben, dynamic_id = await couple(client, "Ann", "Ben", timezone="UTC")
    soon, later = next_minute(10), next_minute(12)
    await active_protocol(client, ann, ben, dynamic_id, ben, [clock(soon), clock(later)])
    await run_plan(app, datetime.now(UTC))
    # The app comes back 61 minutes after the first was due, 59 after the second.
    result = await dispatch_once(app.state.db, None, soon + timedelta(minutes=61))
    assert result.sent_kinds["protocol"] == 1
    states = {r.due_at: (r.state, r.outcome) for r in await reminders(app, kind="protocol")}
    assert states[soon] == ("skipped", "missed")
    assert states[later][0] == "sent"


async def test_quiet_hours_defer_to_their_end(client: httpx.AsyncClient, app: FastAPI) -> None:
    ann, ben, dynamic_id = await couple(client, "Ann", "Ben", timezone="UTC")
    due = next_minute(10)
    end = due + timedelta(hours=2)
    quiet = await client.patch(
        "/api/me",
        json={"quiet_hours_start": clock(due - timedelta(hours=1)), "quiet_hours_end": clock(end)},
        headers=ben.headers,
    )
    assert quiet.status_code == 200, quiet.text
    await active_protocol(client, ann, ben, dynamic_id, ben, [clock(due)])
    await run_plan(app, datetime.now(UTC))
    (planned,) = [r for r in await reminders(app, kind="protocol") if r.scheduled_for == due]
    assert planned.due_at == end
    assert (await dispatch_once(app.state.db, None, due + timedelta(minutes=1))).sent_kinds[
        "protocol"
    ] == 0
    assert (await dispatch_once(app.state.db, None, end + timedelta(seconds=1))).sent_kinds[
        "protocol"
    ] == 1


async def test_quiet_hours_set_after_planning_still_defer(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    ann, ben, dynamic_id = await couple(client, "Ann", "Ben", timezone="UTC")
    due = next_minute(10)
    await active_protocol(client, ann, ben, dynamic_id, ben, [clock(due)])
    await run_plan(app, datetime.now(UTC))
    end = due + timedelta(hours=1)
    await client.patch(
        "/api/me",
        json={
            "quiet_hours_start": clock(due - timedelta(minutes=30)),
            "quiet_hours_end": clock(end),
        },
        headers=ben.headers,
    )
    moved = await dispatch_once(app.state.db, None, due + timedelta(seconds=1))
    assert moved.sent_kinds["protocol"] == 0 and moved.moved >= 1
    (planned,) = [r for r in await reminders(app, kind="protocol") if r.scheduled_for == due]
    assert planned.due_at == end and planned.state == "pending"


async def test_a_renegotiated_schedule_replaces_the_old_times(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    ann, ben, dynamic_id = await couple(client, "Ann", "Ben", timezone="UTC")
    old, new = next_minute(10), next_minute(20)
    pid = await active_protocol(client, ann, ben, dynamic_id, ben, [clock(old)])
    await run_plan(app, datetime.now(UTC))
    current = (await client.get(f"/api/protocols/{pid}", headers=ann.headers)).json()
    changed = await client.patch(
        f"/api/protocols/{pid}",
        json={"schedule": {"times": [clock(new)]}},
        headers={**ann.headers, "If-Match": current["etag"]},
    )
    assert changed.status_code == 200, changed.text
    # Until Ben agrees, the old schedule stays in force and is reminded.
    assert (await dispatch_once(app.state.db, None, old + timedelta(seconds=5))).sent_kinds[
        "protocol"
    ] == 1
    agreed = await client.post(
        f"/api/protocols/{pid}/agree", json={"version": 2}, headers=ben.headers
    )
    assert agreed.status_code == 200, agreed.text
    await run_plan(app, datetime.now(UTC))
    assert (await dispatch_once(app.state.db, None, new + timedelta(seconds=5))).sent_kinds[
        "protocol"
    ] == 1
    # Tomorrow's old time was planned before the change: it is no longer due.
    old_tomorrow = old + timedelta(days=1)
    result = await dispatch_once(app.state.db, None, old_tomorrow + timedelta(seconds=5))
    assert result.sent_kinds["protocol"] == 0
    tomorrows = [r for r in await reminders(app, kind="protocol") if r.due_at == old_tomorrow]
    assert [(r.state, r.outcome) for r in tomorrows] == [("skipped", "not_due_anymore")]


async def test_checkin_reminder_for_members_who_turned_it_on(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    ann, _ben, _dynamic_id = await couple(client, "Ann", "Ben", timezone="UTC")
    due = next_minute(10)
    on = await client.patch(
        "/api/me", json={"checkin_reminder_time": clock(due)}, headers=ann.headers
    )
    assert on.status_code == 200
    await run_plan(app, datetime.now(UTC))
    planned = await reminders(app, kind="checkin")
    assert {str(r.user_id) for r in planned} == {ann.id}
    assert (await dispatch_once(app.state.db, None, due + timedelta(seconds=5))).sent_kinds[
        "checkin"
    ] == 1
    off = await client.patch("/api/me", json={"checkin_reminder_time": None}, headers=ann.headers)
    assert off.status_code == 200
    tomorrow = due + timedelta(days=1)
    assert (await dispatch_once(app.state.db, None, tomorrow + timedelta(seconds=5))).sent_kinds[
        "checkin"
    ] == 0


async def test_review_date_reminds_both(client: httpx.AsyncClient, app: FastAPI) -> None:
    ann, ben, dynamic_id = await couple(client, "Ann", "Ben", timezone="UTC")
    today = datetime.now(UTC).date()
    await active_protocol(
        client,
        ann,
        ben,
        dynamic_id,
        ben,
        ["23:59"],
        review_on=(today + timedelta(days=1)).isoformat(),
    )
    await run_plan(app, datetime.now(UTC))
    planned = await reminders(app, kind="review")
    assert {str(r.user_id) for r in planned} == {ann.id, ben.id}
    assert all(r.due_at.date() == today + timedelta(days=1) for r in planned)


async def test_snooze(client: httpx.AsyncClient, app: FastAPI) -> None:
    ann, ben, dynamic_id = await couple(client, "Ann", "Ben", timezone="UTC")
    due = next_minute(10)
    await active_protocol(client, ann, ben, dynamic_id, ben, [clock(due)])
    await run_plan(app, datetime.now(UTC))
    (first,) = [r for r in await reminders(app, kind="protocol") if r.due_at == due]
    other = await client.post(f"/api/reminders/{first.id}/snooze", json={}, headers=ann.headers)
    assert other.status_code == 404
    bad = await client.post(
        f"/api/reminders/{first.id}/snooze", json={"minutes": 0}, headers=ben.headers
    )
    assert bad.status_code == 422
    snoozed = await client.post(
        f"/api/reminders/{first.id}/snooze", json={"minutes": 30}, headers=ben.headers
    )
    assert snoozed.status_code == 200, snoozed.text
    assert datetime.fromisoformat(snoozed.json()["due_at"]) == due + timedelta(minutes=30)
    assert (await dispatch_once(app.state.db, None, due + timedelta(minutes=1))).sent_kinds[
        "protocol"
    ] == 0
    assert (await dispatch_once(app.state.db, None, due + timedelta(minutes=31))).sent_kinds[
        "protocol"
    ] == 1
    done = await client.post(f"/api/reminders/{first.id}/snooze", json={}, headers=ben.headers)
    assert done.status_code == 409 and error_code(done) == "reminder_done"


async def test_nudge_once_a_day_each_way(
    client: httpx.AsyncClient,
    app: FastAPI,
    alice: Member,
    bob: Member,
    eve: Member,
    dynamic_id: str,
) -> None:
    first = await client.post(f"/api/dynamics/{dynamic_id}/nudge", headers=alice.headers)
    assert first.status_code == 201, first.text
    inbox = (await client.get("/api/notifications", headers=bob.headers)).json()["items"]
    assert [n["kind"] for n in inbox].count("nudge") == 1
    again = await client.post(f"/api/dynamics/{dynamic_id}/nudge", headers=alice.headers)
    assert again.status_code == 429 and error_code(again) == "nudge_limit"
    assert 0 < int(again.headers["retry-after"]) <= 24 * 3600
    back = await client.post(f"/api/dynamics/{dynamic_id}/nudge", headers=bob.headers)
    assert back.status_code == 201, back.text
    outsider = await client.post(f"/api/dynamics/{dynamic_id}/nudge", headers=eve.headers)
    assert outsider.status_code == 404
    # The nudge's push is queued for Bob only, once.
    queued = await reminders(app, kind="notification")
    assert sum(1 for r in queued if str(r.user_id) == bob.id) >= 1


async def test_no_nudge_under_a_red(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    await client.post(f"/api/dynamics/{dynamic_id}/red", json={}, headers=bob.headers)
    refused = await client.post(f"/api/dynamics/{dynamic_id}/nudge", headers=alice.headers)
    assert refused.status_code == 409 and error_code(refused) == "dynamic_paused"


async def test_inbox_notifications_are_queued_and_sent_once(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    red = await client.post(f"/api/dynamics/{dynamic_id}/red", json={}, headers=bob.headers)
    assert red.status_code == 200
    queued = [r for r in await reminders(app, kind="notification") if str(r.user_id) == alice.id]
    assert queued, "the red notice is queued for Alice's devices"
    now = datetime.now(UTC) + timedelta(seconds=1)
    results = await asyncio.gather(*(dispatch_once(app.state.db, None, now) for _ in range(3)))
    assert sum(r.sent for r in results) == len(await reminders(app, state="sent"))
    # Even while paused: the red's own notice is not a reminder and must reach the partner.
    assert all(r.state == "sent" for r in await reminders(app, kind="notification"))


@pytest.mark.parametrize(
    ("kind", "data", "screen"),
    [
        ("protocol_proposed", {"protocol_id": "p1", "version": 1}, "/#/protocol/p1"),
        ("completion_recorded", {"protocol_id": "p1", "completion_id": "c1"}, "/#/protocol/p1"),
        ("partner_checked_in", {"checkin_id": "c1", "has_needs": True}, "/#/checkins"),
        ("checkin_answered", {"checkin_id": "c1"}, "/#/checkins"),
        ("limits_updated", {}, "/#/limits"),
        ("red", {}, "/#/home"),
        ("nudge", {}, "/#/home"),
        # A protocol id on a kind that is not about protocols does not make a protocol link.
        ("partner_linked", {"protocol_id": "p1"}, "/#/home"),
    ],
)
def test_a_notification_opens_the_screen_it_is_about(
    kind: str, data: dict[str, object], screen: str
) -> None:
    notification = Notification(user_id=uuid.uuid4(), kind=kind, data=data)
    assert screen_for(notification) == screen


@pytest.mark.parametrize(
    "kind", [k for k in NotificationKind if k != NotificationKind.reminder], ids=str
)
async def test_every_kind_pushed_has_its_own_words(app: FastAPI, kind: NotificationKind) -> None:
    # A reminder's inbox entry is never pushed itself: its reminder is, with its own words.
    notification = Notification(user_id=uuid.uuid4(), kind=kind, data={})
    now = datetime(2026, 1, 5, 9, tzinfo=UTC)
    reminder = Reminder(
        key=f"notification:{notification.id}",
        kind="notification",
        user_id=notification.user_id,
        scheduled_for=now,
        due_at=now,
    )
    async with app.state.db.reader() as session:
        message = await message_for(session, reminder, notification)
    assert message.body != "Something new in your dynamic"
    assert message.tag == kind
