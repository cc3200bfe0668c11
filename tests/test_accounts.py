"""Accounts and device sessions, through the real app on SQLite and PostgreSQL.

Register, login (and its throttle), access tokens, refresh-token rotation and reuse detection,
logout, the profile, account deletion, the export and the device list.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
import uuid
import warnings
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from jwt.warnings import InsecureKeyLengthWarning
from sqlalchemy import delete, update
from sqlmodel import col, select

from app.accounts.models import AuthSession, LoginFailure, RefreshToken, SignUpAttempt, User
from app.core.config import Settings
from app.core.db import utcnow
from app.dynamics.models import Dynamic, Membership
from app.main import create_app
from tests.conftest import make_settings
from tests.helpers import PASSWORD, Member, error_code, pair, register
from tests.helpers.members import login, sign_in

SECRET = "test-secret-" + "x" * 40
NEW_PASSWORD = "a brand new passphrase"
_DROP = object()


# --- helpers ------------------------------------------------------------------------------------


async def rows(app: FastAPI, stmt: Any) -> list[Any]:
    async with app.state.db.reader() as session:
        return list((await session.execute(stmt)).scalars())


async def write(app: FastAPI, stmt: Any) -> None:
    async with app.state.db.writer() as session:
        await session.execute(stmt)
        await session.commit()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def sid_of(token: str) -> uuid.UUID:
    return uuid.UUID(claims_of(token)["sid"])


def craft(template: str, *, key: str = SECRET, algorithm: str = "HS256", **changes: Any) -> str:
    """An access token like ``template``, freshly dated, with some claims changed or dropped."""
    claims = claims_of(template)
    now = int(time.time())
    claims.update(iat=now, exp=now + 600)
    for name, value in changes.items():
        if value is _DROP:
            claims.pop(name, None)
        else:
            claims[name] = value
    with warnings.catch_warnings():
        # HS512 with the app's own (shorter) key is the point of one test.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, key, algorithm=algorithm)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def status_of_me(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get("/api/me", headers=bearer(token))).status_code


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/auth/refresh", json={"refresh_token": token})


async def patch_me(
    client: httpx.AsyncClient, member: Member, body: dict[str, Any]
) -> httpx.Response:
    return await client.patch("/api/me", json=body, headers=member.headers)


async def delete_me(client: httpx.AsyncClient, member: Member, password: str) -> httpx.Response:
    return await client.request(
        "DELETE", "/api/me", json={"password": password}, headers=member.headers
    )


def field_named(response: httpx.Response, name: str) -> None:
    """A 422 whose detail and ``errors`` name the field."""
    assert response.status_code == 422, response.text
    assert error_code(response) == "validation_error"
    body = response.json()
    assert name in body["detail"], body
    assert any(name in [str(p) for p in e["loc"]] for e in body["errors"]), body


def assert_throttled(response: httpx.Response, *, window: int = 15 * 60) -> int:
    assert response.status_code == 429, response.text
    assert error_code(response) == "too_many_attempts"
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= window
    return int(retry_after)


async def user_row(app: FastAPI, user_id: str) -> User | None:
    found = await rows(app, select(User).where(col(User.id) == uuid.UUID(user_id)))
    return found[0] if found else None


async def session_row(app: FastAPI, session_id: uuid.UUID) -> AuthSession:
    found = await rows(app, select(AuthSession).where(col(AuthSession.id) == session_id))
    assert len(found) == 1
    return found[0]


# --- register -----------------------------------------------------------------------------------


async def test_register_answers_the_pinned_token_shape(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    response = await client.post(
        "/api/auth/register",
        json={
            "email": "Robin@Example.org",
            "password": PASSWORD,
            "display_name": "  Robin ",
            "timezone": "America/New_York",
            "pronouns": "they/them",
        },
        headers={"User-Agent": "Robin's phone"},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"user", "access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    user = body["user"]
    assert {"id", "email", "display_name", "timezone"} <= set(user)
    assert user["email"] == "robin@example.org"
    assert user["display_name"] == "Robin"
    assert user["timezone"] == "America/New_York"
    assert user["pronouns"] == "they/them"
    assert user["discreet_notifications"] is True
    assert "password_hash" not in user and "password" not in user
    uuid.UUID(user["id"])
    claims = claims_of(body["access_token"])
    assert claims["sub"] == user["id"]
    assert (claims["typ"], claims["aud"]) == ("access", "accord")
    assert claims["exp"] - claims["iat"] == body["expires_in"]

    # Both tokens work at once.
    me = await client.get("/api/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == user["id"]
    assert (await refresh(client, body["refresh_token"])).status_code == 200

    # Stored: a normalised email, an argon2id hash, the refresh token only as its hash.
    stored = await user_row(app, user["id"])
    assert stored is not None
    assert stored.email == "robin@example.org"
    assert stored.password_hash.startswith("$argon2id$")
    assert PASSWORD not in stored.password_hash
    hashes = {t.token_hash for t in await rows(app, select(RefreshToken))}
    assert hashlib.sha256(body["refresh_token"].encode()).hexdigest() in hashes
    assert body["refresh_token"] not in hashes
    sessions = await rows(app, select(AuthSession))
    assert [s.user_agent for s in sessions] == ["Robin's phone"]


async def test_register_email_is_unique_case_insensitively(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    first = await client.post(
        "/api/auth/register",
        json={"email": "A@X.org", "password": PASSWORD, "display_name": "A"},
    )
    assert first.status_code == 201, first.text
    assert first.json()["user"]["email"] == "a@x.org"
    assert first.json()["user"]["timezone"] == "UTC"

    for spelling in ("a@x.org", "A@X.ORG"):
        again = await client.post(
            "/api/auth/register",
            json={"email": spelling, "password": PASSWORD, "display_name": "Other"},
        )
        assert again.status_code == 409, again.text
        assert error_code(again) == "email_taken"
    assert len(await rows(app, select(User))) == 1

    # Any spelling signs in to the one account.
    signed = await login(client, "A@x.ORG", PASSWORD)
    assert signed.status_code == 200, signed.text
    assert signed.json()["user"]["id"] == first.json()["user"]["id"]


@pytest.mark.parametrize(("length", "status"), [(7, 422), (8, 201), (128, 201), (129, 422)])
async def test_register_password_length(
    client: httpx.AsyncClient, app: FastAPI, length: int, status: int
) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"email": "len@example.org", "password": "p" * length, "display_name": "Len"},
    )
    assert response.status_code == status, response.text
    if status == 422:
        field_named(response, "password")
        assert await rows(app, select(User)) == []
    else:
        assert (await login(client, "len@example.org", "p" * length)).status_code == 200


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": "utc+2"}, "timezone"),
        ({"timezone": ""}, "timezone"),
        ({"display_name": "   "}, "display_name"),
        ({"display_name": ""}, "display_name"),
        ({"display_name": "two\nlines"}, "display_name"),
        # An unclosed right-to-left override would turn around the app's text after the name.
        ({"display_name": "Eve\u202e"}, "display_name"),
        ({"display_name": "\u2066Eve"}, "display_name"),
        ({"display_name": "x" * 65}, "display_name"),
        ({"is_admin": True}, "is_admin"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "two@@example.org"}, "email"),
        ({"email": None}, "email"),
        ({"password": None}, "password"),
    ],
)
async def test_register_refuses_bad_input_naming_the_field(
    client: httpx.AsyncClient, app: FastAPI, changes: dict[str, Any], field: str
) -> None:
    body = {
        "email": "bad@example.org",
        "password": PASSWORD,
        "display_name": "Bad",
        "timezone": "Europe/Paris",
        **changes,
    }
    response = await client.post("/api/auth/register", json=body)
    field_named(response, field)
    assert await rows(app, select(User)) == []


async def test_register_missing_fields_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/auth/register", json={"email": "m@example.org"})
    field_named(response, "password")
    assert (await client.post("/api/auth/register", content=b"not json")).status_code == 422


# --- login --------------------------------------------------------------------------------------


async def test_login_opens_a_new_device_session(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    response = await login(client, f"  {alice.email.upper()} ", PASSWORD, user_agent="Laptop")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"user", "access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["user"]["id"] == alice.id
    assert body["refresh_token"] != alice.refresh_token
    assert sid_of(body["access_token"]) != sid_of(alice.access_token)
    assert await status_of_me(client, body["access_token"]) == 200
    assert await status_of_me(client, alice.access_token) == 200
    sessions = await rows(
        app, select(AuthSession).where(col(AuthSession.user_id) == uuid.UUID(alice.id))
    )
    assert len(sessions) == 2
    assert "Laptop" in {s.user_agent for s in sessions}


async def test_login_wrong_password_and_unknown_email_answer_the_same(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    wrong = await login(client, alice.email, "not the password")
    unknown = await login(client, "nobody@example.org", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert error_code(wrong) == "invalid_credentials"
    assert wrong.json() == unknown.json()
    assert "access_token" not in wrong.text
    # No session was opened by either.
    assert len(await rows(app, select(AuthSession))) == 1
    # Both were counted for throttling (each names its account and its address).
    assert len(await rows(app, select(LoginFailure))) == 2


async def test_unknown_email_still_runs_a_full_argon2_verification(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    passwords = app.state.passwords
    verify_calls: list[str | None] = []
    argon2_calls: list[str] = []
    real_verify = passwords._verify
    real_argon2 = PasswordHasher.verify

    def counting_verify(stored: str | None, password: str) -> bool:
        verify_calls.append(stored)
        result: bool = real_verify(stored, password)
        return result

    def counting_argon2(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        argon2_calls.append(hash if isinstance(hash, str) else hash.decode())
        return real_argon2(self, hash, password)

    monkeypatch.setattr(passwords, "_verify", counting_verify)
    monkeypatch.setattr(PasswordHasher, "verify", counting_argon2)

    stored = await user_row(app, alice.id)
    assert stored is not None

    assert (await login(client, alice.email, "wrong password")).status_code == 401
    assert verify_calls == [stored.password_hash]
    assert argon2_calls == [stored.password_hash]

    verify_calls.clear()
    argon2_calls.clear()
    assert (await login(client, "nobody@example.org", "wrong password")).status_code == 401
    assert verify_calls == [None]
    # A real argon2id hash was verified, with the very parameters of a real account's hash.
    assert len(argon2_calls) == 1
    dummy = argon2_calls[0]
    assert dummy.startswith("$argon2id$")
    assert dummy.split("$")[1:4] == stored.password_hash.split("$")[1:4]

    verify_calls.clear()
    argon2_calls.clear()
    assert (await login(client, alice.email, PASSWORD)).status_code == 200
    assert verify_calls == [stored.password_hash]
    assert len(argon2_calls) == 1


async def test_login_refuses_bad_input(client: httpx.AsyncClient) -> None:
    field_named(await client.post("/api/auth/login", json={"email": "a@x.org"}), "password")
    field_named(
        await client.post(
            "/api/auth/login", json={"email": "a@x.org", "password": "p", "remember": True}
        ),
        "remember",
    )
    field_named(
        await client.post("/api/auth/login", json={"email": "a@x.org", "password": "p" * 1025}),
        "password",
    )


# --- access tokens ------------------------------------------------------------------------------


async def test_a_crafted_valid_token_is_accepted(client: httpx.AsyncClient, alice: Member) -> None:
    """The control for the refusals below: the crafting itself yields a token the app takes."""
    assert await status_of_me(client, craft(alice.access_token)) == 200


def _none_alg(template: str) -> str:
    claims = claims_of(template)
    now = int(time.time())
    claims.update(iat=now, exp=now + 600)
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def _tampered_signature(template: str) -> str:
    token = craft(template)
    head, payload, signature = token.split(".")
    middle = len(signature) // 2
    flipped = "A" if signature[middle] != "A" else "B"
    return f"{head}.{payload}.{signature[:middle]}{flipped}{signature[middle + 1 :]}"


def _swapped_payload(template: str, other: str) -> str:
    """Alice's signature over Bob's claims."""
    head, _, signature = craft(template).split(".")
    _, payload, _ = craft(other).split(".")
    return f"{head}.{payload}.{signature}"


BAD_TOKENS = {
    "expired": lambda a, b: craft(a, iat=int(time.time()) - 1200, exp=int(time.time()) - 300),
    "wrong_aud": lambda a, b: craft(a, aud="someone-else"),
    "wrong_iss": lambda a, b: craft(a, iss="someone-else"),
    "wrong_typ": lambda a, b: craft(a, typ="refresh"),
    "no_typ": lambda a, b: craft(a, typ=_DROP),
    "no_exp": lambda a, b: craft(a, exp=_DROP),
    "no_aud": lambda a, b: craft(a, aud=_DROP),
    "no_sid": lambda a, b: craft(a, sid=_DROP),
    "bad_sub": lambda a, b: craft(a, sub="not-a-uuid"),
    "alg_none": lambda a, b: _none_alg(a),
    "hs512": lambda a, b: craft(a, algorithm="HS512"),
    "other_secret": lambda a, b: craft(a, key="another-secret-" + "y" * 40),
    "tampered_signature": lambda a, b: _tampered_signature(a),
    "swapped_payload": lambda a, b: _swapped_payload(a, b),
    "someone_elses_session": lambda a, b: craft(a, sid=claims_of(b)["sid"]),
    "unknown_session": lambda a, b: craft(a, sid=str(uuid.uuid4())),
    "garbage": lambda a, b: "not.a.token",
}


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
async def test_bad_access_tokens_are_refused(
    client: httpx.AsyncClient, alice: Member, bob: Member, kind: str
) -> None:
    token = BAD_TOKENS[kind](alice.access_token, bob.access_token)
    response = await client.get("/api/me", headers=bearer(token))
    assert response.status_code == 401, (kind, response.text)
    assert error_code(response) == "unauthorized"
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_missing_or_foreign_scheme_is_401(client: httpx.AsyncClient, alice: Member) -> None:
    for headers in ({}, {"Authorization": f"Basic {alice.access_token}"}, {"Authorization": ""}):
        response = await client.get("/api/me", headers=headers)
        assert response.status_code == 401, headers
        assert error_code(response) == "unauthorized"


async def test_an_access_token_dies_with_its_session(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    other = await sign_in(client, alice)
    await write(
        app,
        update(AuthSession)
        .where(col(AuthSession.id) == sid_of(alice.access_token))
        .values(revoked_at=utcnow(), revoked_reason="test"),
    )
    response = await client.get("/api/me", headers=alice.headers)
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"
    # Even a freshly signed token for that session is refused: the session is what counts.
    assert await status_of_me(client, craft(alice.access_token)) == 401
    assert await status_of_me(client, other.access_token) == 200


# --- refresh ------------------------------------------------------------------------------------


async def test_refresh_rotates_the_token(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    first = await refresh(client, alice.refresh_token)
    assert first.status_code == 200, first.text
    body = first.json()
    assert set(body) == {"user", "access_token", "refresh_token", "token_type", "expires_in"}
    assert body["user"]["id"] == alice.id
    assert body["refresh_token"] != alice.refresh_token
    # Same device session, new pair.
    assert sid_of(body["access_token"]) == sid_of(alice.access_token)
    assert await status_of_me(client, body["access_token"]) == 200

    spent = await rows(
        app,
        select(RefreshToken).where(
            col(RefreshToken.token_hash) == hashlib.sha256(alice.refresh_token.encode()).hexdigest()
        ),
    )
    assert len(spent) == 1 and spent[0].used_at is not None

    second = await refresh(client, body["refresh_token"])
    assert second.status_code == 200, second.text
    assert second.json()["refresh_token"] not in {alice.refresh_token, body["refresh_token"]}
    sessions = await rows(app, select(AuthSession))
    assert len(sessions) == 1
    assert sessions[0].last_used_at > sessions[0].created_at


async def test_reusing_a_spent_refresh_token_ends_that_family_only(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    phone = alice
    laptop = await sign_in(client, alice, user_agent="Laptop")

    rotated = await refresh(client, phone.refresh_token)
    assert rotated.status_code == 200
    newer = rotated.json()

    replay = await refresh(client, phone.refresh_token)
    assert replay.status_code == 401
    assert error_code(replay) == "invalid_refresh_token"

    # The whole family is gone: the newer refresh token and the session's access tokens.
    again = await refresh(client, newer["refresh_token"])
    assert again.status_code == 401
    assert error_code(again) == "invalid_refresh_token"
    assert await status_of_me(client, newer["access_token"]) == 401
    assert await status_of_me(client, phone.access_token) == 401
    revoked = await session_row(app, sid_of(phone.access_token))
    assert revoked.revoked_at is not None
    assert revoked.revoked_reason == "refresh_reuse"

    # The other device is untouched.
    assert await status_of_me(client, laptop.access_token) == 200
    assert (await refresh(client, laptop.refresh_token)).status_code == 200
    assert (await session_row(app, sid_of(laptop.access_token))).revoked_at is None


async def test_refresh_past_the_absolute_expiry_is_refused(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    await write(
        app,
        update(AuthSession)
        .where(col(AuthSession.id) == sid_of(alice.access_token))
        .values(expires_at=utcnow() - timedelta(seconds=1)),
    )
    response = await refresh(client, alice.refresh_token)
    assert response.status_code == 401
    assert error_code(response) == "invalid_refresh_token"
    assert await status_of_me(client, alice.access_token) == 401
    # Nothing new was issued.
    assert len(await rows(app, select(RefreshToken))) == 1


async def test_concurrent_refresh_with_one_token_succeeds_once(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    responses = await asyncio.gather(*(refresh(client, alice.refresh_token) for _ in range(2)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 401], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 401)
    assert error_code(loser) == "invalid_refresh_token"
    # Exactly one new token was issued: the original and its single successor.
    tokens = await rows(app, select(RefreshToken))
    assert len(tokens) == 2
    assert sum(t.used_at is not None for t in tokens) == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"refresh_token": "never-issued"}, 401),
        ({"refresh_token": ""}, 422),
        ({}, 422),
        ({"refresh_token": "x" * 201}, 422),
    ],
)
async def test_refresh_refuses_what_was_never_issued(
    client: httpx.AsyncClient, alice: Member, body: dict[str, Any], status: int
) -> None:
    response = await client.post("/api/auth/refresh", json=body)
    assert response.status_code == status, response.text
    if status == 401:
        assert error_code(response) == "invalid_refresh_token"
    else:
        field_named(response, "refresh_token")


async def test_an_access_token_is_not_a_refresh_token(
    client: httpx.AsyncClient, alice: Member
) -> None:
    response = await refresh(client, alice.access_token[:200])
    assert response.status_code == 401
    assert error_code(response) == "invalid_refresh_token"


# --- logout -------------------------------------------------------------------------------------


async def test_logout_with_the_access_token(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    other = await sign_in(client, alice)
    response = await client.post("/api/auth/logout", headers=alice.headers)
    assert response.status_code == 204
    assert response.content == b""
    assert await status_of_me(client, alice.access_token) == 401
    assert (await refresh(client, alice.refresh_token)).status_code == 401
    ended = await session_row(app, sid_of(alice.access_token))
    assert ended.revoked_reason == "logout"
    assert await status_of_me(client, other.access_token) == 200


async def test_logout_with_the_refresh_token(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    other = await sign_in(client, alice)
    response = await client.post("/api/auth/logout", json={"refresh_token": alice.refresh_token})
    assert response.status_code == 204
    assert await status_of_me(client, alice.access_token) == 401
    assert (await refresh(client, alice.refresh_token)).status_code == 401
    assert (await session_row(app, sid_of(alice.access_token))).revoked_reason == "logout"
    assert await status_of_me(client, other.access_token) == 200


async def test_logout_with_a_rotated_refresh_token_still_ends_the_session(
    client: httpx.AsyncClient, alice: Member
) -> None:
    rotated = (await refresh(client, alice.refresh_token)).json()
    response = await client.post("/api/auth/logout", json={"refresh_token": alice.refresh_token})
    assert response.status_code == 204
    assert await status_of_me(client, rotated["access_token"]) == 401


async def test_logout_with_nothing_or_garbage_is_204_and_ends_nothing(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    assert (await client.post("/api/auth/logout")).status_code == 204
    assert (await client.post("/api/auth/logout", headers=bearer("garbage"))).status_code == 204
    assert (
        await client.post("/api/auth/logout", json={"refresh_token": "never-issued"})
    ).status_code == 204
    assert await status_of_me(client, alice.access_token) == 200
    assert all(s.revoked_at is None for s in await rows(app, select(AuthSession)))


# --- PATCH /api/me ------------------------------------------------------------------------------


async def test_patch_me_updates_profile_fields(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    response = await patch_me(
        client,
        alice,
        {
            "display_name": " Alice B. ",
            "pronouns": "she/her",
            "timezone": "Asia/Tokyo",
            "quiet_hours_start": "22:30",
            "quiet_hours_end": "07:00",
            "checkin_reminder_time": "21:00",
            "discreet_notifications": False,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["display_name"] == "Alice B."
    assert body["pronouns"] == "she/her"
    assert body["timezone"] == "Asia/Tokyo"
    assert (body["quiet_hours_start"], body["quiet_hours_end"]) == ("22:30", "07:00")
    assert body["checkin_reminder_time"] == "21:00"
    assert body["discreet_notifications"] is False
    assert (await client.get("/api/me", headers=alice.headers)).json() == body

    # Left out: unchanged. null: cleared.
    cleared = await patch_me(
        client,
        alice,
        {
            "pronouns": None,
            "quiet_hours_start": None,
            "quiet_hours_end": None,
            "checkin_reminder_time": None,
        },
    )
    assert cleared.status_code == 200, cleared.text
    stored = await user_row(app, alice.id)
    assert stored is not None
    assert stored.display_name == "Alice B."
    assert stored.timezone == "Asia/Tokyo"
    assert stored.discreet_notifications is False
    assert stored.pronouns is None
    assert stored.quiet_hours_start is None and stored.quiet_hours_end is None
    assert stored.checkin_reminder_time is None


async def test_patch_me_blank_pronouns_clear_them(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    assert (await patch_me(client, alice, {"pronouns": "he/him"})).status_code == 200
    response = await patch_me(client, alice, {"pronouns": "   "})
    assert response.status_code == 200, response.text
    assert response.json()["pronouns"] is None
    stored = await user_row(app, alice.id)
    assert stored is not None and stored.pronouns is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"quiet_hours_start": "22:00"}, "quiet_hours_end"),
        ({"quiet_hours_end": "07:00"}, "quiet_hours_start"),
        ({"quiet_hours_start": "22:00", "quiet_hours_end": None}, "quiet_hours_end"),
        ({"quiet_hours_start": "7:00", "quiet_hours_end": "08:00"}, "quiet_hours_start"),
        ({"quiet_hours_start": "22:00", "quiet_hours_end": "24:00"}, "quiet_hours_end"),
        ({"quiet_hours_start": "22:60", "quiet_hours_end": "07:00"}, "quiet_hours_start"),
        ({"quiet_hours_start": "22:00", "quiet_hours_end": "22:00"}, "quiet_hours_end"),
        ({"checkin_reminder_time": "9pm"}, "checkin_reminder_time"),
        ({"timezone": "Europe/Atlantis"}, "timezone"),
        ({"timezone": None}, "timezone"),
        ({"display_name": None}, "display_name"),
        ({"display_name": "  "}, "display_name"),
        ({"discreet_notifications": None}, "discreet_notifications"),
        ({"password_hash": "$argon2id$forged"}, "password_hash"),
        ({"id": str(uuid.uuid4())}, "id"),
        ({"email": "not-an-email", "current_password": PASSWORD}, "email"),
        ({"email": "new@example.org"}, "current_password"),
        ({"new_password": NEW_PASSWORD}, "current_password"),
        ({"new_password": "short7!", "current_password": PASSWORD}, "new_password"),
        ({"new_password": "p" * 129, "current_password": PASSWORD}, "new_password"),
        ({"new_password": None, "current_password": PASSWORD}, "new_password"),
    ],
)
async def test_patch_me_refuses_bad_input(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, body: dict[str, Any], field: str
) -> None:
    before = await user_row(app, alice.id)
    response = await patch_me(client, alice, body)
    field_named(response, field)
    after = await user_row(app, alice.id)
    assert before is not None and after is not None
    assert after.model_dump() == before.model_dump()


async def test_change_email_needs_the_current_password(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    wrong = await patch_me(
        client,
        alice,
        {"email": "alice.new@example.org", "current_password": "nope nope", "display_name": "X"},
    )
    assert wrong.status_code == 403, wrong.text
    assert error_code(wrong) == "wrong_password"
    stored = await user_row(app, alice.id)
    assert stored is not None
    assert stored.email == alice.email and stored.display_name == "Alice"

    taken = await patch_me(
        client, alice, {"email": bob.email.upper(), "current_password": PASSWORD}
    )
    assert taken.status_code == 409, taken.text
    assert error_code(taken) == "email_taken"

    ok = await patch_me(
        client, alice, {"email": "Alice.New@Example.ORG", "current_password": PASSWORD}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["email"] == "alice.new@example.org"
    stored = await user_row(app, alice.id)
    assert stored is not None and stored.email == "alice.new@example.org"
    assert (await login(client, "alice.new@example.org", PASSWORD)).status_code == 200
    assert (await login(client, alice.email, PASSWORD)).status_code == 401
    # Changing the email keeps the sessions.
    assert await status_of_me(client, alice.access_token) == 200

    # The old address is free again, the new one is taken.
    freed = await register(client, "Newcomer", email=alice.email)
    assert freed.email == alice.email
    clash = await client.post(
        "/api/auth/register",
        json={"email": "ALICE.NEW@example.org", "password": PASSWORD, "display_name": "C"},
    )
    assert clash.status_code == 409
    assert error_code(clash) == "email_taken"


async def test_change_password_signs_out_other_devices_only(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    laptop = await sign_in(client, alice, user_agent="Laptop")
    tablet = await sign_in(client, alice, user_agent="Tablet")

    wrong = await patch_me(
        client, laptop, {"new_password": NEW_PASSWORD, "current_password": "nope nope"}
    )
    assert wrong.status_code == 403
    assert error_code(wrong) == "wrong_password"
    assert await status_of_me(client, tablet.access_token) == 200
    assert (await login(client, alice.email, NEW_PASSWORD)).status_code == 401

    changed = await patch_me(
        client, laptop, {"new_password": NEW_PASSWORD, "current_password": PASSWORD}
    )
    assert changed.status_code == 200, changed.text

    # This device carries on, access and refresh.
    assert await status_of_me(client, laptop.access_token) == 200
    assert (await refresh(client, laptop.refresh_token)).status_code == 200
    # Every other device is out at once, access and refresh.
    for other in (alice, tablet):
        assert await status_of_me(client, other.access_token) == 401
        assert (await refresh(client, other.refresh_token)).status_code == 401
        assert (await session_row(app, sid_of(other.access_token))).revoked_reason == (
            "password_changed"
        )

    assert (await login(client, alice.email, PASSWORD)).status_code == 401
    assert (await login(client, alice.email, NEW_PASSWORD)).status_code == 200
    stored = await user_row(app, alice.id)
    assert stored is not None and stored.password_hash.startswith("$argon2id$")


# --- throttling ---------------------------------------------------------------------------------


async def test_five_failures_lock_the_account_even_for_the_right_password(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    for _ in range(5):
        response = await login(client, alice.email, "wrong password")
        assert response.status_code == 401
        assert error_code(response) == "invalid_credentials"
    blocked = await login(client, alice.email, PASSWORD)
    assert_throttled(blocked)
    # Any spelling of the email is the same account.
    assert_throttled(await login(client, alice.email.upper(), PASSWORD))
    # Another account from the same address is not affected.
    assert (await login(client, bob.email, PASSWORD)).status_code == 200
    # The throttle stores no email and no address in clear.
    stored = await rows(app, select(LoginFailure))
    assert len(stored) == 5
    for failure in stored:
        assert len(failure.account_hash) == len(failure.address_hash) == 64
        assert alice.email not in failure.account_hash
        assert "127.0.0.1" not in failure.address_hash


async def test_an_unknown_email_is_throttled_like_a_real_one(client: httpx.AsyncClient) -> None:
    for _ in range(5):
        assert (await login(client, "ghost@example.org", "wrong password")).status_code == 401
    assert_throttled(await login(client, "ghost@example.org", "wrong password"))


async def test_thirty_failures_from_one_address_block_it(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    for i in range(30):
        response = await login(client, f"guess-{i}@example.org", "wrong password")
        assert response.status_code == 401, (i, response.text)
    assert_throttled(await login(client, alice.email, PASSWORD))
    assert_throttled(await login(client, "guess-99@example.org", "wrong password"))
    # Another address is not blocked.
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as elsewhere:
        assert (await login(elsewhere, alice.email, PASSWORD)).status_code == 200


async def test_the_throttle_holds_across_processes(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, database_url: str, tmp_path: Path
) -> None:
    second = create_app(make_settings(database_url, tmp_path))
    try:
        transport = httpx.ASGITransport(app=second)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
            # Failures made through either process count together.
            for c in (client, other, client, other, client):
                assert (await login(c, alice.email, "wrong password")).status_code == 401
            assert_throttled(await login(other, alice.email, PASSWORD))
            assert_throttled(await login(client, alice.email, PASSWORD))
    finally:
        await second.state.db.dispose()


async def test_a_successful_login_clears_the_counter_of_its_address(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    async with client_at(app, "203.0.113.66") as stranger:
        for _ in range(3):
            assert (await login(stranger, alice.email, "guess")).status_code == 401
    for _ in range(4):
        assert (await login(client, alice.email, "wrong password")).status_code == 401
    assert (await login(client, alice.email, PASSWORD)).status_code == 200
    # Four more failures would make eight without the reset: still under five.
    for _ in range(4):
        assert (await login(client, alice.email, "wrong password")).status_code == 401
    assert (await login(client, alice.email, PASSWORD)).status_code == 200
    # The stranger's guesses are not forgiven by the owner's success: they still count.
    assert len(await rows(app, select(LoginFailure))) == 3
    async with client_at(app, "203.0.113.66") as stranger:
        for _ in range(2):
            assert (await login(stranger, alice.email, "guess")).status_code == 401
        assert_throttled(await login(stranger, alice.email, "guess"))


async def test_failures_age_out_of_the_window(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    for _ in range(5):
        await login(client, alice.email, "wrong password")
    # The oldest failure is about to leave the 15-minute window: the wait says so.
    await write(app, update(LoginFailure).values(at=utcnow() - timedelta(minutes=14)))
    assert assert_throttled(await login(client, alice.email, PASSWORD)) <= 61
    await write(app, update(LoginFailure).values(at=utcnow() - timedelta(minutes=16)))
    assert (await login(client, alice.email, PASSWORD)).status_code == 200


async def test_wrong_guesses_from_elsewhere_do_not_lock_the_owner_out(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    """Knowing an email is not enough to keep its owner out (OWASP ASVS): failures count per
    account *and address*, so the guesser's own address is what waits."""
    async with client_at(app, "203.0.113.66") as stranger:
        for _ in range(5):
            assert (await login(stranger, alice.email, "guess")).status_code == 401
        assert_throttled(await login(stranger, alice.email, "guess"))
        assert_throttled(await login(stranger, alice.email, PASSWORD))
    # The owner, at her own address, signs in at once, and her own typos count apart.
    assert (await login(client, alice.email, PASSWORD)).status_code == 200
    for _ in range(4):
        assert (await login(client, alice.email, "typo")).status_code == 401
    assert (await login(client, alice.email, PASSWORD)).status_code == 200
    async with client_at(app, "203.0.113.66") as stranger:
        assert_throttled(await login(stranger, alice.email, PASSWORD))


