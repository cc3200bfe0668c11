"""The idempotency layer (app.core.middleware.idempotency) on its own, around the unit of work it
stores its answers through and a tiny app that counts how often it acts, on the run's real
database with real members: a repeat is replayed byte for byte, a repeat in flight is a 409, the
key on another request is a 422, and a key whose request did not succeed is free again before the
client hears the answer. Then, through the real app: what a stored answer keeps."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Message

from app.accounts.models import User
from app.accounts.repository import signed_in_user
from app.core.db import utcnow
from app.core.middleware.idempotency import Idempotency
from app.core.middleware.unit_of_work import UnitOfWork
from app.core.models import IdempotencyRecord
from app.core.requests import (
    IN_FLIGHT_STALE,
    fingerprint_key,
    request_fingerprint,
    request_session,
)
from tests.asgi import call, client_of
from tests.helpers import PASSWORD, Member, error_code


@dataclass
class Tiny:
    """The layer around the unit of work around a tiny app, and what the app did."""

    layer: Idempotency
    acted: list[str] = field(default_factory=list)
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    gate: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture
def tiny(app: FastAPI) -> Tiny:
    db = app.state.db

    async def act(request: Request) -> JSONResponse:
        """Acts (one user row) and says how often it has acted."""
        session = request_session(request.scope)
        how = request.query_params.get("then", "ok")
        if how == "wait":
            made.entered.set()
            await made.gate.wait()
        if how == "taken":
            # The stale record this request took over is renewed by another taker meanwhile
            # (on PostgreSQL another process can; the request's own transaction stands in).
            await session.execute(update(IdempotencyRecord).values(created_at=utcnow()))
        session.add(
            User(email=f"{uuid.uuid4().hex}@idem.test", password_hash="x", display_name="x")
        )
        made.acted.append(how)
        if how == "refuse":
            return JSONResponse({"detail": "not now", "code": "refused"}, status_code=409)
        if how == "crash":
            raise RuntimeError("a bug after acting")
        headers = {"location": f"/api/things/{len(made.acted)}", "etag": '"v1"', "x-other": "no"}
        return JSONResponse({"acted": len(made.acted)}, status_code=201, headers=headers)

    inner = Starlette(routes=[Route("/api/{rest:path}", act, methods=["GET", "POST", "PATCH"])])
    made = Tiny(
        Idempotency(
            UnitOfWork(inner, db=db),
            db=db,
            settings=app.state.settings,
            signed_in=signed_in_user,
        )
    )
    return made


async def count(app: FastAPI, model: type[User] | type[IdempotencyRecord]) -> int:
    async with app.state.db.reader() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def stored(app: FastAPI) -> list[IdempotencyRecord]:
    async with app.state.db.reader() as session:
        return list((await session.execute(select(IdempotencyRecord))).scalars())


def keyed(member: Member, key: str) -> list[tuple[bytes, bytes]]:
    return [
        (b"authorization", member.headers["Authorization"].encode()),
        (b"idempotency-key", key.encode()),
        (b"content-type", b"application/json"),
    ]


async def test_a_repeat_is_replayed_byte_for_byte_and_acts_once(
    app: FastAPI, tiny: Tiny, alice: Member
) -> None:
    async with client_of(tiny.layer) as client:
        first = await client.post("/api/things", json={"a": 1}, headers=alice.idem("k1"))
        again = await client.post("/api/things", json={"a": 1}, headers=alice.idem("k1"))
        patched = await client.patch("/api/things", json={"a": 1}, headers=alice.idem("k2"))
        patched_again = await client.patch("/api/things", json={"a": 1}, headers=alice.idem("k2"))
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    for name in ("content-type", "location", "etag"):
        assert again.headers[name] == first.headers[name]
    assert "x-other" in first.headers and "x-other" not in again.headers
    assert patched_again.content == patched.content
    assert tiny.acted == ["ok", "ok"]
    assert await count(app, User) == 2 + 1  # two acts, and Alice


async def test_the_key_on_another_request_is_a_422_that_does_nothing(
    app: FastAPI, tiny: Tiny, alice: Member
) -> None:
    async with client_of(tiny.layer) as client:
        assert (await client.post("/api/a", json={}, headers=alice.idem("k"))).status_code == 201
        others = [
            await client.post("/api/a", json={"x": 1}, headers=alice.idem("k")),
            await client.post("/api/b", json={}, headers=alice.idem("k")),
            await client.post("/api/a?page=2", json={}, headers=alice.idem("k")),
            await client.patch("/api/a", json={}, headers=alice.idem("k")),
        ]
    for other in others:
        assert other.status_code == 422, other.text
        assert error_code(other) == "idempotency_key_reused"
    assert tiny.acted == ["ok"]


async def test_a_repeat_in_flight_is_a_409_to_retry(
    app: FastAPI, tiny: Tiny, alice: Member
) -> None:
    async with client_of(tiny.layer) as client:
        path = "/api/things?then=wait"
        first = asyncio.create_task(client.post(path, json={}, headers=alice.idem("k")))
        await tiny.entered.wait()  # claimed: the app runs only once the key is held
        twin = await client.post(path, json={}, headers=alice.idem("k"))
        tiny.gate.set()
        done = await first
        later = await client.post(path, json={}, headers=alice.idem("k"))
    assert twin.status_code == 409
    assert error_code(twin) == "idempotency_in_flight"
    assert twin.headers["retry-after"] == "1"
    assert done.status_code == 201
    assert later.content == done.content
    assert tiny.acted == ["wait"]


@pytest.mark.parametrize("then", ["refuse", "crash"])
async def test_a_key_is_free_again_before_the_client_hears_of_a_failure(
    app: FastAPI, tiny: Tiny, alice: Member, then: str
) -> None:
    claims_at_answer: list[int] = []

    async def on_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            claims_at_answer.append(await count(app, IdempotencyRecord))

    path = f"/api/things?then={then}"
    if then == "crash":
        with pytest.raises(RuntimeError, match="a bug after acting"):
            await call(tiny.layer, "POST", path, headers=keyed(alice, "k"), on_send=on_send)
    else:
        answer = await call(tiny.layer, "POST", path, headers=keyed(alice, "k"), on_send=on_send)
        assert answer.status == 409
    assert claims_at_answer == [0]
    assert await count(app, User) == 1  # only Alice: the work was rolled back
    retried = await call(tiny.layer, "POST", "/api/things", headers=keyed(alice, "k"))
    assert retried.status == 201
    assert b"idempotent-replayed" not in retried.headers


async def test_a_request_that_lost_its_claim_does_not_act(
    app: FastAPI, tiny: Tiny, alice: Member
) -> None:
    """A record an earlier claim left unfinished is taken over once stale; if another taker
    renewed it while this request ran, this one answers "in flight" and its work is undone."""
    path, body = "/api/things?then=taken", b"{}"
    settings = app.state.settings
    async with app.state.db.writer() as session:
        fingerprint = request_fingerprint(
            "POST", "/api/things", b"then=taken", body, key=fingerprint_key(settings.secret_key)
        )
        session.add(
            IdempotencyRecord(
                user_id=uuid.UUID(alice.id),
                key="k",
                fingerprint=fingerprint,
                created_at=utcnow() - IN_FLIGHT_STALE - timedelta(seconds=1),
            )
        )
        await session.commit()
    async with client_of(tiny.layer) as client:
        answer = await client.post(path, content=body, headers=alice.idem("k"))
    assert answer.status_code == 409
    assert error_code(answer) == "idempotency_in_flight"
    assert await count(app, User) == 1  # only Alice
    (record,) = await stored(app)
    assert record.completed_at is None  # still the taker's, to finish


async def test_a_cancelled_request_leaves_its_key_free(
    app: FastAPI, tiny: Tiny, alice: Member
) -> None:
    """The key is taken in the request's own transaction: nobody else sees it before the work
    commits, and a cancelled request leaves nothing behind to release."""
    running = asyncio.create_task(
        call(tiny.layer, "POST", "/api/things?then=wait", headers=keyed(alice, "k"))
    )
    await tiny.entered.wait()
    assert await count(app, IdempotencyRecord) == 0
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert await count(app, IdempotencyRecord) == 0
    assert await count(app, User) == 1
    retried = await call(tiny.layer, "POST", "/api/things", headers=keyed(alice, "k"))
    assert retried.status == 201
    assert b"idempotent-replayed" not in retried.headers


@pytest.mark.parametrize(
    "key",
    ["", "   ", "x" * 256, "two words", '""'],
    ids=["empty", "blank", "too-long", "space", "empty-quoted"],
)
async def test_a_key_that_is_not_one_is_422_before_anything_acts(
    tiny: Tiny, alice: Member, key: str
) -> None:
    async with client_of(tiny.layer) as client:
        headers = {**alice.headers, "Idempotency-Key": key}
        answer = await client.post("/api/things", json={}, headers=headers)
    assert answer.status_code == 422
    assert error_code(answer) == "invalid_idempotency_key"
    assert tiny.acted == []


async def test_what_is_never_kept_runs_every_time(app: FastAPI, tiny: Tiny, alice: Member) -> None:
    with_password = json.dumps({"current_password": PASSWORD}).replace("pass", "p\\u0061ss")
    async with client_of(tiny.layer) as client:
        for _ in range(2):
            # Not signed in: authentication refuses it (here the tiny app acts regardless).
            await client.post("/api/things", json={}, headers={"Idempotency-Key": "k"})
            # Credentials are never stored, nor is a body with a password, however spelled.
            await client.post("/api/auth/login", json={}, headers=alice.idem("k"))
            await client.post("/api/events/ticket", json={}, headers=alice.idem("k"))
            await client.patch(
                "/api/me",
                content=with_password,
                headers={**alice.idem("k"), "content-type": "application/json"},
            )
            # Reads are not claimed.
            await client.get("/api/things", headers=alice.idem("k"))
    assert len(tiny.acted) == 10
    assert await count(app, IdempotencyRecord) == 0


async def test_no_replay_for_a_session_that_ended(
    app: FastAPI, client: httpx.AsyncClient, tiny: Tiny, alice: Member
) -> None:
    async with client_of(tiny.layer) as tiny_client:
        first = await tiny_client.post("/api/things", json={}, headers=alice.idem("k"))
        assert (await client.post("/api/auth/logout", headers=alice.headers)).status_code == 204
        again = await tiny_client.post("/api/things", json={}, headers=alice.idem("k"))
    assert first.status_code == 201
    assert "idempotent-replayed" not in again.headers  # runs unclaimed: auth refuses it in the app
    (record,) = await stored(app)
    assert record.response_body == first.content


# --- through the real app -----------------------------------------------------------------------


async def test_a_stored_answer_keeps_only_what_a_replay_needs(
    app: FastAPI, client: httpx.AsyncClient, alice: Member
) -> None:
    created = await client.post("/api/invites", json={}, headers=alice.idem("real"))
    assert created.status_code == 201, created.text
    (record,) = await stored(app)
    assert record.response_status == 201
    assert record.response_body == created.content
    assert set(record.response_headers or {}) <= {"content-type", "etag", "location"}
    assert (record.response_headers or {})["content-type"] == "application/json"
