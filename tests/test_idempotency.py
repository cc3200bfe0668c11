"""Idempotency-Key, through the real app and database (IETF httpapi idempotency-key draft).

A phone replays offline writes, possibly more than once: a repeat of a finished request is
answered from storage, byte for byte, without acting again; a repeat while the first is still
running is a 409; the same key for a different request is a 422; a refused request is not
stored, so it can be retried once its cause is fixed. Every test counts rows in the database
rather than trusting the answers alone.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, select, update
from sqlmodel import col

from app.accounts.deps import CallerDep
from app.accounts.models import AuthSession, User
from app.core.db import utcnow
from app.core.deps import SessionDep
from app.core.models import IdempotencyRecord
from app.core.requests import IN_FLIGHT_STALE, fingerprint_key, request_fingerprint
from app.dynamics.models import Dynamic, Invite
from app.dynamics.service import new_code
from app.main import create_app
from app.notifications.models import Notification
from tests.conftest import make_settings
from tests.helpers import PASSWORD, Member, error_code, pair
from tests.helpers.rows import count

JSON = {"content-type": "application/json"}


async def records(app: FastAPI) -> list[IdempotencyRecord]:
    async with app.state.db.reader() as session:
        return list((await session.execute(select(IdempotencyRecord))).scalars())


async def create_invite(
    client: httpx.AsyncClient, member: Member, key: str | bytes, body: bytes = b"{}"
) -> httpx.Response:
    headers: dict[str, Any] = {**member.headers, **JSON, "Idempotency-Key": key}
    return await client.post("/api/invites", content=body, headers=headers)


async def flag(
    client: httpx.AsyncClient,
    member: Member,
    dynamic_id: str,
    action: str,
    key: str,
    body: dict[str, Any] | None = None,
) -> httpx.Response:
    return await client.post(
        f"/api/dynamics/{dynamic_id}/{action}",
        json=body if body is not None else {},
        headers=member.idem(key),
    )


async def notifications_of(app: FastAPI, member: Member, kind: str) -> int:
    return await count(
        app,
        Notification,
        col(Notification.user_id) == uuid.UUID(member.id),
        col(Notification.kind) == kind,
    )


async def claim_key(
    app: FastAPI, member: Member, key: str, *, age: timedelta, body: bytes = b"{}"
) -> None:
    """Leave a claim as a request still running (or one that died) would leave it."""
    async with app.state.db.writer() as session:
        session.add(
            IdempotencyRecord(
                user_id=uuid.UUID(member.id),
                key=key,
                fingerprint=request_fingerprint(
                    "POST",
                    "/api/invites",
                    b"",
                    body,
                    key=fingerprint_key(app.state.settings.secret_key),
                ),
                created_at=utcnow() - age,
            )
        )
        await session.commit()


# --- replay -------------------------------------------------------------------------------------


async def test_repeat_is_replayed_byte_for_byte_and_acts_once(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    key = str(uuid.uuid4())
    first = await create_invite(client, alice, key)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers

    for _ in range(2):
        again = await create_invite(client, alice, key)
        assert again.status_code == 201
        assert again.content == first.content
        assert again.headers["idempotent-replayed"] == "true"
        assert again.headers["content-type"] == first.headers["content-type"]
        assert again.headers["cache-control"] == "private, no-store"

    assert await count(app, Invite) == 1
    (record,) = await records(app)
    assert record.key == key
    assert record.completed_at is not None
    assert record.response_status == 201
    assert record.response_body == first.content

    # The replayed answer describes work that really happened.
    code = first.json()["code"]
    shown = await client.get(f"/api/invites/{code}", headers=alice.headers)
    assert shown.status_code == 200
    assert shown.json()["state"] == "open"


async def test_replay_does_not_act_again_even_when_acting_would_change_state(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    key = str(uuid.uuid4())
    first = await flag(client, alice, dynamic_id, "yellow", key, {"note": "talk tonight?"})
    assert first.status_code == 200, first.text
    assert (await flag(client, alice, dynamic_id, "resume", str(uuid.uuid4()))).status_code == 200

    # The yellow was lifted; its delayed duplicate must not raise it again.
    again = await flag(client, alice, dynamic_id, "yellow", key, {"note": "talk tonight?"})
    assert again.status_code == 200
    assert again.content == first.content
    assert again.headers["idempotent-replayed"] == "true"
    assert await notifications_of(app, bob, "yellow") == 1
    now = await client.get(f"/api/dynamics/{dynamic_id}", headers=alice.headers)
    mine = next(m for m in now.json()["members"] if m["user_id"] == alice.id)
    assert mine["yellow_at"] is None

    # Control: a new key is a new request, and it does raise yellow again.
    other = await flag(client, alice, dynamic_id, "yellow", str(uuid.uuid4()), {"note": "x"})
    assert other.status_code == 200
    assert "idempotent-replayed" not in other.headers
    assert await notifications_of(app, bob, "yellow") == 2


async def test_patch_is_replayed_too(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, dynamic_id: str
) -> None:
    key = str(uuid.uuid4())
    path = f"/api/dynamics/{dynamic_id}/membership"
    first = await client.patch(path, json={"nickname": "Lark"}, headers=alice.idem(key))
    assert first.status_code == 200, first.text
    again = await client.patch(path, json={"nickname": "Lark"}, headers=alice.idem(key))
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    other = await client.patch(path, json={"nickname": "Wren"}, headers=alice.idem(key))
    assert other.status_code == 422
    assert error_code(other) == "idempotency_key_reused"


async def test_credentials_are_never_stored(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    key = str(uuid.uuid4())
    body = {"email": alice.email, "password": PASSWORD}
    first = await client.post("/api/auth/login", json=body, headers=alice.idem(key))
    second = await client.post("/api/auth/login", json=body, headers=alice.idem(key))
    assert first.status_code == second.status_code == 200
    assert "idempotent-replayed" not in second.headers
    assert first.json()["refresh_token"] != second.json()["refresh_token"]
    assert await count(app, IdempotencyRecord) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"current_password": PASSWORD, "new_password": "a brand new passphrase"},
        {"current_password": PASSWORD, "email": "alice-new@example.org"},
    ],
    ids=["new-password", "new-email"],
)
async def test_bodies_with_passwords_are_never_stored(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, change: dict[str, str]
) -> None:
    """Not even a fingerprint: a hash of a body holding a password is a password test."""
    key = str(uuid.uuid4())
    changed = await client.patch("/api/me", json=change, headers=alice.idem(key))
    assert changed.status_code == 200, changed.text
    assert "idempotent-replayed" not in changed.headers
    assert await count(app, IdempotencyRecord) == 0
    # Any spelling of a password field counts, and so does a refused attempt.
    wrong = {"current_password": "not the password", "new_password": "another passphrase"}
    escaped = json.dumps(wrong).replace("current_password", "current_\\u0070assword")
    refused = await client.patch("/api/me", content=escaped, headers={**alice.idem(key), **JSON})
    assert refused.status_code == 403, refused.text
    assert await count(app, IdempotencyRecord) == 0


async def test_fingerprints_are_keyed_with_the_server_secret(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    """Whoever reads the table cannot test guesses of a body against its fingerprint."""
    assert (await create_invite(client, alice, "keyed")).status_code == 201
    (record,) = await records(app)
    plain = hashlib.sha256(b"POST\0/api/invites\0\0{}").hexdigest()
    assert record.fingerprint != plain
    secret = app.state.settings.secret_key
    assert record.fingerprint == request_fingerprint(
        "POST", "/api/invites", b"", b"{}", key=fingerprint_key(secret)
    )
    assert record.fingerprint != request_fingerprint(
        "POST", "/api/invites", b"", b"{}", key=fingerprint_key(secret + "-other")
    )


async def test_an_answer_stored_before_fingerprints_were_keyed_is_still_replayed(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    """A phone may repeat, after the upgrade, a write made before it: still one invite."""
    first = await create_invite(client, alice, "from-before")
    assert first.status_code == 201
    plain = hashlib.sha256(b"POST\0/api/invites\0\0{}").hexdigest()
    async with app.state.db.writer() as session:
        await session.execute(update(IdempotencyRecord).values(fingerprint=plain))
        await session.commit()
    again = await create_invite(client, alice, "from-before")
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    other = await create_invite(client, alice, "from-before", body=b"{ }")
    assert error_code(other) == "idempotency_key_reused"
    assert await count(app, Invite) == 1


# --- the same key for another request -----------------------------------------------------------


async def test_same_key_with_different_body_is_422(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    key = str(uuid.uuid4())
    first = await flag(client, alice, dynamic_id, "yellow", key, {"note": "slow down"})
    assert first.status_code == 200
    other = await flag(client, alice, dynamic_id, "yellow", key, {"note": "something else"})
    assert other.status_code == 422
    assert error_code(other) == "idempotency_key_reused"
    assert "idempotent-replayed" not in other.headers
    assert await notifications_of(app, bob, "yellow") == 1
    # The stored answer is untouched by the refused reuse.
    again = await flag(client, alice, dynamic_id, "yellow", key, {"note": "slow down"})
    assert again.content == first.content


async def test_same_key_on_another_path_is_422_and_does_nothing(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, dynamic_id: str
) -> None:
    key = str(uuid.uuid4())
    assert (await create_invite(client, alice, key)).status_code == 201
    red = await flag(client, alice, dynamic_id, "red", key)
    assert red.status_code == 422
    assert error_code(red) == "idempotency_key_reused"
    assert await count(app, Dynamic, col(Dynamic.state) == "active") == 1
    # A query string makes another request as well.
    queried = await client.post(
        "/api/invites?x=1", content=b"{}", headers={**alice.idem(key), **JSON}
    )
    assert queried.status_code == 422
    assert error_code(queried) == "idempotency_key_reused"
    assert await count(app, Invite) == 2  # the pairing invite and the first one


# --- in flight ----------------------------------------------------------------------------------


async def test_repeat_while_in_flight_is_409_with_retry_after(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    key = str(uuid.uuid4())
    await claim_key(app, alice, key, age=timedelta(seconds=0))
    response = await create_invite(client, alice, key)
    assert response.status_code == 409
    assert error_code(response) == "idempotency_in_flight"
    assert int(response.headers["retry-after"]) >= 1
    assert await count(app, Invite) == 0
    # Still in flight a while later, as long as the claim is younger than the stale limit.
    async with app.state.db.writer() as session:
        await session.execute(
            update(IdempotencyRecord).values(created_at=utcnow() - IN_FLIGHT_STALE / 2)
        )
        await session.commit()
    assert (await create_invite(client, alice, key)).status_code == 409
    # Another request with the claimed key is still a misuse of the key, not a wait.
    other = await create_invite(client, alice, key, body=b"{ }")
    assert other.status_code == 422
    assert error_code(other) == "idempotency_key_reused"
    assert await count(app, Invite) == 0


async def test_stale_claim_is_taken_over_and_the_request_runs(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    key = str(uuid.uuid4())
    await claim_key(app, alice, key, age=IN_FLIGHT_STALE + timedelta(seconds=30))
    response = await create_invite(client, alice, key)
    assert response.status_code == 201, response.text
    assert "idempotent-replayed" not in response.headers
    assert await count(app, Invite) == 1
    (record,) = await records(app)
    assert record.completed_at is not None
    assert utcnow() - record.created_at < IN_FLIGHT_STALE  # the claim was renewed
    again = await create_invite(client, alice, key)
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == response.content
    assert await count(app, Invite) == 1


# --- invalid keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [b"", b"   ", b"x" * 256, "caf\u00e9".encode(), b"two words", b"tab\there", b'""'],
    ids=["empty", "blank", "too-long", "non-ascii", "space", "tab", "empty-quoted"],
)
async def test_invalid_key_is_422_and_does_nothing(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, key: bytes
) -> None:
    response = await create_invite(client, alice, key)
    assert response.status_code == 422
    assert error_code(response) == "invalid_idempotency_key"
    assert await count(app, Invite) == 0
    assert await count(app, IdempotencyRecord) == 0


async def test_key_edges_that_are_valid(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    longest = "k" * 255
    assert (await create_invite(client, alice, longest)).status_code == 201
    assert (await records(app))[0].key == longest
    # Whitespace around a header value is not part of it, and the draft's structured-field
    # string form ("...") names the same key as the bare form.
    first = await create_invite(client, alice, "abc-123")
    for spelling in (" abc-123 ", '"abc-123"'):
        again = await create_invite(client, alice, spelling)
        assert again.status_code == 201
        assert again.headers.get("idempotent-replayed") == "true", spelling
        assert again.content == first.content
    assert await count(app, Invite) == 2


# --- refused requests are not stored -------------------------------------------------------------


async def test_refused_request_is_not_stored_and_can_be_retried(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    codes = []
    for _ in range(app.state.settings.max_open_invites):
        created = await create_invite(client, alice, str(uuid.uuid4()))
        assert created.status_code == 201
        codes.append(created.json()["code"])
    key = str(uuid.uuid4())
    refused = await create_invite(client, alice, key)
    assert refused.status_code == 409
    assert error_code(refused) == "too_many_invites"
    assert await count(app, IdempotencyRecord, col(IdempotencyRecord.key) == key) == 0

    revoked = await client.delete(f"/api/invites/{codes[0]}", headers=alice.headers)
    assert revoked.status_code == 204
    retried = await create_invite(client, alice, key)
    assert retried.status_code == 201, retried.text
    assert "idempotent-replayed" not in retried.headers
    assert retried.json()["code"] not in codes


async def test_refused_flag_is_not_stored_and_can_be_retried(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    key = str(uuid.uuid4())
    nothing = await flag(client, alice, dynamic_id, "resume", key)
    assert nothing.status_code == 409
    assert error_code(nothing) == "nothing_to_resume"
    assert await count(app, IdempotencyRecord) == 0

    assert (await flag(client, alice, dynamic_id, "red", str(uuid.uuid4()))).status_code == 200
    resumed = await flag(client, alice, dynamic_id, "resume", key)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["state"] == "active"
    assert await notifications_of(app, bob, "resumed") == 1


async def test_invalid_body_is_not_stored(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, dynamic_id: str
) -> None:
    key = str(uuid.uuid4())
    bad = await flag(client, alice, dynamic_id, "yellow", key, {"note": "x" * 501})
    assert bad.status_code == 422
    assert error_code(bad) == "validation_error"
    # The key is free again: a corrected body is a first request, not a reuse.
    fixed = await flag(client, alice, dynamic_id, "yellow", key, {"note": "x"})
    assert fixed.status_code == 200, fixed.text
    assert "idempotent-replayed" not in fixed.headers


async def test_red_on_ended_dynamic_is_not_stored(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    assert (await flag(client, bob, dynamic_id, "leave", str(uuid.uuid4()))).status_code == 200
    key = str(uuid.uuid4())
    for _ in range(2):  # not replayed either: the refusal is recomputed
        red = await flag(client, alice, dynamic_id, "red", key)
        assert red.status_code == 409
        assert error_code(red) == "dynamic_ended"
        assert "idempotent-replayed" not in red.headers
    assert await count(app, IdempotencyRecord, col(IdempotencyRecord.key) == key) == 0


# --- scope --------------------------------------------------------------------------------------


async def test_keys_are_scoped_per_user(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    key = "shared-key-0001"
    by_alice = await create_invite(client, alice, key)
    by_bob = await create_invite(client, bob, key)
    assert by_alice.status_code == by_bob.status_code == 201
    assert "idempotent-replayed" not in by_bob.headers
    assert by_alice.json()["inviter_id"] == alice.id
    assert by_bob.json()["inviter_id"] == bob.id
    assert await count(app, Invite) == 2
    again = await create_invite(client, alice, key)
    assert again.content == by_alice.content
    # A different body from Bob is his own business, not a reuse of Alice's key.
    assert await count(app, IdempotencyRecord) == 2


async def test_deleted_account_with_a_live_token_is_401_not_a_claim(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    deleted = await client.request(
        "DELETE", "/api/me", json={"password": PASSWORD}, headers=alice.headers
    )
    assert deleted.status_code == 204
    response = await create_invite(client, alice, str(uuid.uuid4()))
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"
    assert await count(app, IdempotencyRecord) == 0


async def test_no_replay_for_a_signed_out_session(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    """A stored answer is a credential-bearing read too: it is given only to a live session."""
    key = str(uuid.uuid4())
    first = await create_invite(client, alice, key)
    assert first.status_code == 201, first.text
    assert (await client.post("/api/auth/logout", headers=alice.headers)).status_code == 204
    again = await create_invite(client, alice, key)
    assert again.status_code == 401, again.text
    assert error_code(again) == "unauthorized"
    assert "idempotent-replayed" not in again.headers
    assert first.json()["code"] not in again.text
    # The stored answer stays, untouched, and nothing new was claimed or done.
    assert await count(app, IdempotencyRecord) == 1
    assert await count(app, Invite) == 1


async def test_no_replay_for_an_expired_session(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    key = str(uuid.uuid4())
    first = await create_invite(client, alice, key)
    assert first.status_code == 201, first.text
    async with app.state.db.writer() as session:
        await session.execute(
            update(AuthSession)
            .where(col(AuthSession.user_id) == uuid.UUID(alice.id))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    again = await create_invite(client, alice, key)
    assert again.status_code == 401, again.text
    assert "idempotent-replayed" not in again.headers
    # A new key is not claimed either: the request is refused by authentication.
    other = await create_invite(client, alice, str(uuid.uuid4()))
    assert other.status_code == 401
    assert await count(app, IdempotencyRecord) == 1
    assert await count(app, Invite) == 1


# --- concurrency --------------------------------------------------------------------------------


async def test_concurrent_repeats_act_once(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    key = str(uuid.uuid4())
    answers = await asyncio.gather(*(create_invite(client, alice, key) for _ in range(6)))
    created = [a for a in answers if a.status_code == 201]
    waiting = [a for a in answers if a.status_code != 201]
    assert created, [a.text for a in answers]
    assert len({a.content for a in created}) == 1
    for answer in waiting:
        assert answer.status_code == 409, answer.text
        assert error_code(answer) == "idempotency_in_flight"
        assert "retry-after" in answer.headers
    assert await count(app, Invite) == 1
    again = await create_invite(client, alice, key)
    assert again.content == created[0].content
    assert await count(app, Invite) == 1


async def test_concurrent_different_keys_each_act(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    answers = await asyncio.gather(
        *(create_invite(client, alice, str(uuid.uuid4())) for _ in range(4))
    )
    assert [a.status_code for a in answers] == [201] * 4
    assert await count(app, Invite) == 4
    assert await count(app, IdempotencyRecord) == 4


# --- atomicity: the stored answer commits with the work, or neither does -------------------------


def rigged_app(database_url: str, data_dir: Path, gate: asyncio.Event) -> FastAPI:
    """The real app plus routes that fail where only a test can make them fail.

    Same database and secret as ``app``, so the usual members and tokens work here.
    """
    application = create_app(make_settings(database_url, data_dir, serve_frontend=False))
    application.state.entered = asyncio.Event()

    def new_invite(inviter: uuid.UUID) -> Invite:
        return Invite(code=new_code(), inviter_id=inviter, expires_at=utcnow() + timedelta(hours=1))

    @application.post("/api/test/invite", status_code=201)
    async def invite_then(caller: CallerDep, session: SessionDep, then: str) -> dict[str, str]:
        invite = new_invite(caller.id)
        session.add(invite)
        await session.flush()
        if then == "crash":
            raise RuntimeError("a bug after the work was flushed")
        if then == "conflict":
            # Violates the unique email when the unit of work flushes at the end.
            session.add(User(email=caller.user.email, password_hash="x", display_name="x"))
        return {"code": invite.code}

    @application.post("/api/test/slow-invite", status_code=201)
    async def slow_invite(session: SessionDep, inviter: uuid.UUID) -> dict[str, str]:
        application.state.entered.set()
        await gate.wait()  # touches no table before the gate opens
        invite = new_invite(inviter)
        session.add(invite)
        await session.flush()
        return {"code": invite.code}

    return application


@pytest.fixture
async def rigged(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[FastAPI, asyncio.Event]]:
    gate = asyncio.Event()
    application = rigged_app(database_url, tmp_path, gate)
    yield application, gate
    await application.state.db.dispose()


def rigged_client(application: FastAPI) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_work_and_stored_answer_commit_together(
    app: FastAPI, alice: Member, rigged: tuple[FastAPI, asyncio.Event]
) -> None:
    application, _ = rigged
    key = str(uuid.uuid4())
    async with rigged_client(application) as c:
        done = await c.post("/api/test/invite?then=ok", headers=alice.idem(key))
        assert done.status_code == 201
        again = await c.post("/api/test/invite?then=ok", headers=alice.idem(key))
        assert again.headers["idempotent-replayed"] == "true"
        assert again.content == done.content
    assert await count(app, Invite, col(Invite.code) == done.json()["code"]) == 1


async def test_failed_commit_stores_no_answer_and_keeps_no_work(
    app: FastAPI, alice: Member, rigged: tuple[FastAPI, asyncio.Event]
) -> None:
    application, _ = rigged
    key = str(uuid.uuid4())
    async with rigged_client(application) as c:
        for _ in range(2):  # released, so the retry is not "in flight" nor a replay
            failed = await c.post("/api/test/invite?then=conflict", headers=alice.idem(key))
            assert failed.status_code == 409, failed.text
            assert error_code(failed) == "conflict"
        assert await count(app, Invite) == 0
        assert await count(app, IdempotencyRecord) == 0
        # The key was never used for a finished request: another request may take it.
        done = await c.post("/api/test/invite?then=ok", headers=alice.idem(key))
        assert done.status_code == 201
    assert await count(app, Invite) == 1


async def test_crash_releases_the_claim_and_keeps_no_work(
    app: FastAPI, alice: Member, rigged: tuple[FastAPI, asyncio.Event]
) -> None:
    application, _ = rigged
    key = str(uuid.uuid4())
    async with rigged_client(application) as c:
        for _ in range(2):
            crashed = await c.post("/api/test/invite?then=crash", headers=alice.idem(key))
            assert crashed.status_code == 500
            assert error_code(crashed) == "internal_error"
            assert crashed.headers["cache-control"] == "private, no-store"
    assert await count(app, Invite) == 0
    assert await count(app, IdempotencyRecord) == 0


async def test_a_twin_sent_to_another_process_never_acts_twice(
    app: FastAPI,
    alice: Member,
    backend: str,
    database_url: str,
    tmp_path: Path,
    rigged: tuple[FastAPI, asyncio.Event],
) -> None:
    """The first request holds its key in its own transaction. A twin sent meanwhile to
    another process (another app on the same database) is told "in flight" on PostgreSQL (the
    key's advisory lock), and on SQLite waits for the first to commit (one writer at a time)
    and is given its answer. Either way the work is done once."""
    first_app, gate = rigged
    other_app = rigged_app(database_url, tmp_path / "other", gate)
    key = str(uuid.uuid4())
    path = f"/api/test/slow-invite?inviter={alice.id}"
    try:
        async with rigged_client(first_app) as first_c, rigged_client(other_app) as other_c:
            first = asyncio.create_task(first_c.post(path, headers=alice.idem(key)))
            await first_app.state.entered.wait()  # its transaction holds the key now
            twin = asyncio.create_task(other_c.post(path, headers=alice.idem(key)))
            if backend == "postgresql":
                answer = await twin
                assert answer.status_code == 409, answer.text
                assert error_code(answer) == "idempotency_in_flight"
                gate.set()
                done = await first
                replayed = await other_c.post(path, headers=alice.idem(key))
            else:
                for _ in range(20):  # let the twin reach the database, where it waits
                    await asyncio.sleep(0)
                gate.set()
                done, replayed = await first, await twin
    finally:
        await other_app.state.db.dispose()
    assert not other_app.state.entered.is_set()  # the twin's route never ran
    assert done.status_code == 201, done.text
    assert replayed.status_code == 201, replayed.text
    assert replayed.headers["idempotent-replayed"] == "true"
    assert replayed.content == done.content
    assert await count(app, Invite) == 1


async def test_a_keyed_request_is_one_transaction(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    """The key is looked up, the work done and the answer stored in one transaction, committed
    once (on SQLite, one fsync): no claim committed on its own before the work."""
    commits: list[str] = []

    def on_commit(_conn: Any) -> None:
        commits.append("commit")

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "commit", on_commit)
    try:
        created = await create_invite(client, alice, str(uuid.uuid4()))
    finally:
        event.remove(engine, "commit", on_commit)
    assert created.status_code == 201, created.text
    assert commits == ["commit"]
    assert await count(app, IdempotencyRecord) == 1


async def test_a_keyed_check_in_asks_for_its_caller_once(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, backend: str
) -> None:
    """Cost per request (issue 15, bench/README.md): the key's lookup finds the caller signed
    in and authentication takes that answer; the dynamic, whether its words are private and
    the partner to tell come in one statement. Any statement added to this path shows here."""
    dynamic_id = await pair(client, alice, bob)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        outer = statement
        while (inner := re.sub(r"\([^()]*\)", "", outer)) != outer:  # subqueries, lists
            outer = inner
        table = re.search(r"\b(?:FROM|INTO)\s+\"?(\w+)", outer)
        statements.append(f"{outer.split()[0]} {table.group(1) if table else ''}".strip())

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        made = await client.post(
            f"/api/dynamics/{dynamic_id}/checkins",
            json={"mood": 3, "needs": ["rest"]},
            headers=alice.idem(),
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert made.status_code == 201, made.text
    expected = [
        *(["BEGIN"] if backend == "sqlite" else []),
        "SELECT users",  # the caller, joined with its live device session
        *(["SELECT"] if backend == "postgresql" else []),  # the key's advisory lock
        "SELECT idempotency_records",
        "SELECT dynamics",  # with its pair key's existence and the partner
        "INSERT checkins",
        "INSERT change_streams",
        "INSERT changes",
        "INSERT notifications",
        "INSERT change_streams",
        "INSERT changes",
        "INSERT reminders",
        "INSERT idempotency_records",
        # Open phones told, on PostgreSQL across processes (app/core/changes.py).
        *(["SELECT unnest"] if backend == "postgresql" else []),
    ]
    assert statements == expected, " | ".join(statements)


async def test_a_keyed_write_of_an_account_disabled_behind_a_live_session_is_refused(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    """The key's lookup asks what authentication asks (the account not disabled, the session
    live): an account marked disabled while a session of it still stands gets a 401 for a keyed
    write, before and after a replay could have been stored, and nothing acts."""
    dynamic_id = await pair(client, alice, bob)
    path = f"/api/dynamics/{dynamic_id}/checkins"
    headers = alice.idem()
    first = await client.post(path, json={"mood": 4}, headers=headers)
    assert first.status_code == 201, first.text
    async with app.state.db.writer() as session:
        await session.execute(
            update(User).where(col(User.id) == uuid.UUID(alice.id)).values(disabled_at=utcnow())
        )
        await session.commit()
    for sent in (headers, alice.idem()):  # its replay, and a new write
        refused = await client.post(path, json={"mood": 4}, headers=sent)
        assert refused.status_code == 401, refused.text
    listed = await client.get(path, headers=bob.headers)
    assert len(listed.json()["items"]) == 1
