"""The hub's beat, in-process on the run's database, with a clock the test moves."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import insert

from app.core.db import utcnow, write_session
from app.core.security import decode_access_token
from app.live.hub import Hub, Stream
from app.sync.models import ChangeStream
from tests.helpers import Member


class Clock:
    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


def holder(app: FastAPI, member: Member) -> tuple[uuid.UUID, uuid.UUID]:
    claims = decode_access_token(app.state.settings, member.access_token)
    return claims.user_id, claims.session_id


async def test_the_beat_pings_live_streams_and_ends_expired_and_signed_out_ones(
    app: FastAPI, client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    clock = Clock()
    hub = Hub(app.state.db, app.state.settings, clock)
    alices = hub.open(*holder(app, alice))
    bobs = hub.open(*holder(app, bob))
    await hub.beat()
    assert alices.ended is None and alices.ping and bobs.ping

    logout = await client.post(
        "/api/auth/logout", json={"refresh_token": bob.refresh_token}, headers=bob.headers
    )
    assert logout.status_code in (200, 204)
    await hub.beat()
    assert bobs.ended == "signed_out" and alices.ended is None

    clock.now += timedelta(minutes=app.state.settings.access_token_minutes, seconds=1)
    await hub.beat()
    assert alices.ended == "expired"


async def test_a_stream_opened_while_the_beat_asks_is_not_ended_by_it(
    app: FastAPI, alice: Member, bob: Member
) -> None:
    """Found by ``make bench-live``: streams opened during the beat's query were ended as if
    signed out, because the beat judged every open stream by a query that did not ask about
    them."""
    late: list[Stream] = []

    class OpenedMeanwhile(Hub):
        async def _live_sessions(self, ids: set[uuid.UUID]) -> set[uuid.UUID]:
            live = await super()._live_sessions(ids)
            late.append(self.open(*holder(app, bob)))
            return live

    hub = OpenedMeanwhile(app.state.db, app.state.settings)
    first = hub.open(*holder(app, alice))
    await hub.beat()
    assert first.ended is None
    assert late[0].ended is None


async def test_a_change_wakes_only_its_followers(app: FastAPI, alice: Member, bob: Member) -> None:
    hub = Hub(app.state.db, app.state.settings)
    alices = hub.open(*holder(app, alice))
    bobs = hub.open(*holder(app, bob))
    hub.follow(alices, {"d:one", alices.own_stream})
    hub.follow(bobs, {"d:two", bobs.own_stream})
    hub.deliver(["d:one 7", "nonsense", "d:three 2"])
    assert alices.positions == {"d:one": 7} and alices.moved
    assert bobs.positions == {} and not bobs.moved
    bobs.reload = False
    hub.deliver([f"{bobs.own_stream} 3"])
    assert bobs.reload and bobs.positions == {bobs.own_stream: 3}
    # Following less stops the waking; a closed stream is woken by nothing.
    hub.follow(alices, {alices.own_stream})
    alices.moved = False
    hub.deliver(["d:one 8"])
    assert not alices.moved
    hub.close(bobs)
    bobs.moved = False
    hub.deliver([f"{bobs.own_stream} 4"])
    assert not bobs.moved and hub.open_count == 1


async def test_catching_up_after_a_lost_listen_asks_once_for_every_stream(
    app: FastAPI, alice: Member, bob: Member
) -> None:
    """What a stream missed while no LISTEN connection held is read from the database, in
    one query for all open streams, and delivered as if announced."""
    hub = Hub(app.state.db, app.state.settings)
    alices = hub.open(*holder(app, alice))
    bobs = hub.open(*holder(app, bob))
    hub.follow(alices, {"d:shared", alices.own_stream})
    hub.follow(bobs, {"d:shared", bobs.own_stream})
    async with write_session(app.state.db) as session:
        await session.execute(insert(ChangeStream).values([{"stream": "d:shared", "seq": 5}]))
        await session.execute(insert(ChangeStream).values([{"stream": bobs.own_stream, "seq": 2}]))
    alices.reload = bobs.reload = False
    await hub._catch_up()
    assert alices.positions == {"d:shared": 5} and alices.moved and not alices.reload
    assert bobs.positions == {"d:shared": 5, bobs.own_stream: 2} and bobs.reload
