"""A reminder set up through the API arrives, decrypted and verified, at the right local minute,
once — with the dispatcher running inside the app, as ``make run`` starts it.

The app's dispatcher reads a clock the test moves (tests/helpers/clock.py): the minute comes when
the test says so, not when the wall clock gets there. (On PostgreSQL the dispatcher runs as
separate worker processes: tests/test_workers.py.)
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import col, select

from app.core.db import utcnow
from app.main import create_app
from app.notifications.models import Reminder
from tests.conftest import make_settings
from tests.helpers import Member, pair, register
from tests.helpers.clock import Clock
from tests.push_service import PushService, Received

ZONE = ZoneInfo("Asia/Kolkata")  # +05:30: a local minute that is not a UTC minute's twin


async def _arrived(
    push_service: PushService, predicate: Callable[[Received], bool], *, within: float = 20
) -> list[Received]:
    """What has reached the push service and matches, once something has (or ``within``
    seconds passed: the dispatcher's work, not a moment, is what is waited for)."""
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        found = [r for r in push_service.received() if predicate(r)]
        if found:
            return found
        await asyncio.sleep(0.05)
    return []


def _is_reminder(received: Received) -> bool:
    return received.payload is not None and received.payload.get("title") == "Reminder"


async def _occurrence(app: FastAPI, protocol_id: str, due: datetime) -> Reminder:
    """The planned reminder of the protocol's occurrence at ``due``."""
    async with app.state.db.reader() as session:
        result = await session.execute(
            select(Reminder).where(
                col(Reminder.protocol_id) == uuid.UUID(protocol_id), col(Reminder.due_at) == due
            )
        )
        return result.scalar_one()


async def test_reminder_arrives_decrypted_at_the_local_minute_once(
    app: FastAPI, database_url: str, tmp_path: Path, push_service: PushService, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the in-app dispatcher is the embedded (SQLite) setup; see test_workers.py")
    # A whole local minute a few minutes ahead: the test moves the clock there.
    target = (datetime.now(ZONE) + timedelta(minutes=5)).replace(second=0, microsecond=0)
    clock = Clock(utcnow())
    embedded = create_app(
        make_settings(
            database_url,
            tmp_path / "data",
            push_allow_insecure_endpoints=True,
            dispatcher=True,
            dispatch_interval_seconds=0.05,
        ),
        dispatcher_clock=clock,
    )
    async with embedded.router.lifespan_context(embedded):
        transport = httpx.ASGITransport(app=embedded)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            ann = await register(client, "Ann", timezone=str(ZONE))
            ben: Member = await register(client, "Ben", timezone=str(ZONE))
            dynamic_id = await pair(client, ann, ben)
            device = push_service.new_device()
            subscribed = await client.post(
                "/api/push/subscriptions", json=device.subscription(), headers=ben.headers
            )
            assert subscribed.status_code == 201, subscribed.text
            shown = await client.patch(
                "/api/me", json={"discreet_notifications": False}, headers=ben.headers
            )
            assert shown.status_code == 200

            proposed = await client.post(
                f"/api/dynamics/{dynamic_id}/protocols",
                json={
                    "title": "Stretch together",
                    "kind": "ritual",
                    "performer_ids": [ben.id],
                    "schedule": {"times": [target.strftime("%H:%M")]},
                },
                headers=ann.headers,
            )
            assert proposed.status_code == 201, proposed.text
            protocol_id = proposed.json()["id"]
            agreed = await client.post(
                f"/api/protocols/{protocol_id}/agree", json={"version": 1}, headers=ben.headers
            )
            assert agreed.status_code == 200, agreed.text

            # Half a minute before: the inbox notice of the proposal (due when it was made)
            # reaches Ben's phone, decrypted and verified; the reminder is planned, not sent.
            clock.set(target.astimezone(UTC) - timedelta(seconds=30))
            proposal = await _arrived(
                push_service,
                lambda r: r.payload is not None and "proposed" in r.payload.get("body", ""),
            )
            assert proposal, push_service.received()
            clock.set(target.astimezone(UTC) - timedelta(seconds=1))
            await clock.rounds_read()
            planned = await _occurrence(embedded, protocol_id, target.astimezone(UTC))
            assert planned.state == "pending"
            assert not [r for r in push_service.received() if _is_reminder(r)]

            # The minute comes: the reminder is sent at it, and arrives.
            clock.set(target.astimezone(UTC))
            arrived = await _arrived(push_service, _is_reminder)
            assert arrived, [r.payload for r in push_service.received()]
            (reminder,) = arrived
            assert reminder.status == 201 and reminder.problems == []
            assert reminder.payload is not None
            assert reminder.payload["body"] == "Stretch together"
            assert reminder.payload["url"] == f"/#/protocol/{protocol_id}"
            assert reminder.headers.get("urgency") == "normal"
            assert reminder.claims is not None and reminder.claims["aud"] == push_service.origin
            sent = await _occurrence(embedded, protocol_id, target.astimezone(UTC))
            assert sent.state == "sent"
            assert sent.sent_at == target.astimezone(UTC)

            # Rounds go on a minute later; the same occurrence is never sent again.
            clock.set(target.astimezone(UTC) + timedelta(minutes=1))
            await clock.rounds_read()
            assert len([r for r in push_service.received() if _is_reminder(r)]) == 1
            listed = await client.get("/api/notifications", headers=ben.headers)
            kinds = [n["kind"] for n in listed.json()["items"]]
            assert kinds.count("reminder") == 1
