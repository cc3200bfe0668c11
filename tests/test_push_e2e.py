"""A reminder set up through the API arrives, decrypted and verified, at the right local minute,
once — with the dispatcher running inside the app, as ``make run`` starts it.

(On PostgreSQL the dispatcher runs as separate worker processes: tests/test_workers.py.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from app.main import create_app
from tests.conftest import make_settings
from tests.helpers import Member, pair, register
from tests.push_service import PushService, Received


def _local_minute_ahead(zone: ZoneInfo) -> datetime:
    """The next whole local minute at least 15 seconds away."""
    now = datetime.now(zone)
    target = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    if (target - now).total_seconds() < 15:
        target += timedelta(minutes=1)
    return target


async def _wait_for(
    push_service: PushService, predicate: Callable[[Received], bool], *, within: float
) -> list[Received]:
    deadline = asyncio.get_running_loop().time() + within
    while asyncio.get_running_loop().time() < deadline:
        found = [r for r in push_service.received() if predicate(r)]
        if found:
            return found
        await asyncio.sleep(0.2)
    return []


async def test_reminder_arrives_decrypted_at_the_local_minute_once(
    app: FastAPI, database_url: str, tmp_path: Path, push_service: PushService, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("the in-app dispatcher is the embedded (SQLite) setup; see test_workers.py")
    zone_name = "Asia/Kolkata"  # +05:30: a local minute that is not a UTC minute's twin
    embedded = create_app(
        make_settings(
            database_url,
            tmp_path / "data",
            push_allow_insecure_endpoints=True,
            dispatcher=True,
            dispatch_interval_seconds=0.2,
        )
    )
    async with embedded.router.lifespan_context(embedded):
        transport = httpx.ASGITransport(app=embedded)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            ann = await register(client, "Ann", timezone=zone_name)
            ben: Member = await register(client, "Ben", timezone=zone_name)
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

            target = _local_minute_ahead(ZoneInfo(zone_name))
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
            agreed = await client.post(
                f"/api/protocols/{proposed.json()['id']}/agree",
                json={"version": 1},
                headers=ben.headers,
            )
            assert agreed.status_code == 200, agreed.text

            # The inbox notice of the proposal reached Ben's phone too, decrypted and verified.
            proposal = await _wait_for(
                push_service,
                lambda r: r.payload is not None and "proposed" in r.payload.get("body", ""),
                within=20,
            )
            assert proposal, push_service.received()

            def is_reminder(r: Received) -> bool:
                return r.payload is not None and r.payload.get("title") == "Reminder"

            wait = (target - datetime.now(UTC)).total_seconds() + 30
            arrived = await _wait_for(push_service, is_reminder, within=wait)
            landed_at = datetime.now(UTC)
            assert arrived, [r.payload for r in push_service.received()]
            (reminder,) = arrived
            assert reminder.status == 201 and reminder.problems == []
            assert reminder.payload is not None
            assert reminder.payload["body"] == "Stretch together"
            assert reminder.payload["url"] == f"/#/protocol/{proposed.json()['id']}"
            assert reminder.headers.get("urgency") == "normal"
            assert reminder.claims is not None and reminder.claims["aud"] == push_service.origin
            assert target <= landed_at < target + timedelta(seconds=20)

            # Rounds go on; the same occurrence is never sent again.
            await asyncio.sleep(2)
            assert len([r for r in push_service.received() if is_reminder(r)]) == 1
            listed = await client.get("/api/notifications", headers=ben.headers)
            kinds = [n["kind"] for n in listed.json()["items"]]
            assert kinds.count("reminder") == 1
