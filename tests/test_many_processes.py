"""Many processes, one database: two app processes and two reminder workers on one PostgreSQL.

The deployment of docs/operations.md, started once for the module as real processes on the
run's database: two ``uvicorn`` app processes (``DISPATCHER=0``) and two ``python -m
app.worker``, sharing nothing but the database, ``SECRET_KEY`` and the VAPID key.
Each test sends its requests over real sockets to both app processes, the way a load balancer
spreads a phone's requests, and checks what must hold across them: an idempotent retry landing
on the other process, sign-in throttling counted across both, a change written through one
heard by a live stream on the other, and each push sent once by the two workers together.

Every wait is bounded (``PATIENCE``); no test asserts a duration.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.core.config import Settings
from app.core.db import metadata
from app.push.sender import DISCREET_TAG
from tests.helpers import Member, error_code, register
from tests.processes import Process, Server, start_server, start_worker, stop, vapid_private_pem
from tests.push_service import FakeDevice, PushService, Received
from tests.sse import PATIENCE, listening, positions

REMINDERS_T = metadata.tables["reminders"]
RACES = 4  # rounds of two requests with one key, one on each process
SIGNAL_ROUNDS = 3  # red, 'I see you', resume: each a push for the workers to send once


def _default(name: str) -> Any:
    """A setting's default: the limits under test are not configurable."""
    return next(f.default for f in dataclasses.fields(Settings) if f.name == name)


PAIR_LIMIT: int = _default("login_max_failures_per_pair")
ADDRESS_LIMIT: int = _default("login_max_failures_per_address")


@dataclass
class Deployment:
    apps: list[Server]
    workers: list[Process]


