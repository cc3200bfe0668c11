"""The operator's command, ``python -m app.admin``, in real processes on the run's database, and
``POST /api/auth/reset``, which spends the link it prints.

A reset link works once, not twice, not after its hour, and signs every other device out; a
disabled account can neither sign in nor refresh, and its tokens stop working at once; delete
erases as ``DELETE /api/me`` does; stats prints counts and nothing personal.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlmodel import col

from app.accounts.models import PasswordReset, User
from app.core.db import utcnow
from app.push.models import PushSubscription
from tests.commands import admin_in_process, run_module
from tests.helpers import Member, error_code, pair, register
from tests.helpers.members import login

NEW_PASSWORD = "a brand new passphrase"
LINK = re.compile(r"(\S+)/#/reset/([A-Za-z0-9_-]+)")


async def admin(database_url: str, tmp_path: Path, *args: str, **env: str) -> Any:
    """The command as ``main`` runs it, in this process (tests/commands.py)."""
    return await admin_in_process(
        *args, database_url=database_url, data_dir=tmp_path / "data", env=env
    )


async def admin_process(database_url: str, tmp_path: Path, *args: str, **env: str) -> Any:
    """The command as the operator runs it: ``python -m app.admin`` in a process of its own."""
    return await run_module(
        "app.admin", *args, database_url=database_url, data_dir=tmp_path / "data", env=env
    )


async def reset_link(
    database_url: str, tmp_path: Path, email: str, *, process: bool = False, **env: str
) -> tuple[str, str]:
    run = admin_process if process else admin
    result = await run(database_url, tmp_path, "reset-password", email, **env)
    assert result.returncode == 0, result.stderr
    match = LINK.search(result.stdout)
    assert match, result.stdout
    return match.group(1), match.group(2)


async def reset(client: httpx.AsyncClient, token: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/reset", json={"token": token, "new_password": password})


async def test_a_reset_link_works_once_and_signs_every_other_device_out(
    app: FastAPI, client: httpx.AsyncClient, alice: Member, database_url: str, tmp_path: Path
) -> None:
    other_device = (await login(client, alice.email, alice.password)).json()
    origin, token = await reset_link(database_url, tmp_path, alice.email.upper(), process=True)
    assert origin == "http://127.0.0.1:8000"

    # Only the token's hash is stored.
    async with app.state.db.reader() as session:
        stored = (await session.execute(select(PasswordReset))).scalars().all()
    assert [r.token_hash for r in stored] == [hashlib.sha256(token.encode()).hexdigest()]
    assert timedelta(minutes=59) < stored[0].expires_at - utcnow() <= timedelta(hours=1)

    # Password rules as at sign-up; a refused password does not spend the link.
    short = await reset(client, token, "short")
    assert short.status_code == 422
    assert error_code(short) == "validation_error"

    answer = await reset(client, token, NEW_PASSWORD)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) >= {"user", "access_token", "refresh_token", "token_type", "expires_in"}
    assert body["user"]["id"] == alice.id
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200

    # Every other session ended: access tokens and refresh tokens alike.
    for access in (alice.access_token, other_device["access_token"]):
        ended = await client.get("/api/me", headers={"Authorization": f"Bearer {access}"})
        assert ended.status_code == 401
    refreshed = await client.post(
        "/api/auth/refresh", json={"refresh_token": other_device["refresh_token"]}
    )
    assert refreshed.status_code == 401

    assert (await login(client, alice.email, alice.password)).status_code == 401
    assert (await login(client, alice.email, NEW_PASSWORD)).status_code == 200

    again = await reset(client, token, "yet another passphrase")
    assert again.status_code == 410
    assert error_code(again) == "reset_used"
    assert (await login(client, alice.email, NEW_PASSWORD)).status_code == 200


async def test_a_reset_link_does_not_work_after_its_hour(
    app: FastAPI, client: httpx.AsyncClient, alice: Member, database_url: str, tmp_path: Path
) -> None:
    _, token = await reset_link(database_url, tmp_path, alice.email)
    async with app.state.db.writer() as session:
        await session.execute(
            update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        await session.commit()
    expired = await reset(client, token, NEW_PASSWORD)
    assert expired.status_code == 410
    assert error_code(expired) == "reset_expired"
    assert (await login(client, alice.email, alice.password)).status_code == 200
    assert (await client.get("/api/me", headers=alice.headers)).status_code == 200


async def test_unknown_and_replaced_links_are_refused(
    client: httpx.AsyncClient, alice: Member, database_url: str, tmp_path: Path
) -> None:
    unknown = await reset(client, "not-a-token-anyone-made", NEW_PASSWORD)
    assert unknown.status_code == 404
    assert error_code(unknown) == "invalid_reset_token"

    origin, first = await reset_link(
        database_url, tmp_path, alice.email, PUBLIC_URL="https://accord.example/"
    )
    assert origin == "https://accord.example"
    _, second = await reset_link(database_url, tmp_path, alice.email)
    replaced = await reset(client, first, NEW_PASSWORD)
    assert replaced.status_code == 404
    assert (await reset(client, second, NEW_PASSWORD)).status_code == 200


async def test_wrong_reset_tokens_are_throttled_per_address(
    app: FastAPI, client: httpx.AsyncClient, alice: Member, database_url: str, tmp_path: Path
) -> None:
    _, token = await reset_link(database_url, tmp_path, alice.email)
    limit = app.state.settings.login_max_failures_per_address
    for _ in range(limit):
        assert (await reset(client, uuid.uuid4().hex, NEW_PASSWORD)).status_code == 404
    throttled = await reset(client, token, NEW_PASSWORD)
    assert throttled.status_code == 429
    assert error_code(throttled) == "too_many_attempts"
    assert int(throttled.headers["Retry-After"]) > 0


async def test_a_disabled_account_cannot_sign_in_refresh_or_use_its_tokens(
    app: FastAPI, client: httpx.AsyncClient, alice: Member, database_url: str, tmp_path: Path
) -> None:
    async with app.state.db.writer() as session:
        session.add(
            PushSubscription(
                user_id=uuid.UUID(alice.id),
                endpoint="https://push.example/device",
                p256dh="p" * 87,
                auth="a" * 22,
            )
        )
        await session.commit()

    disabled = await admin(database_url, tmp_path, "disable", alice.email)
    assert disabled.returncode == 0, disabled.stderr
    assert (await client.get("/api/me", headers=alice.headers)).status_code == 401
    refused = await client.post("/api/auth/refresh", json={"refresh_token": alice.refresh_token})
    assert refused.status_code == 401
    assert error_code(refused) == "account_disabled"
    signin = await login(client, alice.email, alice.password)
    assert signin.status_code == 401
    assert error_code(signin) == "account_disabled"
    # A wrong password learns nothing about the account.
    assert error_code(await login(client, alice.email, "wrong password")) == "invalid_credentials"
    async with app.state.db.reader() as session:
        devices = (await session.execute(select(func.count()).select_from(PushSubscription))).one()
    assert devices == (0,)

    no_link = await admin(database_url, tmp_path, "reset-password", alice.email)
    assert no_link.returncode == 1
    assert "disabled" in no_link.stderr

    enabled = await admin(database_url, tmp_path, "enable", alice.email)
    assert enabled.returncode == 0, enabled.stderr
    assert (await login(client, alice.email, alice.password)).status_code == 200
    # The sessions that ended stay ended.
    assert (await client.get("/api/me", headers=alice.headers)).status_code == 401


async def test_delete_erases_the_account_as_delete_me_does(
    app: FastAPI, client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    alice = await register(client, "Alice")
    bob = await register(client, "Bob")
    dynamic_id = await pair(client, alice, bob)

    asked = await admin(database_url, tmp_path, "delete", alice.email)
    assert asked.returncode == 1
    assert "--yes" in asked.stderr
    assert (await client.get("/api/me", headers=alice.headers)).status_code == 200

    deleted = await admin(database_url, tmp_path, "delete", alice.email, "--yes")
    assert deleted.returncode == 0, deleted.stderr
    async with app.state.db.reader() as session:
        left = (
            await session.execute(select(col(User.id)).where(col(User.id) == uuid.UUID(alice.id)))
        ).all()
    assert left == []
    assert (await login(client, alice.email, alice.password)).status_code == 401
    dynamic = await client.get(f"/api/dynamics/{dynamic_id}", headers=bob.headers)
    assert dynamic.status_code == 200
    assert dynamic.json()["state"] == "ended"
    told = await client.get("/api/notifications", headers=bob.headers)
    assert told.json()["items"], told.text

    unknown = await admin(database_url, tmp_path, "delete", alice.email, "--yes")
    assert unknown.returncode == 1
    assert "no account" in unknown.stderr


async def test_stats_counts_and_names_nobody(
    client: httpx.AsyncClient, database_url: str, tmp_path: Path
) -> None:
    alice = await register(client, "Alice")
    bob = await register(client, "Bob")
    carol = await register(client, "Carol")
    dynamic_id = await pair(client, alice, bob)
    red = await client.post(f"/api/dynamics/{dynamic_id}/red", json={}, headers=bob.idem())
    assert red.status_code == 200, red.text
    assert (await admin(database_url, tmp_path, "disable", carol.email)).returncode == 0

    result = await admin_process(database_url, tmp_path, "stats")
    assert result.returncode == 0, result.stderr
    assert "accounts: 3 (1 disabled)" in result.stdout
    assert "dynamics: active 0, paused 1, ended 0" in result.stdout
    assert re.search(r"reminders pending: \d+ \(\d+ due now\)", result.stdout)
    assert "@" not in result.stdout
    for member in (alice, bob, carol):
        assert member.name not in result.stdout


async def test_a_command_used_wrongly_says_how_and_changes_nothing(
    client: httpx.AsyncClient, alice: Member, database_url: str, tmp_path: Path
) -> None:
    for args in (("delete",), ("erase", alice.email), ()):
        result = await admin(database_url, tmp_path, *args)
        assert result.returncode == 2, result
        assert "usage: python -m app.admin" in result.stderr
    assert (await login(client, alice.email, alice.password)).status_code == 200
