"""Home and the balance kept per process (app/core/views.py), on both databases.

A kept view must never be one a fresh computation would not give: after any write of what it
shows, in another process as in this one, and once time alone changes it (a need expiring,
midnight in a performer's zone, the balance's window moving on). Each check compares the app's
answer with a second app's on the same database (another worker) whose store was just emptied,
so whose answer is computed afresh, at the same instant of the clock both take.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from app.core.views import ViewCache
from tests.conftest import app_on, asgi_client
from tests.helpers import PASSWORD, Member, pair
from tests.helpers.checkins import answer, check_in
from tests.helpers.clock import Clock
from tests.helpers.protocols import active_protocol, complete, terms

START = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def today_url(dynamic_id: str) -> str:
    return f"/api/dynamics/{dynamic_id}/today"


def balance_url(dynamic_id: str) -> str:
    return f"/api/dynamics/{dynamic_id}/balance?days=28"


@pytest.fixture
def clock(app: FastAPI) -> Iterator[Clock]:
    """The clock the shared app reads for home and the balance, standing at the present."""
    clock = Clock(datetime.now(UTC))
    saved = app.state.clock
    app.state.clock = clock
    yield clock
    app.state.clock = saved


@pytest.fixture
async def fresh_app(
    app: FastAPI, database_url: str, tmp_path: Path, clock: Clock
) -> AsyncIterator[FastAPI]:
    """Another worker on the same database and clock."""
    async with app_on(database_url, tmp_path, clock=clock) as other:
        yield other


@pytest.fixture
async def fresh(fresh_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(fresh_app) as c:
        yield c


@dataclass
class Workers:
    """The shared app and another worker, and the pair whose dynamic both serve."""

    client: httpx.AsyncClient
    fresh: httpx.AsyncClient
    fresh_app: FastAPI
    members: list[Member]
    dynamic_id: str

    async def current(self) -> dict[str, Any]:
        return await assert_current(
            self.client, self.fresh, self.fresh_app, self.members, self.dynamic_id
        )

    async def current_in_the_other(self) -> dict[str, Any]:
        return await assert_current(
            self.fresh, self.client, self.fresh_app, self.members, self.dynamic_id
        )


@pytest.fixture
def workers(
    client: httpx.AsyncClient,
    fresh: httpx.AsyncClient,
    fresh_app: FastAPI,
    alice: Member,
    bob: Member,
    dynamic_id: str,
) -> Workers:
    return Workers(client, fresh, fresh_app, [alice, bob], dynamic_id)


async def body_of(client: httpx.AsyncClient, member: Member, url: str) -> bytes:
    response = await client.get(url, headers=member.headers)
    assert response.status_code == 200, response.text
    return response.content


async def assert_current(
    client: httpx.AsyncClient,
    fresh: httpx.AsyncClient,
    fresh_app: FastAPI,
    members: list[Member],
    dynamic_id: str,
) -> dict[str, Any]:
    """Home, the balance and the list of dynamics as each member reads them equal a fresh
    computation; the balance is the same bytes for both. Reads twice (the second from the
    store)."""
    balances = set()
    for member in members:
        for url in (today_url(dynamic_id), balance_url(dynamic_id), "/api/dynamics"):
            fresh_app.state.views = ViewCache()
            expected = await body_of(fresh, member, url)
            assert await body_of(client, member, url) == expected, url
            assert await body_of(client, member, url) == expected, url
        balances.add(await body_of(client, member, balance_url(dynamic_id)))
    assert len(balances) == 1
    response = await client.get(today_url(dynamic_id), headers=members[0].headers)
    home: dict[str, Any] = response.json()
    return home


class Statements:
    """The SQL statements an app's engine runs while counting."""

    def __init__(self, app: FastAPI) -> None:
        self.seen: list[str] = []
        self._engine = app.state.db.engine.sync_engine

    def __enter__(self) -> Statements:
        event.listen(self._engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(self._engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.seen.append(statement)

    def reading(self, table: str) -> list[str]:
        return [s for s in self.seen if f"FROM {table}" in s or f"JOIN {table}" in s]


# --- kept, and only for whoever may read it -----------------------------------------------------


async def test_an_unchanged_view_is_not_computed_again(
    app: FastAPI, client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    await check_in(client, alice, dynamic_id, mood=4, needs=["reassurance"])
    first = {url: await body_of(client, bob, url) for url in (today_url(dynamic_id),)}
    await body_of(client, alice, balance_url(dynamic_id))
    with Statements(app) as statements:
        assert await body_of(client, bob, today_url(dynamic_id)) == first[today_url(dynamic_id)]
        await body_of(client, bob, balance_url(dynamic_id))  # Alice's read is Bob's too
    assert statements.reading("checkins") == []
    assert statements.reading("completions") == []
    # The caller and their session, then membership and revision: nothing else is read.
    assert len([s for s in statements.seen if s.lstrip().upper().startswith("SELECT")]) == 4
    await body_of(client, bob, "/api/dynamics")
    with Statements(app) as statements:
        await body_of(client, bob, "/api/dynamics")
    assert statements.reading("dynamics") == []
    assert len(statements.reading("users")) == 1  # the caller's own lookup


async def test_a_kept_view_is_never_served_to_an_outsider(
    client: httpx.AsyncClient, alice: Member, bob: Member, eve: Member, dynamic_id: str
) -> None:
    await check_in(client, alice, dynamic_id, mood=2, needs=["a call"], note="rough day")
    for url in (today_url(dynamic_id), balance_url(dynamic_id)):
        await body_of(client, alice, url)  # kept now
        response = await client.get(url, headers=eve.headers)
        assert response.status_code == 404
        assert b"rough day" not in response.content


async def test_etags_follow_the_kept_view(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    for url in (today_url(dynamic_id), balance_url(dynamic_id)):
        first = await client.get(url, headers=alice.headers)
        tag = first.headers["etag"]
        again = await client.get(url, headers={**alice.headers, "If-None-Match": tag})
        assert again.status_code == 304
        await check_in(client, bob, dynamic_id, mood=5, gave=4, received=4)
        changed = await client.get(url, headers={**alice.headers, "If-None-Match": tag})
        assert changed.status_code == 200
        assert changed.headers["etag"] != tag


# --- no stale view after a write, in this process or another -------------------------------------


async def test_every_kind_of_write_is_seen_at_once_by_both_workers(
    workers: Workers,
    client: httpx.AsyncClient,
    fresh: httpx.AsyncClient,
    alice: Member,
    bob: Member,
    dynamic_id: str,
) -> None:
    async def after(write: Callable[[], Any]) -> dict[str, Any]:
        await workers.current()  # both kept
        await workers.current_in_the_other()
        result = await write()
        if isinstance(result, httpx.Response):
            assert result.status_code < 300, result.text
        # Both workers kept the old view; each must now answer the new one.
        await workers.current_in_the_other()
        return await workers.current()

    async def post(member: Member, path: str, body: dict[str, Any]) -> httpx.Response:
        return await client.post(path, json=body, headers=member.idem())

    d = f"/api/dynamics/{dynamic_id}"
    checkin = await check_in(client, alice, dynamic_id, mood=2, gave=2, received=4, needs=["time"])
    home = await after(lambda: answer(client, bob, checkin["id"], "on_it"))
    home = await after(
        lambda: post(alice, f"/api/checkins/{checkin['id']}/close", {"reason": "met"})
    )
    assert home["open_needs"] == []
    await after(lambda: post(alice, f"{d}/yellow", {"note": "slow down"}))
    await after(lambda: post(bob, f"{d}/seen", {}))
    body = terms(alice, schedule={"times": ["08:00"], "weekdays": list(range(7))})
    protocol = await active_protocol(client, alice, bob, dynamic_id, body)
    home = await after(lambda: complete(client, alice, protocol["id"]))
    waiting = (await body_json(client, bob, today_url(dynamic_id)))["waiting"]
    completion = next(w for w in waiting if w["kind"] == "acknowledge")
    await after(
        lambda: post(bob, f"/api/completions/{completion['completion_id']}/acknowledge", {})
    )
    await after(lambda: post(bob, "/api/notifications/read", {"all": True}))
    await after(lambda: post(alice, f"{d}/nudge", {}))
    await after(
        lambda: client.patch("/api/me", json={"display_name": "Ali"}, headers=alice.headers)
    )
    await after(
        lambda: client.patch(
            "/api/me", json={"timezone": "Pacific/Kiritimati"}, headers=alice.headers
        )
    )
    await after(
        lambda: client.patch(f"{d}/membership", json={"nickname": "Sunny"}, headers=bob.headers)
    )
    review = await post(alice, f"{d}/reviews", {})
    assert review.status_code == 201, review.text
    rid = review.json()["id"]
    await after(
        lambda: client.put(
            f"/api/reviews/{rid}/answers/mine", json={"heard": 4}, headers=bob.headers
        )
    )
    home = await after(lambda: post(bob, f"/api/reviews/{rid}/submit", {}))
    await after(lambda: post(bob, f"{d}/red", {"note": "stop"}))
    home = await after(lambda: post(bob, f"{d}/resume", {}))
    assert home["dynamic"]["state"] == "active"


async def test_a_new_dynamic_is_in_the_list_at_once(
    workers: Workers,
    client: httpx.AsyncClient,
    fresh: httpx.AsyncClient,
    eve: Member,
    alice: Member,
    bob: Member,
    dynamic_id: str,
) -> None:
    await workers.current()
    await workers.current_in_the_other()
    second = await pair(fresh, eve, alice)
    for app_client in (client, fresh):
        listed = await body_json(app_client, alice, "/api/dynamics")
        assert {d["id"] for d in listed["items"]} == {dynamic_id, second}
    left = await client.post(f"/api/dynamics/{second}/leave", json={}, headers=eve.idem())
    assert left.status_code == 200, left.text
    listed = await body_json(fresh, alice, "/api/dynamics")
    assert next(d for d in listed["items"] if d["id"] == second)["state"] == "ended"


async def test_a_partner_deleting_their_account_is_seen_at_once(
    workers: Workers, client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    await check_in(client, alice, dynamic_id, mood=4, gave=4, received=3, needs=["a hug"])
    await workers.current()
    await workers.current_in_the_other()
    gone = await workers.fresh.request(
        "DELETE", "/api/me", json={"password": PASSWORD}, headers=alice.headers
    )
    assert gone.status_code == 204, gone.text
    workers.members = [bob]
    home = await workers.current()
    assert home["dynamic"]["state"] == "ended"
    await workers.current_in_the_other()


async def body_json(client: httpx.AsyncClient, member: Member, url: str) -> dict[str, Any]:
    response = await client.get(url, headers=member.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


# --- no stale view once time alone changes it ---------------------------------------------------


async def test_a_need_leaves_home_the_moment_it_expires(workers: Workers, clock: Clock) -> None:
    client, (alice, _), dynamic_id = workers.client, workers.members, workers.dynamic_id
    asked = datetime.now(UTC) - timedelta(days=6, hours=23)
    await check_in(
        client, alice, dynamic_id, mood=3, needs=["a walk"], occurred_at=asked.isoformat()
    )
    expires = asked + timedelta(days=7)
    clock.set(expires - timedelta(minutes=1))
    home = await workers.current()
    assert [n["needs"] for n in home["open_needs"]] == [["a walk"]]
    clock.set(expires)
    home = await workers.current()
    assert home["open_needs"] == []
    assert all(w["kind"] != "need" for w in home["waiting"])


async def test_moments_turn_over_at_midnight_in_the_performers_zone(
    workers: Workers, clock: Clock
) -> None:
    """Alice lives in Auckland: her day ends while it is still morning in UTC, and her moment
    done today is due again in her tomorrow."""
    client, (alice, bob), dynamic_id = workers.client, workers.members, workers.dynamic_id
    response = await client.patch(
        "/api/me", json={"timezone": "Pacific/Auckland"}, headers=alice.headers
    )
    assert response.status_code == 200, response.text
    body = terms(alice, schedule={"times": ["00:00", "23:59"], "weekdays": list(range(7))})
    protocol = await active_protocol(client, alice, bob, dynamic_id, body)
    done = await complete(client, alice, protocol["id"])
    assert done.status_code == 201, done.text
    now = datetime.now(UTC)
    local = now.astimezone(ZoneInfo("Pacific/Auckland"))
    midnight = (local + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    clock.set(midnight.astimezone(UTC) - timedelta(seconds=1))
    before = await workers.current()
    assert [o["done"] for o in before["occurrences"]].count(True) == 1
    clock.set(midnight.astimezone(UTC))
    after = await workers.current()
    assert [o["done"] for o in after["occurrences"]] == [False, False]
    assert after["occurrences"][0]["at"] != before["occurrences"][0]["at"]


async def test_the_balance_window_moves_on_at_midnight_utc(workers: Workers, clock: Clock) -> None:
    client, (alice, _), dynamic_id = workers.client, workers.members, workers.dynamic_id
    now = datetime.now(UTC)
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    clock.set(midnight - timedelta(seconds=1))
    before = await body_json(client, alice, balance_url(dynamic_id))
    await workers.current()
    clock.set(midnight)
    await workers.current()
    after = await body_json(client, alice, balance_url(dynamic_id))
    assert after["end"] != before["end"]


# --- the store itself ---------------------------------------------------------------------------


async def test_the_store_keeps_by_revision_and_horizon_and_stays_bounded() -> None:
    views = ViewCache(size=2)
    computed: list[str] = []

    def compute(body: bytes, horizon: datetime | None) -> Callable[[], Any]:
        async def run() -> tuple[bytes, datetime | None]:
            computed.append(body.decode())
            return body, horizon

        return run

    later = START + timedelta(hours=1)
    assert await views.through("a", 1, START, compute(b"a1", later)) == b"a1"
    assert await views.through("a", 1, START, compute(b"no", later)) == b"a1"
    assert await views.through("a", 2, START, compute(b"a2", later)) == b"a2"
    assert await views.through("a", 2, later, compute(b"a3", None)) == b"a3"
    assert await views.through("a", 2, later + timedelta(days=999), compute(b"no", None)) == b"a3"
    # A view whose horizon has already passed is sent, never kept.
    assert await views.through("b", 1, START, compute(b"b1", START)) == b"b1"
    assert await views.through("b", 1, START, compute(b"b2", None)) == b"b2"
    await views.through("c", 1, START, compute(b"c1", None))
    assert len(views) == 2
    assert views.get("a", 2, later) is None  # the least recently used went first
    assert computed == ["a1", "a2", "a3", "b1", "b2", "c1"]
