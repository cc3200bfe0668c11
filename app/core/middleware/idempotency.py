"""Idempotency-Key (IETF httpapi draft): a repeated POST or PATCH acts once.

A keyed request is claimed in its own short transaction first, so a concurrent repeat sees it in
flight (409). The stored response is written in the same transaction as the work it describes
(through the unit of work's ``BEFORE_COMMIT``, so this layer sits outside it), and a crash can
never leave work done without its replay, or a replay without its work. A repeat with a
different request is a 422, and a finished one is replayed byte for byte, but only to a live
device session. A claim that did not end in a stored success is released before the client
hears the answer, so a retry after a refusal is a first request again.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.db import Database, utcnow
from app.core.middleware.asgi import Buffered, header, json_error, read_body
from app.core.middleware.unit_of_work import BEFORE_COMMIT
from app.core.models import IdempotencyRecord
from app.core.requests import (
    IN_FLIGHT_STALE,
    fingerprint_key,
    parse_idempotency_key,
    plain_fingerprint,
    request_fingerprint,
)
from app.core.security import AccessClaims, InvalidToken, decode_access_token

IDEMPOTENT_METHODS = frozenset({"POST", "PATCH"})
_CLAIM_ATTEMPTS = 3
_REPLAYED_HEADERS = ("content-type", "etag", "location")
# Responses that carry credentials are never stored, so these routes are not replayed.
_NOT_STORED_PREFIXES = ("/api/auth/", "/api/events/ticket")
# Nor are requests that carry a password: even a keyed fingerprint of one is not kept.
_CREDENTIAL_FIELDS = frozenset({"password", "current_password", "new_password"})

# Whether the device session behind an access token is still live (not revoked, not expired).
# Injected by the app, so that core needs no domain model to ask.
SessionCheck = Callable[[AsyncSession, AccessClaims], Awaitable[bool]]


@dataclass(frozen=True)
class _Claim:
    """Our hold on an idempotency record: its id and the ``created_at`` we claimed it with.

    A claim older than ``IN_FLIGHT_STALE`` may be taken over, which renews ``created_at``; the
    stamp lets the original request notice it lost the key instead of finishing (or releasing)
    a claim that is no longer its own.
    """

    id: uuid.UUID
    stamp: datetime


class Idempotency:
    def __init__(
        self, app: ASGIApp, *, db: Database, settings: Settings, session_is_live: SessionCheck
    ) -> None:
        self.app = app
        self.db = db
        self.settings = settings
        self.session_is_live = session_is_live
        self.fingerprint_key = fingerprint_key(settings.secret_key)

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["method"] not in IDEMPOTENT_METHODS or scope["path"].startswith(
            _NOT_STORED_PREFIXES
        ):
            return self.app(scope, receive, send)
        raw_key = header(scope, b"idempotency-key")
        if raw_key is None:
            return self.app(scope, receive, send)
        return self._keyed(raw_key.decode("latin-1"), scope, receive, send)

    async def _keyed(self, raw_key: str, scope: Scope, receive: Receive, send: Send) -> None:
        body, receive = await read_body(receive)
        claim = await self._claim_for(raw_key, scope, body)
        if isinstance(claim, Buffered):  # answered for it: a replay, in flight, a misused key
            await claim.send_to(send)
            return
        if claim is None:  # nothing to keep: the request runs as any other
            await self.app(scope, receive, send)
            return
        stored = answered = False

        async def store(session: AsyncSession, response: Buffered) -> Buffered | None:
            nonlocal stored
            if not 200 <= response.status < 300:
                return None
            if await self._complete(session, claim, response):
                stored = True
                return None
            return _in_flight()  # taken over as stale while this request ran: the taker acts

        async def release_unless_stored(message: Message) -> None:
            # The unit of work answers once its transaction is over: a stored success is
            # committed by now, and anything else leaves the key free for a retry.
            nonlocal answered
            if message["type"] == "http.response.start":
                answered = True
                if not (stored and 200 <= message["status"] < 300):
                    await self._release(claim)
            await send(message)

        scope[BEFORE_COMMIT] = store
        try:
            await self.app(scope, receive, release_unless_stored)
        except BaseException:
            if not answered:
                await self._release(claim)
            raise
        finally:
            scope.pop(BEFORE_COMMIT, None)

    async def _claim_for(self, raw_key: str, scope: Scope, body: bytes) -> _Claim | Buffered | None:
        """This request's claim on its key, an answer for it, or None if it is not kept: it
        carries a password, or its caller is not signed in (authentication refuses it)."""
        if _carries_password(body):
            return None
        key = parse_idempotency_key(raw_key)
        if key is None:
            return _invalid_key()
        caller = self._caller(header(scope, b"authorization") or b"")
        if caller is None:
            return None
        method, path, query = scope["method"], scope["path"], scope.get("query_string", b"")
        return await self._claim(
            caller,
            key,
            request_fingerprint(method, path, query, body, key=self.fingerprint_key),
            legacy=plain_fingerprint(method, path, query, body),
        )

    def _caller(self, authorization: bytes) -> AccessClaims | None:
        scheme, _, token = authorization.decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            return decode_access_token(self.settings, token.strip())
        except InvalidToken:
            return None

    async def _claim(
        self, caller: AccessClaims, key: str, fingerprint: str, *, legacy: str
    ) -> _Claim | Buffered | None:
        """Claim the key for this request, or answer for it (replay, 409, 422).

        None means the caller's device session has ended (signed out, expired, or the account
        is gone): the request runs unclaimed and is refused by authentication. The session is
        checked before anything stored is looked at, so a replay never outlives a sign-out.
        """
        user_id = caller.user_id
        for _attempt in range(_CLAIM_ATTEMPTS):
            async with self.db.writer() as session:
                if not await self.session_is_live(session, caller):
                    return None
                found = (
                    await session.execute(
                        select(IdempotencyRecord).where(
                            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
                        )
                    )
                ).scalar_one_or_none()
                now = utcnow()
                if found is None:
                    record = IdempotencyRecord(
                        user_id=user_id, key=key, fingerprint=fingerprint, created_at=now
                    )
                    session.add(record)
                    try:
                        await session.commit()
                    except IntegrityError:
                        # Claimed by a concurrent twin (look again), or the user no longer exists.
                        await session.rollback()
                        if not await _user_exists(session, user_id):
                            return None
                        continue
                    return _Claim(record.id, now)
                # A record from before fingerprints were keyed still matches its request.
                if found.fingerprint not in (fingerprint, legacy):
                    return json_error(
                        422,
                        "idempotency_key_reused",
                        "this Idempotency-Key was used with a different request",
                    )
                if found.completed_at is not None:
                    return _replay(found)
                if now - found.created_at < IN_FLIGHT_STALE:
                    return _in_flight()
                taken = await session.execute(
                    update(IdempotencyRecord)
                    .where(*_unfinished(_Claim(found.id, found.created_at)))
                    .values(created_at=now)
                )
                await session.commit()
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    return _Claim(found.id, now)
        # Still contended after every attempt: a twin holds the key right now.
        return _in_flight()

    async def _complete(self, session: AsyncSession, claim: _Claim, response: Buffered) -> bool:
        """Store the response in the request's own transaction; False if the claim was lost."""
        kept = {
            name: value.decode("latin-1")
            for name in _REPLAYED_HEADERS
            if (value := response.header(name.encode())) is not None
        }
        result = await session.execute(
            update(IdempotencyRecord)
            .where(*_unfinished(claim))
            .values(
                completed_at=utcnow(),
                response_status=response.status,
                response_headers=kept,
                response_body=bytes(response.body),
            )
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def _release(self, claim: _Claim) -> None:
        async with self.db.writer() as session:
            await session.execute(delete(IdempotencyRecord).where(*_unfinished(claim)))
            await session.commit()


def _unfinished(claim: _Claim) -> tuple[ColumnElement[bool], ...]:
    """The claimed record, as long as it is still unfinished and held with this stamp."""
    return (
        col(IdempotencyRecord.id) == claim.id,
        col(IdempotencyRecord.created_at) == claim.stamp,
        col(IdempotencyRecord.completed_at).is_(None),
    )


async def _user_exists(session: AsyncSession, user_id: uuid.UUID) -> bool:
    # The users table through the record's foreign key: core knows no domain models.
    (foreign_key,) = IdempotencyRecord.__table__.c.user_id.foreign_keys  # type: ignore[attr-defined]
    users_id = foreign_key.column
    found = await session.execute(select(users_id).where(users_id == user_id))
    return found.first() is not None


def _carries_password(body: bytes) -> bool:
    """Whether a JSON body holds a password field (however its name is escaped or encoded)."""
    if not body:
        return False
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return False  # not JSON: the router refuses it, and nothing is stored for a 422
    return isinstance(value, dict) and not _CREDENTIAL_FIELDS.isdisjoint(value)


def _replay(record: IdempotencyRecord) -> Buffered:
    headers: list[tuple[bytes, bytes]] = [
        (k.encode(), str(v).encode()) for k, v in (record.response_headers or {}).items()
    ]
    headers.append((b"idempotent-replayed", b"true"))
    return Buffered(
        status=record.response_status or 200,
        headers=headers,
        body=bytearray(record.response_body or b""),
    )


def _in_flight() -> Buffered:
    return json_error(
        409,
        "idempotency_in_flight",
        "a request with this Idempotency-Key is still in progress",
        {"Retry-After": "1"},
    )


def _invalid_key() -> Buffered:
    return json_error(
        422, "invalid_idempotency_key", "Idempotency-Key must be 1-255 visible ASCII characters"
    )