@pytest.fixture(scope="module")
def deployment(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    if database_url.startswith("sqlite"):
        pytest.skip(
            "several app processes and separate workers are the PostgreSQL deployment; SQLite "
            "runs one process with its dispatcher inside"
        )
    data_dir = tmp_path_factory.mktemp("many")
    env = {
        "VAPID_PRIVATE_KEY": vapid_private_pem(),  # one key for every process
        "VAPID_SUBJECT": "mailto:ops@example.org",
        "PUSH_ALLOW_INSECURE_ENDPOINTS": "1",  # the suite's push service is http on 127.0.0.1
        "LIVE_HEARTBEAT_SECONDS": "0.5",
    }
    workers = [start_worker(database_url, data_dir, f"worker{i}", env=env) for i in (1, 2)]
    try:
        with ThreadPoolExecutor(2) as pool:
            apps = list(
                pool.map(lambda i: start_server(database_url, data_dir, f"app{i}", **env), (1, 2))
            )
    except BaseException:
        for worker in workers:
            stop(worker)
        raise
    yield Deployment(apps, workers)
    for started in [*apps, *workers]:
        stop(started)


@pytest.fixture
async def one(deployment: Deployment, app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the first app process (``app`` is asked for so that the suite empties the
    tables after the test)."""
    async with httpx.AsyncClient(base_url=deployment.apps[0].base, timeout=PATIENCE) as client:
        yield client


@pytest.fixture
async def two(deployment: Deployment) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the second app process."""
    async with httpx.AsyncClient(base_url=deployment.apps[1].base, timeout=PATIENCE) as client:
        yield client


@pytest.fixture
async def couple(one: httpx.AsyncClient, two: httpx.AsyncClient) -> tuple[Member, Member, str]:
    """Alice and Bob, signed up on different processes, paired across them (Alice invites on
    the first, Bob accepts on the second)."""
    alice = await register(one, "Alice")
    bob = await register(two, "Bob")
    invite = await one.post("/api/invites", json={}, headers=alice.headers)
    assert invite.status_code == 201, invite.text
    accepted = await two.post(
        f"/api/invites/{invite.json()['code']}/accept", json={}, headers=bob.headers
    )
    assert accepted.status_code == 201, accepted.text
    return alice, bob, str(accepted.json()["id"])


def _replayed(answer: httpx.Response) -> bool:
    return answer.headers.get("idempotent-replayed") == "true"


# --- (a) idempotency keys ----------------------------------------------------------------------


async def test_a_retry_on_the_other_process_is_replayed_and_acts_once(
    one: httpx.AsyncClient, two: httpx.AsyncClient, couple: tuple[Member, Member, str]
) -> None:
    alice, _, dynamic_id = couple
    path = f"/api/dynamics/{dynamic_id}/checkins"
    key = str(uuid.uuid4())
    body = {"mood": 4, "needs": ["praise"], "note": "a good day"}
    first = await one.post(path, json=body, headers=alice.idem(key))
    assert first.status_code == 201, first.text
    assert not _replayed(first)
    # The phone lost the answer and retries; the balancer sends it to the other process.
    again = await two.post(path, json=body, headers=alice.idem(key))
    assert again.status_code == 201, again.text
    assert _replayed(again)
    assert again.content == first.content
    # The same key with another body is refused there too.
    other = await two.post(path, json={**body, "mood": 1}, headers=alice.idem(key))
    assert other.status_code == 422, other.text
    assert error_code(other) == "idempotency_key_reused"
    listed = await two.get(path, headers=alice.headers)
    assert [c["id"] for c in listed.json()["items"]] == [first.json()["id"]]


async def test_two_requests_with_one_key_on_both_processes_act_once(
    one: httpx.AsyncClient, two: httpx.AsyncClient, couple: tuple[Member, Member, str]
) -> None:
    alice, _, dynamic_id = couple
    path = f"/api/dynamics/{dynamic_id}/checkins"
    done: list[str] = []
    for round_ in range(RACES):
        headers = alice.idem()
        body = {"mood": 3, "note": f"race {round_}"}
        answers = await asyncio.gather(
            one.post(path, json=body, headers=headers), two.post(path, json=body, headers=headers)
        )
        worked = [a for a in answers if a.status_code == 201 and not _replayed(a)]
        assert len(worked) == 1, [(a.status_code, dict(a.headers), a.text) for a in answers]
        (other,) = (a for a in answers if a is not worked[0])
        if other.status_code == 409:
            assert error_code(other) == "idempotency_in_flight"
            assert other.headers["Retry-After"] == "1"
        else:
            assert other.status_code == 201 and _replayed(other), other.text
            assert other.content == worked[0].content
        done.append(worked[0].json()["id"])
    listed = await one.get(path, params={"limit": 50}, headers=alice.headers)
    assert sorted(c["id"] for c in listed.json()["items"]) == sorted(done)


# --- (b) sign-in throttling ----------------------------------------------------------------------


async def _login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/login", json={"email": email, "password": password})


def _throttled(answer: httpx.Response) -> bool:
    return (
        answer.status_code == 429
        and error_code(answer) == "too_many_attempts"
        and int(answer.headers["Retry-After"]) >= 1
    )


async def test_failed_sign_ins_for_one_account_add_up_across_processes(
    one: httpx.AsyncClient, two: httpx.AsyncClient
) -> None:
    alice = await register(one, "Alice")
    # Alternated: neither process alone sees the limit.
    for attempt in range(PAIR_LIMIT):
        wrong = await _login((one, two)[attempt % 2], alice.email, "not the password")
        assert wrong.status_code == 401, (attempt, wrong.text)
    for client in (two, one):  # even the right password waits, on either process
        answer = await _login(client, alice.email, alice.password)
        assert _throttled(answer), answer.text


async def test_failed_sign_ins_from_one_address_add_up_across_processes(
    one: httpx.AsyncClient, two: httpx.AsyncClient
) -> None:
    bob = await register(two, "Bob")
    # Spraying: one guess per (unknown) account, alternated between the processes.
    for attempt in range(ADDRESS_LIMIT):
        email = f"nobody-{attempt}-{uuid.uuid4().hex[:6]}@example.org"
        wrong = await _login((one, two)[attempt % 2], email, "guess")
        assert wrong.status_code == 401, (attempt, wrong.text)
    for client in (one, two):
        answer = await _login(client, bob.email, bob.password)
        assert _throttled(answer), answer.text


async def test_parallel_guesses_split_over_both_processes_get_no_more_than_the_limit(
    one: httpx.AsyncClient, two: httpx.AsyncClient
) -> None:
    alice = await register(one, "Alice")
    guesses = 4 * PAIR_LIMIT
    answers = await asyncio.gather(
        *(_login((one, two)[i % 2], alice.email, f"guess {i}") for i in range(guesses))
    )
    codes = Counter(a.status_code for a in answers)
    assert codes == Counter({401: PAIR_LIMIT, 429: guesses - PAIR_LIMIT}), codes


# --- (c) live streams ----------------------------------------------------------------------------


async def test_a_change_through_one_process_reaches_a_stream_on_the_other(
    one: httpx.AsyncClient, two: httpx.AsyncClient, couple: tuple[Member, Member, str]
) -> None:
    alice, bob, dynamic_id = couple
    stream = f"d:{dynamic_id}"
    async with listening(two, member=alice) as alices, listening(one, member=bob) as bobs:
        red = await one.post(
            f"/api/dynamics/{dynamic_id}/red", json={"note": "stop"}, headers=bob.idem()
        )
        assert red.status_code == 200, red.text
        heard = positions((await alices.change()).id or "")
        assert heard.get(stream, 0) > 0
        # And back: Alice answers on the second process; Bob's stream on the first hears it.
        seen = await two.post(f"/api/dynamics/{dynamic_id}/seen", json={}, headers=alice.idem())
        assert seen.status_code == 200, seen.text
        while positions((await bobs.change()).id or "").get(stream, 0) <= heard[stream]:
            pass  # Bob's own red, heard on his stream too
    page = await two.get("/api/sync", headers=alice.headers)
    assert page.status_code == 200
    dynamics = [c["data"] for c in page.json()["changes"] if c["entity"] == "dynamic"]
    assert dynamics and dynamics[-1]["state"] == "paused"


# --- (d) reminders: the two workers send each push once ------------------------------------------


async def _subscribe(
    client: httpx.AsyncClient, member: Member, push_service: PushService
) -> FakeDevice:
    device = push_service.new_device()
    subscribed = await client.post(
        "/api/push/subscriptions", json=device.subscription(), headers=member.headers
    )
    assert subscribed.status_code == 201, subscribed.text
    # Not discreet: the push then carries its notification's kind as its tag.
    shown = await client.patch(
        "/api/me", json={"discreet_notifications": False}, headers=member.headers
    )
    assert shown.status_code == 200, shown.text
    return device


def _tags(push_service: PushService, device: FakeDevice) -> Counter[str]:
    return Counter(str(r.payload["tag"]) for r in push_service.received(device) if r.payload)


async def _until(check: Callable[[], Awaitable[bool]], deployment: Deployment, what: str) -> None:
    """Wait until ``check`` holds, failing if a process died. The bound is three times
    ``PATIENCE``: four processes share two cores with whatever else the machine runs, and a
    worker's rounds are what is awaited (a bound, not a measure)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 3 * PATIENCE
    while not await check():
        dead = [p for p in [*deployment.apps, *deployment.workers] if p.process.poll() is not None]
        assert not dead, "\n\n".join(f"{p.name} exited:\n{p.tail()}" for p in dead)
        assert loop.time() < deadline, f"still waiting for {what}"
        await asyncio.sleep(0.1)


async def test_two_workers_send_each_push_once(
    one: httpx.AsyncClient,
    two: httpx.AsyncClient,
    couple: tuple[Member, Member, str],
    deployment: Deployment,
    push_service: PushService,
    app: FastAPI,
) -> None:
    """Last in the module: it stops the workers, so that nothing more can arrive."""
    alice, bob, dynamic_id = couple
    alices = await _subscribe(one, alice, push_service)
    bobs = await _subscribe(two, bob, push_service)
    # Several notifications through both processes, each queued for the workers at once.
    for _ in range(SIGNAL_ROUNDS):
        for client, member, action in (
            (one, bob, "red"),
            (two, alice, "seen"),
            (one, bob, "resume"),
        ):
            done = await client.post(
                f"/api/dynamics/{dynamic_id}/{action}", json={}, headers=member.idem()
            )
            assert done.status_code == 200, (action, done.text)

    async def delivered() -> bool:
        async with app.state.db.engine.connect() as conn:
            pending = await conn.scalar(
                select(func.count())
                .select_from(REMINDERS_T)
                .where(REMINDERS_T.c.state == "pending", REMINDERS_T.c.kind == "notification")
            )
        return (
            pending == 0
            and _tags(push_service, alices)["resumed"] >= SIGNAL_ROUNDS
            and _tags(push_service, bobs)["seen"] >= SIGNAL_ROUNDS
        )

    await _until(delivered, deployment, "every red, 'I see you' and resume to arrive")
    # Stopped cleanly (SIGTERM ends a round, then the process exits 0): nothing more can come.
    for worker in deployment.workers:
        code = await asyncio.to_thread(stop, worker)
        assert code == 0, f"{worker.name} exited with {code}:\n{worker.tail()}"
        assert "Traceback" not in worker.output(), worker.tail()

    received: list[Received] = push_service.received()
    assert received and all(r.status == 201 and not r.problems for r in received), [
        (r.status, r.problems) for r in received
    ]
    # Each once: Alice hears of each red and resume of Bob's (and perhaps of the pairing, if
    # her device was already subscribed when that went out), Bob of each 'I see you' of hers.
    # The pairing's push may also have gone out before her PATCH turned discretion off, and a
    # discreet push carries no kind (tag "accord"): at most one of the two, and nothing else.
    heard = _tags(push_service, alices)
    assert heard["partner_linked"] + heard[DISCREET_TAG] <= 1
    assert heard - Counter({"partner_linked": 1, DISCREET_TAG: 1}) == Counter(
        {"red": SIGNAL_ROUNDS, "resumed": SIGNAL_ROUNDS}
    )
    assert _tags(push_service, bobs) == Counter({"seen": SIGNAL_ROUNDS})
    # Both signed with the one key every process shares.
    assert len({r.vapid_key for r in received}) == 1
    for server in deployment.apps:
        assert "Traceback" not in server.output(), server.tail()
