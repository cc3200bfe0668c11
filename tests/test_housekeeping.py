"""Housekeeping removes what is kept only for a while, and nothing else."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import func, update
from sqlmodel import col, select

from app.accounts.models import AuthSession, LoginFailure, SignUpAttempt
from app.core.db import utcnow, write_session
from app.core.housekeeping import sweep, sweeps_of
from app.core.models import IdempotencyRecord
from app.notifications.models import Reminder
from app.push.models import PushSubscription
from tests.helpers import Member


async def _count(app: FastAPI, model: type) -> int:
    async with app.state.db.reader() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def test_sweep_removes_only_what_has_expired(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    now = utcnow()
    long_ago = now - timedelta(days=45)
    # Two idempotency records: one old, one fresh.
    for key in ("old", "new"):
        made = await client.post("/api/invites", json={}, headers=alice.idem(key))
        assert made.status_code == 201
    # A failed login now, and one from two days ago.
    await client.post("/api/auth/login", json={"email": alice.email, "password": "wrong one"})
    # Bob signs out of one device; an older revoked session is long gone.
    await client.post("/api/auth/logout", headers=bob.headers)
    # A red makes notifications, whose pushes are queued and then sent.
    await client.post(f"/api/dynamics/{dynamic_id}/red", json={}, headers=alice.headers)
    async with write_session(app.state.db) as session:
        await session.execute(
            update(IdempotencyRecord)
            .where(col(IdempotencyRecord.key) == "old")
            .values(created_at=long_ago)
        )
        session.add(
            LoginFailure(account_hash="x" * 64, address_hash="y" * 64, at=now - timedelta(days=2))
        )
        session.add(SignUpAttempt(key_hash="x" * 64, at=now - timedelta(days=2)))
        await session.execute(
            update(AuthSession)
            .where(col(AuthSession.user_id) == uuid.UUID(bob.id))
            .values(revoked_at=long_ago)
        )
        await session.execute(
            update(Reminder).values(state="sent", sent_at=long_ago, due_at=long_ago)
        )
        session.add(
            Reminder(
                key="pending-old",
                kind="notification",
                user_id=uuid.UUID(alice.id),
                scheduled_for=long_ago,
                due_at=long_ago,
            )
        )
        for name, failures, last in (("dead", 12, None), ("flaky", 12, now), ("fine", 0, None)):
            session.add(
                PushSubscription(
                    user_id=uuid.UUID(alice.id),
                    endpoint=f"https://push.example.com/{name}",
                    p256dh="p",
                    auth="a",
                    created_at=long_ago,
                    failure_count=failures,
                    last_success_at=last,
                )
            )
    counts = await sweep(app.state.db, sweeps_of(app.state.parts))
    assert counts["idempotency_records"] == 1
    assert counts["login_failures"] == 1
    assert counts["sign_up_attempts"] == 1
    assert counts["auth_sessions"] == 1
    assert counts["push_subscriptions"] == 1
    assert counts["reminders"] >= 1
    async with app.state.db.reader() as session:
        keys = set((await session.execute(select(IdempotencyRecord.key))).scalars())
        endpoints = set((await session.execute(select(PushSubscription.endpoint))).scalars())
        reminders = list((await session.execute(select(Reminder))).scalars())
    assert keys == {"new"}
    assert endpoints == {"https://push.example.com/flaky", "https://push.example.com/fine"}
    assert [r.key for r in reminders] == ["pending-old"]  # never a pending one
    assert await _count(app, LoginFailure) == 1  # today's stays
    assert await _count(app, AuthSession) == 1  # Alice's own session stays
    assert await _count(app, SignUpAttempt) == 2  # Alice's and Bob's, made today, stay
    # A second sweep finds nothing more.
    again = await sweep(app.state.db, sweeps_of(app.state.parts))
    assert set(again.values()) == {0}