async def test_each_failure_past_five_doubles_the_wait(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    async def failures_made(ago: timedelta) -> None:
        await write(app, update(LoginFailure).values(at=utcnow() - ago))

    for _ in range(5):
        assert (await login(client, alice.email, "wrong password")).status_code == 401
    wait = assert_throttled(await login(client, alice.email, PASSWORD))
    assert 14 * 60 < wait <= 15 * 60
    # The wait over, one more wrong guess is answered, and the next wait is twice as long.
    await failures_made(timedelta(minutes=16))
    assert (await login(client, alice.email, "wrong password")).status_code == 401
    wait = assert_throttled(await login(client, alice.email, PASSWORD), window=30 * 60)
    assert 29 * 60 < wait <= 30 * 60
    await failures_made(timedelta(minutes=31))
    assert (await login(client, alice.email, "wrong password")).status_code == 401
    wait = assert_throttled(await login(client, alice.email, PASSWORD), window=60 * 60)
    assert 59 * 60 < wait <= 60 * 60
    # Failures are remembered for a day: 23 hours later the next wrong guess waits two hours.
    await failures_made(timedelta(hours=23))
    assert (await login(client, alice.email, "wrong password")).status_code == 401
    wait = assert_throttled(await login(client, alice.email, PASSWORD), window=2 * 60 * 60)
    assert wait > 119 * 60
    # After a day they are forgotten.
    await failures_made(timedelta(hours=25))
    for _ in range(4):
        assert (await login(client, alice.email, "wrong password")).status_code == 401
    assert (await login(client, alice.email, PASSWORD)).status_code == 200


async def test_the_account_ceiling_bounds_guessing_from_many_addresses(
    app: FastAPI, alice: Member, database_url: str, tmp_path: Path
) -> None:
    defaults = Settings(data_dir=tmp_path, database_url="", secret_key="")
    assert defaults.login_max_failures_per_account == 100
    assert defaults.login_max_failures_per_pair == 5
    # The same rule with a ceiling small enough to reach quickly.
    low = create_app(make_settings(database_url, tmp_path, login_max_failures_per_account=12))
    try:
        for i in range(4):  # three guesses from each of four addresses: each under its own limit
            async with client_at(low, f"203.0.113.{i + 1}") as guesser:
                for _ in range(3):
                    assert (await login(guesser, alice.email, "guess")).status_code == 401
        async with client_at(low, "198.51.100.9") as owner:
            assert_throttled(await login(owner, alice.email, PASSWORD))
        await write(app, update(LoginFailure).values(at=utcnow() - timedelta(minutes=16)))
        async with client_at(low, "198.51.100.9") as owner:
            assert (await login(owner, alice.email, PASSWORD)).status_code == 200
    finally:
        await low.state.db.dispose()


async def test_wrong_passwords_on_sensitive_changes_are_throttled_too(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    for _ in range(5):
        response = await delete_me(client, alice, "wrong password")
        assert response.status_code == 403
    assert_throttled(await delete_me(client, alice, PASSWORD))
    assert_throttled(
        await patch_me(client, alice, {"new_password": NEW_PASSWORD, "current_password": PASSWORD})
    )
    assert await user_row(app, alice.id) is not None
    assert_throttled(await login(client, alice.email, PASSWORD))


# --- registration throttle ----------------------------------------------------------------------

HOUR = 60 * 60


@pytest.fixture
async def strict_app(app: FastAPI, database_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    """The app with the production limit on sign-ups (the suite's own is raised)."""
    application = create_app(
        make_settings(database_url, tmp_path, register_max_per_address_per_hour=5)
    )
    yield application
    await application.state.db.dispose()


def client_at(application: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def sign_up(client: httpx.AsyncClient, email: str) -> httpx.Response:
    body = {"email": email, "password": PASSWORD, "display_name": "New"}
    return await client.post("/api/auth/register", json=body)


def assert_sign_ups_throttled(response: httpx.Response) -> int:
    assert response.status_code == 429, response.text
    assert error_code(response) == "too_many_sign_ups"
    retry_after = response.headers["Retry-After"]
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= HOUR
    return int(retry_after)


async def test_a_sixth_sign_up_from_one_address_in_an_hour_is_429(
    strict_app: FastAPI, app: FastAPI
) -> None:
    async with client_at(strict_app, "198.51.100.1") as here:
        for i in range(5):
            assert (await sign_up(here, f"new-{i}@example.org")).status_code == 201
        assert assert_sign_ups_throttled(await sign_up(here, "new-5@example.org")) > HOUR - 60
        # A taken email is refused by the throttle too, before it can be told apart.
        assert_sign_ups_throttled(await sign_up(here, "new-0@example.org"))
    # Another address still works, and the refused one made no account.
    async with client_at(strict_app, "198.51.100.2") as there:
        assert (await sign_up(there, "new-5@example.org")).status_code == 201
    assert len(await rows(app, select(User))) == 6


async def test_every_sign_up_attempt_counts_and_ages_out_of_the_hour(
    strict_app: FastAPI, app: FastAPI
) -> None:
    async with client_at(strict_app, "198.51.100.1") as here:
        # Each attempt costs a password hash, so a refused one (email taken) counts as well.
        assert (await sign_up(here, "taken@example.org")).status_code == 201
        for _ in range(4):
            taken = await sign_up(here, "taken@example.org")
            assert taken.status_code == 409, taken.text
        assert_sign_ups_throttled(await sign_up(here, "other@example.org"))
        # Invalid input costs nothing and is not counted.
        await write(app, delete(SignUpAttempt))
        for _ in range(6):
            assert (await here.post("/api/auth/register", json={})).status_code == 422
        assert (await sign_up(here, "other@example.org")).status_code == 201
        # The attempts are stored keyed, and leave the window after an hour.
        attempts = await rows(app, select(SignUpAttempt))
        assert len(attempts) == 1 and "198.51.100.1" not in attempts[0].key_hash
        for i in range(4):
            assert (await sign_up(here, f"more-{i}@example.org")).status_code == 201
        await write(app, update(SignUpAttempt).values(at=utcnow() - timedelta(minutes=59)))
        assert assert_sign_ups_throttled(await sign_up(here, "late@example.org")) <= 61
        await write(app, update(SignUpAttempt).values(at=utcnow() - timedelta(minutes=61)))
        assert (await sign_up(here, "late@example.org")).status_code == 201


async def test_concurrent_sign_ups_cannot_overshoot_the_address_limit(
    strict_app: FastAPI, app: FastAPI
) -> None:
    async with client_at(strict_app, "198.51.100.1") as here:
        answers = await asyncio.gather(*(sign_up(here, f"rush-{i}@example.org") for i in range(9)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] * 5 + [429] * 4, [a.text for a in answers]
    assert len(await rows(app, select(User))) == 5


async def test_the_sign_up_limit_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SECRET_KEY", "env-test-" + "x" * 40)
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert Settings.from_env().register_max_per_address_per_hour == 5
    assert Settings.from_env().password_hash_concurrency == 2
    monkeypatch.setenv("REGISTER_MAX_PER_ADDRESS_PER_HOUR", "12")
    monkeypatch.setenv("PASSWORD_HASH_CONCURRENCY", "4")
    assert Settings.from_env().register_max_per_address_per_hour == 12
    assert Settings.from_env().password_hash_concurrency == 4


# --- DELETE /api/me -----------------------------------------------------------------------------


async def test_delete_me_needs_the_password(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    wrong = await delete_me(client, alice, "wrong password")
    assert wrong.status_code == 403
    assert error_code(wrong) == "wrong_password"
    missing = await client.request("DELETE", "/api/me", json={}, headers=alice.headers)
    field_named(missing, "password")
    no_body = await client.request("DELETE", "/api/me", headers=alice.headers)
    assert no_body.status_code == 422
    unauthenticated = await client.request("DELETE", "/api/me", json={"password": PASSWORD})
    assert unauthenticated.status_code == 401
    assert await user_row(app, alice.id) is not None
    assert (await login(client, alice.email, PASSWORD)).status_code == 200


async def test_delete_me_ends_dynamics_and_tells_the_partners(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    carol = await register(client, "Carol")
    with_bob = await pair(client, alice, bob)
    with_carol = await pair(client, carol, alice)
    red = await client.post(
        f"/api/dynamics/{with_carol}/red",
        json={"note": "alice's private note"},
        headers=alice.headers,
    )
    assert red.status_code == 200, red.text

    response = await delete_me(client, alice, PASSWORD)
    assert response.status_code == 204, response.text

    # Gone: no sign-in, no tokens, no row.
    failed = await login(client, alice.email, PASSWORD)
    assert failed.status_code == 401
    assert error_code(failed) == "invalid_credentials"
    assert await status_of_me(client, alice.access_token) == 401
    assert (await refresh(client, alice.refresh_token)).status_code == 401
    assert await user_row(app, alice.id) is None
    assert (
        await rows(app, select(AuthSession).where(col(AuthSession.user_id) == uuid.UUID(alice.id)))
        == []
    )

    for partner, dynamic_id in ((bob, with_bob), (carol, with_carol)):
        seen = await client.get(f"/api/dynamics/{dynamic_id}", headers=partner.headers)
        assert seen.status_code == 200, seen.text
        dynamic = seen.json()
        assert dynamic["state"] == "ended"
        assert dynamic["ended_at"] is not None
        former = [m for m in dynamic["members"] if m["user_id"] != partner.id]
        assert len(former) == 1
        assert former[0]["user_id"] is None
        assert former[0]["display_name"] == "Former member"
        assert former[0]["red_note"] is None
        assert "alice's private note" not in seen.text
        inbox = await client.get("/api/notifications", headers=partner.headers)
        assert inbox.status_code == 200
        left = [n for n in inbox.json()["items"] if n["kind"] == "partner_left"]
        assert len(left) == 1
        assert left[0]["dynamic_id"] == dynamic_id

    memberships = await rows(app, select(Membership))
    assert len(memberships) == 4
    assert sum(m.user_id is None for m in memberships) == 2
    assert {d.state for d in await rows(app, select(Dynamic))} == {"ended"}

    # The address can be used again.
    again = await register(client, "Alice again", email=alice.email)
    assert again.id != alice.id


# --- GET /api/me/export -------------------------------------------------------------------------


async def test_export_holds_everything_and_no_secret(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    carol = await register(client, "Carol")
    laptop = await sign_in(client, alice, user_agent="Laptop")
    rotated = (await refresh(client, laptop.refresh_token)).json()

    ended = await pair(client, alice, bob)
    left = await client.post(f"/api/dynamics/{ended}/leave", headers=bob.headers)
    assert left.status_code == 200, left.text
    active = await pair(client, carol, alice)
    assert (
        await client.post(f"/api/dynamics/{active}/red", json={}, headers=carol.headers)
    ).status_code == 200
    open_invite = await client.post("/api/invites", json={}, headers=alice.headers)
    assert open_invite.status_code == 201

    response = await client.get("/api/me/export", headers=alice.headers)
    assert response.status_code == 200, response.text
    export = response.json()

    assert export["user"]["id"] == alice.id
    assert export["user"]["email"] == alice.email
    assert export["user"]["display_name"] == "Alice"
    assert len(export["sessions"]) == 2
    assert "Laptop" in {s["user_agent"] for s in export["sessions"]}
    states = {d["id"]: d["state"] for d in export["dynamics"]}
    assert states == {ended: "ended", active: "paused"}
    assert {i["state"] for i in export["invites"]} == {"accepted", "open"}
    assert open_invite.json()["code"] in {i["code"] for i in export["invites"]}
    kinds = {n["kind"] for n in export["notifications"]}
    assert {"partner_linked", "partner_left", "red"} <= kinds
    assert all(n["dynamic_id"] in {ended, active} for n in export["notifications"])

    stored = await user_row(app, alice.id)
    assert stored is not None
    text = response.text
    tokens = [
        alice.access_token,
        alice.refresh_token,
        laptop.access_token,
        laptop.refresh_token,
        rotated["access_token"],
        rotated["refresh_token"],
    ]
    forbidden = [
        stored.password_hash,
        "$argon2",
        "password",
        PASSWORD,
        "eyJ",  # any JWT
        *tokens,
        *(hashlib.sha256(t.encode()).hexdigest() for t in tokens),
        bob.email,
        carol.email,
    ]
    for secret in forbidden:
        assert secret not in text, secret


async def test_export_needs_auth(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/me/export")
    assert response.status_code == 401
    assert error_code(response) == "unauthorized"


# --- GET /api/me/sessions -----------------------------------------------------------------------


async def test_sessions_lists_devices_without_tokens(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    laptop = await sign_in(client, alice, user_agent="Laptop")
    long_agent = await sign_in(client, alice, user_agent="A" * 500)
    response = await client.get("/api/me/sessions", headers=alice.headers)
    assert response.status_code == 200, response.text
    sessions = response.json()
    assert len(sessions) == 3
    # Newest first; a long user agent is cut, not refused.
    assert sessions[0]["id"] == str(sid_of(long_agent.access_token))
    assert sessions[0]["user_agent"] == "A" * 200
    sessions = sessions[1:]
    assert {s["id"] for s in sessions} == {
        str(sid_of(alice.access_token)),
        str(sid_of(laptop.access_token)),
    }
    for s in sessions:
        assert set(s) == {
            "id",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "user_agent",
            "current",
        }
        assert s["revoked_at"] is None
        assert s["current"] is (s["id"] == str(sid_of(alice.access_token)))
    assert "Laptop" in {s["user_agent"] for s in sessions}
    for secret in (
        alice.access_token,
        alice.refresh_token,
        laptop.access_token,
        laptop.refresh_token,
    ):
        assert secret not in response.text
    assert "token" not in response.text
    # Bob's device is not Alice's business.
    assert str(sid_of(bob.access_token)) not in response.text

    assert (await client.post("/api/auth/logout", headers=laptop.headers)).status_code == 204
    after = (await client.get("/api/me/sessions", headers=alice.headers)).json()
    by_id = {s["id"]: s for s in after}
    assert by_id[str(sid_of(laptop.access_token))]["revoked_at"] is not None
    assert by_id[str(sid_of(alice.access_token))]["revoked_at"] is None

    assert (await client.get("/api/me/sessions")).status_code == 401


async def test_concurrent_failures_cannot_overshoot_the_account_limit(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parallel guesses get no more answers than sequential ones: five 401s, the rest 429.

    The hashes of parallel guesses may run side by side (no write lock is held while hashing),
    but each attempt is settled under the writers' lock, so only five are ever answered."""
    verified: list[str | None] = []
    passwords = app.state.passwords
    real_verify = passwords._verify

    def counting_verify(stored: str | None, password: str) -> bool:
        verified.append(stored)
        result: bool = real_verify(stored, password)
        return result

    monkeypatch.setattr(passwords, "_verify", counting_verify)
    responses = await asyncio.gather(*(login(client, alice.email, f"guess {i}") for i in range(12)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [401] * 5 + [429] * 7, [r.text for r in responses]
    assert 5 <= len(verified) <= 12
    assert len(await rows(app, select(LoginFailure))) == 5


async def test_concurrent_registrations_of_one_email_make_one_account(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    responses = await asyncio.gather(
        *(
            client.post(
                "/api/auth/register",
                json={"email": spelling, "password": PASSWORD, "display_name": "Twin"},
            )
            for spelling in ("twin@example.org", "TWIN@example.org", "Twin@Example.org")
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409], [r.text for r in responses]
    assert all(error_code(r) == "email_taken" for r in responses if r.status_code == 409)
    assert len(await rows(app, select(User))) == 1


async def test_ending_one_device_session(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    phone = await sign_in(client, alice, user_agent="Lost phone")
    lost = sid_of(phone.access_token)
    # Bob cannot end Alice's device, and an unknown id is a 404 like it.
    assert (await client.delete(f"/api/me/sessions/{lost}", headers=bob.headers)).status_code == 404
    assert await status_of_me(client, phone.access_token) == 200
    unknown = uuid.uuid4()
    missing = await client.delete(f"/api/me/sessions/{unknown}", headers=alice.headers)
    assert missing.status_code == 404
    ended = await client.delete(f"/api/me/sessions/{lost}", headers=alice.headers)
    assert ended.status_code == 204
    assert await status_of_me(client, phone.access_token) == 401
    refused = await client.post("/api/auth/refresh", json={"refresh_token": phone.refresh_token})
    assert refused.status_code == 401
    assert await status_of_me(client, alice.access_token) == 200


async def test_delete_me_erases_the_words_left_in_shared_history(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    """Bob's notes in the shared history go with his account; Alice's own data stays."""
    proposed = await client.post(
        f"/api/dynamics/{dynamic_id}/protocols",
        json={"title": "Tea", "kind": "care", "performer_ids": [bob.id]},
        headers=alice.headers,
    )
    pid = proposed.json()["id"]
    agreed = await client.post(
        f"/api/protocols/{pid}/agree", json={"version": 1}, headers=bob.headers
    )
    assert agreed.status_code == 200, agreed.text
    done = await client.post(
        f"/api/protocols/{pid}/completions", json={"note": "bob-private-note"}, headers=bob.headers
    )
    assert done.status_code == 201, done.text
    alices = await client.post(
        f"/api/dynamics/{dynamic_id}/checkins",
        json={"mood": 4, "note": "alice-note"},
        headers=alice.headers,
    )
    answered = await client.post(
        f"/api/checkins/{alices.json()['id']}/responses",
        json={"kind": "seen", "note": "bob-answer-note"},
        headers=bob.headers,
    )
    assert answered.status_code == 201, answered.text
    withdrawn = await client.post(
        f"/api/protocols/{pid}/withdraw", json={"reason": "bob-reason"}, headers=bob.headers
    )
    assert withdrawn.status_code == 200, withdrawn.text

    gone = await client.request(
        "DELETE", "/api/me", json={"password": bob.password}, headers=bob.headers
    )
    assert gone.status_code == 204, gone.text

    completions = await client.get(f"/api/protocols/{pid}/completions", headers=alice.headers)
    history = await client.get(f"/api/protocols/{pid}/history", headers=alice.headers)
    checkins = await client.get(f"/api/dynamics/{dynamic_id}/checkins", headers=alice.headers)
    export = await client.get("/api/me/export", headers=alice.headers)
    seen = completions.text + history.text + checkins.text + export.text
    for word in ("bob-private-note", "bob-answer-note", "bob-reason"):
        assert word not in seen
    assert completions.json()["items"][0]["user_id"] is None  # the completion itself stays
    assert "alice-note" in checkins.text


async def test_export_holds_protocols_checkins_and_answers(
    client: httpx.AsyncClient, alice: Member, bob: Member, eve: Member, dynamic_id: str
) -> None:
    proposed = await client.post(
        f"/api/dynamics/{dynamic_id}/protocols",
        json={"title": "Evening call", "kind": "communication", "performer_ids": [bob.id]},
        headers=alice.headers,
    )
    pid = proposed.json()["id"]
    await client.post(f"/api/protocols/{pid}/agree", json={"version": 1}, headers=bob.headers)
    done = await client.post(
        f"/api/protocols/{pid}/completions", json={"note": "called"}, headers=bob.headers
    )
    assert done.status_code == 201, done.text
    checkin = await client.post(
        f"/api/dynamics/{dynamic_id}/checkins",
        json={"mood": 4, "needs": ["praise"], "note": "a good day"},
        headers=alice.headers,
    )
    answer = await client.post(
        f"/api/checkins/{checkin.json()['id']}/responses",
        json={"kind": "done", "note": "proud of you"},
        headers=bob.headers,
    )
    assert answer.status_code == 201, answer.text

    mine = (await client.get("/api/me/export", headers=alice.headers)).json()
    (protocol,) = mine["protocols"]
    assert protocol["id"] == pid and protocol["status"] == "active"
    assert [c["note"] for c in protocol["completions"]] == ["called"]
    assert [e["action"] for e in protocol["history"]["events"]][:1] == ["proposed"]
    (own,) = mine["checkins"]
    assert own["note"] == "a good day"
    assert [r["note"] for r in own["responses"]] == ["proud of you"]
    assert mine["responses_given"] == []

    theirs = (await client.get("/api/me/export", headers=bob.headers)).json()
    assert theirs["checkins"] == []  # Alice's check-ins are hers
    assert [r["note"] for r in theirs["responses_given"]] == ["proud of you"]
    assert [p["id"] for p in theirs["protocols"]] == [pid]

    outsider = (await client.get("/api/me/export", headers=eve.headers)).json()
    assert outsider["protocols"] == outsider["checkins"] == outsider["responses_given"] == []
