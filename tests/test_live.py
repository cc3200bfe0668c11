"""Live events (``GET /api/events``) from real app processes, as phones hold them.

Each test talks over real sockets to ``uvicorn`` processes on the run's database: on
PostgreSQL two of them, so that a change written through one must reach a stream held on the
other (through ``NOTIFY``/``LISTEN``); on SQLite one (its channel is in-process). The beat is
short (``LIVE_HEARTBEAT_SECONDS``) so that what must happen "within one beat" happens within a
test's patience; every wait is bounded and no test asserts a duration.
"""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from app.core.db import utcnow, write_session
from app.core.models import IdempotencyRecord
from app.live.hub import APPLICATION_NAME
from app.live.models import LiveTicket
from tests.helpers import Member, error_code, members, pair, register
from tests.processes import Server, start_server, stop
from tests.sse import PATIENCE, feed_cursor, listening, positions

BEAT = 0.3
MAX_STREAMS = 3


def _start(database_url: str, data_dir: Path, name: str, **env: str) -> Server:
    """An app process with a short beat and a small stream limit."""
    return start_server(
        database_url,
        data_dir,
        name,
        LIVE_HEARTBEAT_SECONDS=str(BEAT),
        LIVE_MAX_STREAMS_PER_USER=str(MAX_STREAMS),
        **env,
    )


def _stop(server: Server) -> None:
    stop(server)


@pytest.fixture(scope="module")
def servers(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Server]]:
    """Two app processes on PostgreSQL, one on SQLite (one process is SQLite's deployment)."""
    count = 1 if database_url.startswith("sqlite") else 2
    data_dir = tmp_path_factory.mktemp("live")
    started = [_start(database_url, data_dir, f"app{i}") for i in range(count)]
    yield started
    for server in started:
        _stop(server)


