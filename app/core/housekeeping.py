"""Periodic clean-up: what is kept only for a while is removed once its time has passed."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from sqlalchemy import delete, or_
from sqlmodel import col

from app.accounts.models import (
    LOGIN_FAILURE_MEMORY,
    AuthSession,
    LoginFailure,
    PasswordReset,
    SignUpAttempt,
)
from app.core.db import Database, utcnow, write_session
from app.core.models import IdempotencyRecord
from app.live.models import LiveTicket
from app.push.models import PushSubscription
from app.reminders.models import Reminder

log = logging.getLogger("accord.housekeeping")

IDEMPOTENCY_KEEP = timedelta(days=30)
LOGIN_FAILURES_KEEP = LOGIN_FAILURE_MEMORY
SIGN_UP_ATTEMPTS_KEEP = timedelta(days=1)
ENDED_SESSIONS_KEEP = timedelta(days=30)
DONE_REMINDERS_KEEP = timedelta(days=30)
# Spent or not, a live-stream ticket is worthless a minute after it was made.
LIVE_TICKETS_KEEP = timedelta(hours=1)
# A reset link works an hour; kept a day after, so a late click still hears "expired".
PASSWORD_RESETS_KEEP = timedelta(days=1)
# A device that has failed this often and not taken a push for this long is gone for good.
DEAD_DEVICE_FAILURES = 10
DEAD_DEVICE_SILENCE = timedelta(days=30)
INTERVAL_SECONDS = 3600


async def sweep(db: Database) -> dict[str, int]:
    now = utcnow()
    counts: dict[str, int] = {}
    async with write_session(db) as session:
        result = await session.execute(
            delete(IdempotencyRecord).where(
                col(IdempotencyRecord.created_at) < now - IDEMPOTENCY_KEEP
            )
        )
        counts["idempotency_records"] = result.rowcount  # type: ignore[attr-defined]
        result = await session.execute(
            delete(LoginFailure).where(col(LoginFailure.at) < now - LOGIN_FAILURES_KEEP)
        )
        counts["login_failures"] = result.rowcount  # type: ignore[attr-defined]
        result = await session.execute(
            delete(SignUpAttempt).where(col(SignUpAttempt.at) < now - SIGN_UP_ATTEMPTS_KEEP)
        )
        counts["sign_up_attempts"] = result.rowcount  # type: ignore[attr-defined]
        result = await session.execute(
            delete(AuthSession).where(
                or_(
                    col(AuthSession.expires_at) < now - ENDED_SESSIONS_KEEP,
                    col(AuthSession.revoked_at) < now - ENDED_SESSIONS_KEEP,
                )
            )
        )
        counts["auth_sessions"] = result.rowcount  # type: ignore[attr-defined]
        result = await session.execute(
            delete(LiveTicket).where(col(LiveTicket.expires_at) < now - LIVE_TICKETS_KEEP)
        )
        counts["live_tickets"] = result.rowcount  # type: ignore[attr-defined]
        result = await session.execute(
            delete(PasswordReset).where(col(PasswordReset.expires_at) < now - PASSWORD_RESETS_KEEP)
        )
        counts["password_resets"] = result.rowcount  # type: ignore[attr-defined]
        result = await session.execute(
            delete(Reminder).where(
                col(Reminder.state) != "pending",
                col(Reminder.due_at) < now - DONE_REMINDERS_KEEP,
            )
        )
        counts["reminders"] = result.rowcount  # type: ignore[attr-defined]
        silent_since = now - DEAD_DEVICE_SILENCE
        result = await session.execute(
            delete(PushSubscription).where(
                col(PushSubscription.failure_count) >= DEAD_DEVICE_FAILURES,
                col(PushSubscription.created_at) < silent_since,
                or_(
                    col(PushSubscription.last_success_at).is_(None),
                    col(PushSubscription.last_success_at) < silent_since,
                ),
            )
        )
        counts["push_subscriptions"] = result.rowcount  # type: ignore[attr-defined]
    return counts


async def run_forever(db: Database) -> None:
    while True:
        try:
            counts = await sweep(db)
            log.info("housekeeping removed %s", counts)
        except Exception:  # keep the loop alive; the next sweep retries
            log.exception("housekeeping failed")
        await asyncio.sleep(INTERVAL_SECONDS)
