"""Idempotency-Key (IETF httpapi draft): a repeated POST or PATCH acts once.

One transaction per keyed request: the key is looked up in the request's own transaction,
before the route runs (the unit of work's ``BEFORE_WORK``), and the answer is stored in that
same transaction, with the work it describes (``BEFORE_COMMIT``). So a crash can never leave
work done without its replay, or a replay without its work, and nothing is left to release
when a request fails, crashes or is cancelled: its transaction rolls back, and the key was
never taken. A repeat with a different request is a 422, and a finished one is replayed byte
for byte, but only to a live device session.

A repeat that arrives while the first is still running is a 409 (``Retry-After: 1``): in this
process, known without asking the database; on PostgreSQL, from another process too, by a
transaction-scoped advisory lock on the key. On SQLite a repeat from another process cannot
overlap the first at all (one writer at a time): it waits for it, then finds its answer.
Records left unfinished by the earlier two-transaction claims are still honoured: in flight
while young, taken over once stale.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.db import Database, utcnow
from app.core.middleware.asgi import Buffered, header, json_error, read_body
from app.core.middleware.unit_of_work import BEFORE_COMMIT, BEFORE_WORK
from app.core.models import IdempotencyRecord
from app.core.requests import (
    IN_FLIGHT_STALE,
    SIGNED_IN_KEY,
    fingerprint_key,
    parse_idempotency_key,
    plain_fingerprint,
    request_fingerprint,
)
from app.core.security import AccessClaims, InvalidToken, decode_access_token

IDEMPOTENT_METHODS = frozenset({"POST", "PATCH"})
_REPLAYED_HEADERS = ("content-type", "etag", "location")
# Responses that carry credentials are never stored, so these routes are not replayed.
_NOT_STORED_PREFIXES = ("/api/auth/", "/api/events/ticket")
# Nor are requests that carry a password: even a keyed fingerprint of one is not kept.
_CREDENTIAL_FIELDS = frozenset({"password", "current_password", "new_password"})

# The signed-in user behind an access token, or None when its device session is not live
# (revoked, expired, or the account disabled or gone): authentication's own lookup, injected by
# the app so that core needs no domain model to ask.
SignedIn = Callable[[AsyncSession, AccessClaims], Awaitable[object | None]]


@dataclass(frozen=True)
class _Claim:
    """A record left unfinished by an earlier claim, taken over: its id and the ``created_at``
    it was found with, so that the answer is stored only if nobody renewed it meanwhile."""

    id: uuid.UUID
    stamp: datetime


@dataclass(frozen=True)
class _Keyed:
    """A keyed request worth keeping: who asks, with which key, for what (its fingerprints)."""

    caller: AccessClaims
    token: str  # the access token the claims were read from
    key: str
    fingerprint: str
    legacy: str

    @property
    def running_key(self) -> tuple[uuid.UUID, str]:
        return (self.caller.user_id, self.key)


@dataclass
class _Held:
    """What this request's transaction found under its key."""

    kept: bool = False  # the caller's session is live and the key free: store the answer
    taken_over: _Claim | None = None  # an earlier claim's stale record, to finish instead
    fingerprint: str = field(default="")