@pytest.fixture
async def writer(servers: list[Server], app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The client that writes, on the first process (``app`` is asked for so that the suite
    empties the tables after the test)."""
    async with httpx.AsyncClient(base_url=servers[0].base, timeout=PATIENCE) as client:
        yield client


@pytest.fixture
async def reader(servers: list[Server]) -> AsyncIterator[httpx.AsyncClient]:
    """The client that holds streams, on the last process (another one on PostgreSQL)."""
    async with httpx.AsyncClient(base_url=servers[-1].base, timeout=PATIENCE) as client:
        yield client


@pytest.fixture
async def couple(writer: httpx.AsyncClient) -> tuple[Member, Member, str]:
    return await members.couple(writer)


# --- a partner's signal, across processes -------------------------------------------------------


async def test_a_red_through_one_process_reaches_a_stream_on_another(
    writer: httpx.AsyncClient,
    reader: httpx.AsyncClient,
    couple: tuple[Member, Member, str],
) -> None:
    alice, bob, dynamic_id = couple
    before = await feed_cursor(reader, alice)
    async with listening(reader, member=alice) as stream:
        red = await writer.post(
            f"/api/dynamics/{dynamic_id}/red", json={"note": "stop"}, headers=bob.idem()
        )
        assert red.status_code == 200, red.text
        change = await stream.change()
    assert change.id is not None and json.loads(change.data) == {"cursor": change.id}
    # The event names where the feed stands: pulling the feed reaches it, and shows the red.
    page = await reader.get("/api/sync", params={"cursor": before}, headers=alice.headers)
    dynamics = [c["data"] for c in page.json()["changes"] if c["entity"] == "dynamic"]
    assert dynamics and dynamics[-1]["state"] == "paused"
    bobs = next(m for m in dynamics[-1]["members"] if m["user_id"] == bob.id)
    assert bobs["red_note"] == "stop"
    after = positions(page.json()["cursor"])
    assert all(after.get(stream, 0) >= seq for stream, seq in positions(change.id).items())


async def test_every_kind_of_change_wakes_the_partner_and_nothing_wakes_an_outsider(
    writer: httpx.AsyncClient,
    reader: httpx.AsyncClient,
    couple: tuple[Member, Member, str],
) -> None:
    alice, bob, dynamic_id = couple
    eve = await register(writer, "Eve")
    async with listening(reader, member=alice) as alices, listening(reader, member=eve) as eves:
        for path, body in (
            (f"/api/dynamics/{dynamic_id}/yellow", {"note": "let's talk tonight"}),
            (f"/api/dynamics/{dynamic_id}/checkins", {"mood": 2, "needs": ["talk"]}),
            (f"/api/dynamics/{dynamic_id}/nudge", {}),
        ):
            answer = await writer.post(path, json=body, headers=bob.idem())
            assert answer.status_code in (200, 201), answer.text
            await alices.change()
        await eves.quiet_for_beats(3)


async def test_a_new_dynamic_is_followed_without_reconnecting(
    writer: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    alice = await register(writer, "Alice")
    bob = await register(writer, "Bob")
    async with listening(reader, member=alice) as stream:
        dynamic_id = await pair(writer, alice, bob)
        await stream.change()  # linked: the inviter's own stream moved
        red = await writer.post(f"/api/dynamics/{dynamic_id}/red", json={}, headers=bob.idem())
        assert red.status_code == 200
        change = await stream.change()
        # Now following the new dynamic's stream as well.
        assert f"d:{dynamic_id}" in positions(change.id or "")


# --- replay ---------------------------------------------------------------------------------------


async def test_a_dropped_stream_replays_at_once_and_misses_nothing(
    writer: httpx.AsyncClient,
    reader: httpx.AsyncClient,
    couple: tuple[Member, Member, str],
) -> None:
    alice, bob, dynamic_id = couple
    seen = await feed_cursor(reader, alice)
    async with listening(reader, member=alice, params={"cursor": seen}) as stream:
        # Where Alice stands is where the feed stands: nothing to replay.
        await stream.quiet_for_beats(2)
        checkin = await writer.post(
            f"/api/dynamics/{dynamic_id}/checkins", json={"mood": 4}, headers=bob.idem()
        )
        assert checkin.status_code == 201
        last = await stream.change()
    # The phone drops off; meanwhile Bob raises yellow and checks in again.
    yellow = await writer.post(f"/api/dynamics/{dynamic_id}/yellow", json={}, headers=bob.idem())
    again = await writer.post(
        f"/api/dynamics/{dynamic_id}/checkins", json={"mood": 2}, headers=bob.idem()
    )
    assert yellow.status_code == 200 and again.status_code == 201
    # Reconnecting with the last event's id (what a browser sends) replays at once...
    async with listening(reader, member=alice, headers={"Last-Event-ID": last.id or ""}) as s:
        replay = await s.change()
    moved = positions(replay.id or "")
    assert any(seq > positions(last.id or "").get(name, 0) for name, seq in moved.items())
    # ... and the feed from where Alice was holds every change she missed.
    page = await reader.get("/api/sync", params={"cursor": seen}, headers=alice.headers)
    ids = {(c["entity"], c["id"]) for c in page.json()["changes"]}
    assert ("checkin", checkin.json()["id"]) in ids
    assert ("checkin", again.json()["id"]) in ids
    assert ("dynamic", dynamic_id) in ids


async def test_a_cursor_that_is_not_one_is_refused(
    reader: httpx.AsyncClient, writer: httpx.AsyncClient
) -> None:
    alice = await register(writer, "Alice")
    for params, headers in (
        ({"cursor": "not-a-cursor"}, {}),
        ({}, {"Last-Event-ID": "bm90IGpzb24"}),
    ):
        answer = await reader.get(
            "/api/events", params=params, headers={**alice.headers, **headers}
        )
        assert answer.status_code == 422
        assert error_code(answer) == "invalid_cursor"


# --- who may listen ---------------------------------------------------------------------------


async def test_a_ticket_opens_one_stream_once(
    writer: httpx.AsyncClient, reader: httpx.AsyncClient, app: FastAPI
) -> None:
    alice = await register(writer, "Alice")
    made = await writer.post("/api/events/ticket", json={}, headers=alice.idem())
    assert made.status_code == 201, made.text
    ticket = made.json()["ticket"]
    # Sent with an Idempotency-Key, as the web app sends every POST: still never stored.
    async with app.state.db.reader() as session:
        stored = (await session.execute(select(IdempotencyRecord))).scalars().all()
    assert not any(ticket.encode() in (r.response_body or b"") for r in stored)
    assert not any(r.user_id == uuid.UUID(alice.id) for r in stored)
    async with listening(reader, params={"ticket": ticket}):
        pass
    again = await reader.get("/api/events", params={"ticket": ticket})
    assert again.status_code == 401 and error_code(again) == "unauthorized"

    # Two uses racing: exactly one stream opens.
    ticket = (await writer.post("/api/events/ticket", headers=alice.headers)).json()["ticket"]
    codes = await asyncio.gather(*(_status_of_stream(reader, ticket) for _ in range(4)))
    assert sorted(codes) == [200, 401, 401, 401]

    # An expired one is refused, and so is one whose session ended.
    late = (await writer.post("/api/events/ticket", headers=alice.headers)).json()["ticket"]
    async with write_session(app.state.db) as session:
        await session.execute(update(LiveTicket).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert (await reader.get("/api/events", params={"ticket": late})).status_code == 401
    orphan = (await writer.post("/api/events/ticket", headers=alice.headers)).json()["ticket"]
    logout = await writer.post(
        "/api/auth/logout", json={"refresh_token": alice.refresh_token}, headers=alice.headers
    )
    assert logout.status_code in (200, 204), logout.text
    assert (await reader.get("/api/events", params={"ticket": orphan})).status_code == 401


async def _status_of_stream(client: httpx.AsyncClient, ticket: str) -> int:
    async with client.stream("GET", "/api/events", params={"ticket": ticket}) as response:
        return response.status_code


async def test_no_stream_without_a_live_session(
    writer: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    alice = await register(writer, "Alice")
    for headers, params in (
        ({}, {}),
        ({"Authorization": "Bearer not-a-token"}, {}),
        ({}, {"ticket": "made-up"}),
    ):
        answer = await reader.get("/api/events", headers=headers, params=params)
        assert answer.status_code == 401, answer.text
    ticket_without_auth = await writer.post("/api/events/ticket", json={})
    assert ticket_without_auth.status_code == 401
    extra = await writer.post("/api/events/ticket", json={"x": 1}, headers=alice.headers)
    assert extra.status_code == 422


async def test_signing_out_ends_the_stream_within_a_beat(
    writer: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    alice = await register(writer, "Alice")
    async with listening(reader, member=alice) as stream:
        stream.count_beats()
        logout = await writer.post(
            "/api/auth/logout", json={"refresh_token": alice.refresh_token}, headers=alice.headers
        )
        assert logout.status_code in (200, 204), logout.text
        # Counted from the answer: a busy machine can make the sign-out itself take beats.
        await stream.ended_within(since=stream.beats)


async def test_revoking_a_device_ends_its_streams_and_only_its_own(
    writer: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    alice = await register(writer, "Alice")
    login = await writer.post(
        "/api/auth/login", json={"email": alice.email, "password": alice.password}
    )
    laptop = Member(
        id=alice.id,
        email=alice.email,
        name="Alice",
        access_token=login.json()["access_token"],
        refresh_token=login.json()["refresh_token"],
    )
    sessions = (await writer.get("/api/me/sessions", headers=laptop.headers)).json()
    phone_session = next(s for s in sessions if not s["current"])
    async with listening(reader, member=alice) as phone, listening(reader, member=laptop) as lap:
        phone.count_beats()
        revoked = await writer.delete(
            f"/api/me/sessions/{phone_session['id']}", headers=laptop.headers
        )
        assert revoked.status_code == 204, revoked.text
        await phone.ended_within(since=phone.beats)
        await lap.quiet_for_beats(2)


async def test_too_many_streams_for_one_person_is_a_429(
    writer: httpx.AsyncClient, reader: httpx.AsyncClient
) -> None:
    alice = await register(writer, "Alice")
    bob = await register(writer, "Bob")
    async with contextlib_stack(reader, alice, MAX_STREAMS):
        refused = await reader.get("/api/events", headers=alice.headers)
        assert refused.status_code == 429
        assert error_code(refused) == "too_many_streams"
        assert int(refused.headers["Retry-After"]) >= 1
        # Someone else is not counted against Alice.
        async with listening(reader, member=bob):
            pass
    # Once Alice's streams are closed, she may open one again (the server notices a closed
    # stream when its peer goes: retried a bounded number of times, never timed).
    for _ in range(200):
        async with reader.stream("GET", "/api/events", headers=alice.headers) as response:
            if response.status_code == 200:
                break
        await asyncio.sleep(BEAT / 4)
    else:
        raise AssertionError("the closed streams were never released")


@asynccontextmanager
async def contextlib_stack(
    client: httpx.AsyncClient, member: Member, count: int
) -> AsyncIterator[None]:
    from contextlib import AsyncExitStack

    async with AsyncExitStack() as stack:
        for _ in range(count):
            await stack.enter_async_context(listening(client, member=member))
        yield


# --- PostgreSQL: the LISTEN connection ----------------------------------------------------------


async def test_a_lost_listen_connection_comes_back_and_nothing_is_missed(
    writer: httpx.AsyncClient,
    reader: httpx.AsyncClient,
    couple: tuple[Member, Member, str],
    backend: str,
    database_url: str,
    request: pytest.FixtureRequest,
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite hears its changes in-process: there is no connection to lose")
    admin_url: str = request.getfixturevalue("pg_admin_url")
    alice, bob, dynamic_id = couple
    database = database_url.rsplit("/", 1)[1]
    async with listening(reader, member=alice) as stream:
        admin = await asyncpg.connect(admin_url)
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = $1 AND application_name = $2",
                database,
                APPLICATION_NAME,
            )
        finally:
            await admin.close()
        assert killed == 2  # one per app process
        # Written while (very likely) no process listens: heard when the stream looks again.
        red = await writer.post(f"/api/dynamics/{dynamic_id}/red", json={}, headers=bob.idem())
        assert red.status_code == 200
        change = await stream.change()
        assert positions(change.id or "").get(f"d:{dynamic_id}", 0) > 0
        # And the new connection carries what comes next.
        resumed = await writer.post(
            f"/api/dynamics/{dynamic_id}/resume", json={}, headers=bob.idem()
        )
        assert resumed.status_code == 200
        later = await stream.change()
        assert (
            positions(later.id or "")[f"d:{dynamic_id}"]
            > positions(change.id or "")[f"d:{dynamic_id}"]
        )


# --- shutting down --------------------------------------------------------------------------------


async def test_stopping_the_server_closes_open_streams(
    database_url: str, tmp_path: Path, app: FastAPI
) -> None:
    server = await asyncio.to_thread(_start, database_url, tmp_path / "data", "stopping")
    try:
        async with httpx.AsyncClient(base_url=server.base, timeout=PATIENCE) as client:
            alice = await register(client, "Alice")
            async with listening(client, member=alice) as stream:
                server.process.send_signal(signal.SIGTERM)
                await stream.ended()
        # Gone, not hanging on the open stream (uvicorn ends by raising the signal it caught
        # again, once it has shut down cleanly).
        code = await asyncio.to_thread(server.process.wait, PATIENCE)
        assert code in (0, -signal.SIGTERM)
    finally:
        _stop(server)
    assert "Traceback" not in server.log.read_text()