def _bearer_token(authorization: bytes) -> str | None:
    scheme, _, token = authorization.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class Idempotency:
    def __init__(
        self, app: ASGIApp, *, db: Database, settings: Settings, signed_in: SignedIn
    ) -> None:
        self.app = app
        self.db = db
        self.settings = settings
        self.signed_in = signed_in
        self.fingerprint_key = fingerprint_key(settings.secret_key)
        # The keys whose request runs in this process now, with their fingerprint: a twin is
        # told so at once, rather than waiting for the first's transaction to find out.
        self._running: dict[tuple[uuid.UUID, str], _Held] = {}

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
        keyed = self._keyed_request(raw_key, scope, body)
        if isinstance(keyed, Buffered):  # a key that is not one
            await keyed.send_to(send)
            return
        if keyed is None:  # nothing to keep: the request runs as any other
            await self.app(scope, receive, send)
            return
        running = self._running.get(keyed.running_key)
        if running is not None:  # its twin runs in this process right now
            same = running.fingerprint == keyed.fingerprint
            await (_in_flight() if same else _reused()).send_to(send)
            return
        held = _Held(fingerprint=keyed.fingerprint)
        self._running[keyed.running_key] = held

        def done_running() -> None:
            if self._running.get(keyed.running_key) is held:
                del self._running[keyed.running_key]

        async def free_at_answer(message: Message) -> None:
            # The transaction is over when the unit of work answers: a retry may come now.
            if message["type"] == "http.response.start":
                done_running()
            await send(message)

        async def look_up(session: AsyncSession) -> Buffered | None:
            return await self._look_up(session, scope, keyed, held)

        async def store(session: AsyncSession, response: Buffered) -> Buffered | None:
            return await self._store(session, keyed, held, response)

        scope[BEFORE_WORK] = look_up
        scope[BEFORE_COMMIT] = store
        try:
            await self.app(scope, receive, free_at_answer)
        finally:
            done_running()
            scope.pop(BEFORE_WORK, None)
            scope.pop(BEFORE_COMMIT, None)
            scope.pop(SIGNED_IN_KEY, None)

    def _keyed_request(self, raw_key: str, scope: Scope, body: bytes) -> _Keyed | Buffered | None:
        """The request's key and fingerprints, a 422 for a key that is not one, or None if it is
        not kept: it carries a password, or its caller is not signed in (authentication
        refuses it)."""
        if _carries_password(body):
            return None
        key = parse_idempotency_key(raw_key)
        if key is None:
            return _invalid_key()
        token = _bearer_token(header(scope, b"authorization") or b"")
        caller = None if token is None else self._caller(token)
        if token is None or caller is None:
            return None
        method, path, query = scope["method"], scope["path"], scope.get("query_string", b"")
        return _Keyed(
            caller,
            token,
            key,
            request_fingerprint(method, path, query, body, key=self.fingerprint_key),
            legacy=plain_fingerprint(method, path, query, body),
        )

    def _caller(self, token: str) -> AccessClaims | None:
        try:
            return decode_access_token(self.settings, token)
        except InvalidToken:
            return None

    async def _look_up(
        self, session: AsyncSession, scope: Scope, keyed: _Keyed, held: _Held
    ) -> Buffered | None:
        """In the request's transaction, before the route: answer for it (a replay, 409, 422),
        or None to let it run.

        A caller whose device session has ended (signed out, expired, or the account is gone
        or disabled) runs unkept and is refused by authentication; the session is checked
        before anything stored is looked at, so a replay never outlives a sign-out. The user
        found is kept for authentication, which then asks nothing again.
        """
        user = await self.signed_in(session, keyed.caller)
        if user is None:
            return None
        scope[SIGNED_IN_KEY] = (keyed.token, keyed.caller, user)
        if self.db.dialect == "postgresql":
            # Held until this transaction ends: a twin in another process is told "in flight"
            # instead of waiting on the key's unique index for the first one to finish.
            free = await session.scalar(select(func.pg_try_advisory_xact_lock(_lock_id(keyed))))
            if not free:
                return _in_flight()
        found = (
            await session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.user_id == keyed.caller.user_id,
                    IdempotencyRecord.key == keyed.key,
                )
            )
        ).scalar_one_or_none()
        if found is not None:
            # A record from before fingerprints were keyed still matches its request.
            if found.fingerprint not in (keyed.fingerprint, keyed.legacy):
                return _reused()
            if found.completed_at is not None:
                return _replay(found)
            if utcnow() - found.created_at < IN_FLIGHT_STALE:
                return _in_flight()  # an earlier claim, its request perhaps still running
            held.taken_over = _Claim(found.id, found.created_at)
        held.kept = True
        return None

    async def _store(
        self, session: AsyncSession, keyed: _Keyed, held: _Held, response: Buffered
    ) -> Buffered | None:
        """Store a success in the request's own transaction, just before its commit."""
        if not held.kept or not 200 <= response.status < 300:
            return None
        kept = {
            name: value.decode("latin-1")
            for name in _REPLAYED_HEADERS
            if (value := response.header(name.encode())) is not None
        }
        answer = {
            "completed_at": utcnow(),
            "response_status": response.status,
            "response_headers": kept,
            "response_body": bytes(response.body),
        }
        if held.taken_over is None:
            await session.execute(
                insert(IdempotencyRecord).values(
                    id=uuid.uuid4(),
                    user_id=keyed.caller.user_id,
                    key=keyed.key,
                    fingerprint=keyed.fingerprint,
                    created_at=answer["completed_at"],
                    **answer,
                )
            )
            return None
        finished = await session.execute(
            update(IdempotencyRecord)
            .where(*_unfinished(held.taken_over))
            .values(created_at=answer["completed_at"], **answer)
        )
        if finished.rowcount == 1:  # type: ignore[attr-defined]
            return None
        return _in_flight()  # renewed by another taker while this request ran: it acts


def _lock_id(keyed: _Keyed) -> int:
    """The key's advisory lock on PostgreSQL: 64 bits of a hash of the user and the key."""
    digest = hashlib.blake2b(
        keyed.caller.user_id.bytes + keyed.key.encode(), digest_size=8, person=b"accord-idem"
    )
    return int.from_bytes(digest.digest(), "big", signed=True)


def _unfinished(claim: _Claim) -> tuple[ColumnElement[bool], ...]:
    """The claimed record, as long as it is still unfinished and held with this stamp."""
    return (
        col(IdempotencyRecord.id) == claim.id,
        col(IdempotencyRecord.created_at) == claim.stamp,
        col(IdempotencyRecord.completed_at).is_(None),
    )


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


def _reused() -> Buffered:
    return json_error(
        422, "idempotency_key_reused", "this Idempotency-Key was used with a different request"
    )


def _invalid_key() -> Buffered:
    return json_error(
        422, "invalid_idempotency_key", "Idempotency-Key must be 1-255 visible ASCII characters"
    )
