"""The unit of work around every API request: one session, one commit, idempotent replays.

A pure ASGI middleware rather than a dependency, because it must see the finished response:

- it opens the request's session (a writer for anything but GET/HEAD/OPTIONS) and commits it
  once, after the handler produced a success, *before* the client sees that success; on an error
  response or an exception it rolls back, so nothing is half-written;
- a POST or PATCH with an ``Idempotency-Key`` (IETF httpapi draft) is claimed in its own short
  transaction first, so a concurrent repeat sees it in flight (409); the stored response is
  written in the same transaction as the work it describes, so a crash can never leave work
  done without its replay (or a replay without its work); a repeat with a different body is a
  422, and a finished one is replayed byte for byte, but only to a live device session;
- request bodies are capped (413) before anything parses them, and a JSON body that spells a
  lone UTF-16 surrogate (``"\\ud800"``, which is no Unicode text and no database can store) is a
  422 before any handler sees it;
- no input reaches a 500: a database error caused by a value (SQLSTATE class 22) is a 422, a
  lost race a 409, an unavailable database a 503, and anything unexpected a JSON 500 that still
  carries the shared headers (the exception is then re-raised for the server's log).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.db import Database, utcnow
from app.core.models import IdempotencyRecord
from app.core.security import AccessClaims, InvalidToken, decode_access_token

log = logging.getLogger("accord.requests")

SESSION_KEY = "accord.session"
COMMIT_ON_ERROR = "commit_on_error"
IDEMPOTENT_METHODS = {"POST", "PATCH"}
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# A claim whose request died without releasing it (a killed process) is taken over after this.
IN_FLIGHT_STALE = timedelta(seconds=60)
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
_CLAIM_ATTEMPTS = 3
# What may spell a UTF-16 surrogate: a JSON escape (\ud800), or its UTF-8-style encoding
# (ED A0 80), which Python's JSON reader decodes from bytes with "surrogatepass". Only bodies
# containing one are parsed here.
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
_REPLAYED_HEADERS = ("content-type", "etag", "location")
# Responses that carry credentials are never stored, so these routes are not replayed.
_NOT_STORED_PREFIXES = ("/api/auth/", "/api/events/ticket")
# Nor are requests that carry a password: even a keyed fingerprint of one is not kept.
_CREDENTIAL_FIELDS = frozenset({"password", "current_password", "new_password"})

# Whether the device session behind an access token is still live (not revoked, not expired).
# Injected by the app, so that core needs no domain model to ask.
SessionCheck = Callable[[AsyncSession, AccessClaims], Awaitable[bool]]


def keep_writes_on_error(session: AsyncSession) -> None:
    """Keep this request's writes even though it answers with an error.

    For the few writes that must survive a refusal: a failed login counted for throttling, a
    refresh-token family revoked because a spent token came back.
    """
    session.info[COMMIT_ON_ERROR] = True


@dataclass
class _Captured:
    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None


def _json_message(
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    *,
    errors: list[dict[str, Any]] | None = None,
) -> _Captured:
    """An error in the shape of ``app.core.errors``, for answers made before any route runs."""
    content: dict[str, Any] = {"detail": detail, "code": code}
    if errors is not None:
        content["errors"] = errors
    body = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    for key, value in (headers or {}).items():
        hdrs.append((key.lower().encode(), value.encode()))
    return _Captured(status=status, headers=hdrs, body=bytearray(body))


async def _send_captured(send: Send, captured: _Captured) -> None:
    headers = [(k, v) for k, v in captured.headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(captured.body)).encode()))
    await send({"type": "http.response.start", "status": captured.status, "headers": headers})
    await send({"type": "http.response.body", "body": bytes(captured.body)})


@dataclass(frozen=True)
class _Claim:
    """Our hold on an idempotency record: its id and the ``created_at`` we claimed it with.

    A claim older than ``IN_FLIGHT_STALE`` may be taken over, which renews ``created_at``; the
    stamp lets the original request notice it lost the key instead of finishing (or releasing)
    a claim that is no longer its own.
    """

    id: uuid.UUID
    stamp: datetime


class _TooLarge(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, list[Message]]:
    chunks: list[bytes] = []
    size = 0
    extra: list[Message] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            extra.append(message)
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), extra


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def parse_idempotency_key(raw: str) -> str | None:
    """The key, or None if it is not one: 1-255 visible ASCII characters.

    Surrounding whitespace is not part of a header value, and the draft spells the key as a
    structured-field string (``"..."``), so both ``abc`` and ``"abc"`` name the key ``abc``.
    """
    key = raw.strip(" \t")
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    return key if _KEY_RE.match(key) else None


def _has_lone_surrogate(body: bytes) -> bool:
    if not _MAYBE_SURROGATE.search(body):
        return False
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return False  # not JSON: the router answers that with its own 422
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _database_failure(exc: BaseException) -> _Captured | None:
    """The answer for a database error a request caused, or None if it is a bug of ours."""
    if isinstance(exc, IntegrityError):
        # A uniqueness race lost at commit time: the state changed under this request.
        return _json_message(
            409, "conflict", "the request conflicts with a concurrent change; retry"
        )
    if isinstance(exc, OperationalError):
        log.exception("database unavailable")
        return _json_message(
            503, "database_unavailable", "the database is busy; retry", {"Retry-After": "1"}
        )
    if not isinstance(exc, DBAPIError):
        return None
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or "")
    if isinstance(exc, DataError) or sqlstate.startswith("22"):
        # A value the database cannot hold or compare (a NUL in PostgreSQL text, say): input
        # validation should have refused it, so log it, but it is the client's input all the same.
        log.warning("database refused a value: %s", exc.orig)
        return _json_message(
            422, "invalid_value", "a value in this request cannot be stored; check the input"
        )
    if sqlstate.startswith("40"):
        # Serialization failure or deadlock: PostgreSQL chose this transaction to undo.
        return _json_message(
            409, "conflict", "the request conflicts with a concurrent change; retry"
        )
    return None


class RequestUnitOfWork:
    def __init__(
        self,
        app: ASGIApp,
        *,
        db: Database,
        settings: Settings,
        session_is_live: SessionCheck,
        streaming_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.db = db
        self.settings = settings
        self.session_is_live = session_is_live
        self.fingerprint_key = fingerprint_key(settings.secret_key)
        # Long-lived reads (GET only) that manage their own short sessions.
        self.streaming_paths = streaming_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path.startswith("/api/") or path == "/healthz"):
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method in ("GET", "HEAD") and path in self.streaming_paths:
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.settings.max_body_bytes:
            await _send_captured(send, self._too_large())
            return
        try:
            body, extra = await _read_body(receive, self.settings.max_body_bytes)
        except _TooLarge:
            await _send_captured(send, self._too_large())
            return
        if _has_lone_surrogate(body):
            await _send_captured(send, _lone_surrogate())
            return

        claim: _Claim | None = None
        raw_key = headers.get("idempotency-key")
        if (
            raw_key is not None
            and method in IDEMPOTENT_METHODS
            and not path.startswith(_NOT_STORED_PREFIXES)
            and not _carries_password(body)
        ):
            key = parse_idempotency_key(raw_key)
            if key is None:
                await _send_captured(
                    send,
                    _json_message(
                        422,
                        "invalid_idempotency_key",
                        "Idempotency-Key must be 1-255 visible ASCII characters",
                    ),
                )
                return
            caller = self._caller(headers)
            if caller is not None:
                query = scope.get("query_string", b"")
                fingerprint = request_fingerprint(
                    method, path, query, body, key=self.fingerprint_key
                )
                outcome = await self._claim(
                    caller, key, fingerprint, legacy=_plain_fingerprint(method, path, query, body)
                )
                if isinstance(outcome, _Captured):
                    await _send_captured(send, outcome)
                    return
                claim = outcome

        sent_body = False

        async def replay_receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            if extra:
                return extra.pop(0)
            return await receive()

        captured = _Captured()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured.status = message["status"]
                captured.headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                captured.body.extend(message.get("body", b""))

        factory = self.db.reader if method in READ_METHODS else self.db.writer
        stored = False
        unexpected: Exception | None = None
        async with factory() as session:
            scope[SESSION_KEY] = session
            try:
                await self.app(scope, replay_receive, capture)
                if captured.status < 400 or session.info.get(COMMIT_ON_ERROR):
                    completing = claim is not None and 200 <= captured.status < 300
                    if (
                        claim is not None
                        and completing
                        and not await self._complete(session, claim, captured)
                    ):
                        # Taken over as stale while this request ran: the taker acts instead.
                        await session.rollback()
                        captured = _in_flight()
                    else:
                        await session.commit()
                        stored = completing
                else:
                    await session.rollback()
            except BaseException as exc:
                await session.rollback()
                failure = _database_failure(exc)
                if failure is not None:
                    captured = failure
                elif isinstance(exc, Exception):
                    # A bug of ours: answer in the shared shape, then let the server log it.
                    captured = _json_message(
                        500, "internal_error", "something went wrong on our side; it was logged"
                    )
                    unexpected = exc
                else:  # cancelled: nobody is waiting for an answer
                    if claim is not None:
                        await self._release(claim)
                    raise
            finally:
                scope.pop(SESSION_KEY, None)
        if claim is not None and not stored:
            await self._release(claim)
        if method == "GET" and captured.status == 200:
            captured = _conditional(captured, headers.get("if-none-match"))
        await _send_captured(send, captured)
        if unexpected is not None:
            raise unexpected

    def _too_large(self) -> _Captured:
        return _json_message(
            413, "payload_too_large", f"request body over {self.settings.max_body_bytes} bytes"
        )

    def _caller(self, headers: dict[str, str]) -> AccessClaims | None:
        auth = headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            return decode_access_token(self.settings, token.strip())
        except InvalidToken:
            return None

    async def _claim(
        self, caller: AccessClaims, key: str, fingerprint: str, *, legacy: str
    ) -> _Claim | _Captured | None:
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
                    return _json_message(
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
                    .where(
                        col(IdempotencyRecord.id) == found.id,
                        col(IdempotencyRecord.created_at) == found.created_at,
                        col(IdempotencyRecord.completed_at).is_(None),
                    )
                    .values(created_at=now)
                )
                await session.commit()
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    return _Claim(found.id, now)
        # Still contended after every attempt: a twin holds the key right now.
        return _in_flight()

    async def _complete(self, session: AsyncSession, claim: _Claim, captured: _Captured) -> bool:
        """Store the response in the request's own transaction; False if the claim was lost."""
        kept = {
            name: value.decode("latin-1")
            for name in _REPLAYED_HEADERS
            if (value := captured.header(name.encode())) is not None
        }
        result = await session.execute(
            update(IdempotencyRecord)
            .where(
                col(IdempotencyRecord.id) == claim.id,
                col(IdempotencyRecord.created_at) == claim.stamp,
                col(IdempotencyRecord.completed_at).is_(None),
            )
            .values(
                completed_at=utcnow(),
                response_status=captured.status,
                response_headers=kept,
                response_body=bytes(captured.body),
            )
        )
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def _release(self, claim: _Claim) -> None:
        async with self.db.writer() as session:
            await session.execute(
                delete(IdempotencyRecord).where(
                    col(IdempotencyRecord.id) == claim.id,
                    col(IdempotencyRecord.created_at) == claim.stamp,
                    col(IdempotencyRecord.completed_at).is_(None),
                )
            )
            await session.commit()


async def _user_exists(session: AsyncSession, user_id: uuid.UUID) -> bool:
    # The users table through the record's foreign key: core knows no domain models.
    (foreign_key,) = IdempotencyRecord.__table__.c.user_id.foreign_keys  # type: ignore[attr-defined]
    users_id = foreign_key.column
    found = await session.execute(select(users_id).where(users_id == user_id))
    return found.first() is not None


def _in_flight() -> _Captured:
    return _json_message(
        409,
        "idempotency_in_flight",
        "a request with this Idempotency-Key is still in progress",
        {"Retry-After": "1"},
    )


def _lone_surrogate() -> _Captured:
    msg = "text must be valid Unicode; a lone surrogate such as \\ud800 is not"
    return _json_message(
        422,
        "validation_error",
        f"body: {msg}",
        errors=[{"loc": ["body"], "msg": msg, "type": "string_unicode"}],
    )


def _conditional(captured: _Captured, if_none_match: str | None) -> _Captured:
    """Give a read an ETag of its content, and answer 304 when the client already has it.

    Clients polling (the home screen, balance, lists) send back the ETag they were given and
    get an empty 304 while nothing changed. A response that carries its own ETag (a protocol's,
    which ``If-Match`` on edits relies on) keeps it and is always sent in full.
    """
    if captured.header(b"etag") is not None:
        return captured
    tag = f'W/"{hashlib.sha256(bytes(captured.body)).hexdigest()[:32]}"'
    captured.headers.append((b"etag", tag.encode()))
    if if_none_match is None:
        return captured
    offered = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    if "*" in offered or tag.removeprefix("W/") in offered:
        kept = [(k, v) for k, v in captured.headers if k.lower() in (b"etag", b"cache-control")]
        return _Captured(status=304, headers=kept, body=bytearray())
    return captured


def fingerprint_key(secret_key: str) -> bytes:
    """The fingerprints' own key, derived from the server secret (used for nothing else)."""
    return hmac.new(secret_key.encode(), b"accord idempotency fingerprint", "sha256").digest()


def request_fingerprint(
    method: str, path: str, query_string: bytes, body: bytes, *, key: bytes
) -> str:
    """What makes two requests with one key "the same request": method, path, query, body.

    Keyed (HMAC-SHA-256), so that whoever reads the table cannot test guesses of a body.
    """
    digest = hmac.new(key, digestmod="sha256")
    for part in (method.encode(), path.encode(), query_string):
        digest.update(part + b"\0")
    digest.update(body)
    return digest.hexdigest()


def _plain_fingerprint(method: str, path: str, query_string: bytes, body: bytes) -> str:
    # How fingerprints were made before they were keyed: compared, never stored. Records are
    # kept 30 days, so this can go 30 days after every deployment runs keyed fingerprints.
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query_string):
        digest.update(part + b"\0")
    digest.update(body)
    return digest.hexdigest()


def _carries_password(body: bytes) -> bool:
    """Whether a JSON body holds a password field (however its name is escaped or encoded)."""
    if not body:
        return False
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        return False  # not JSON: the router refuses it, and nothing is stored for a 422
    return isinstance(value, dict) and not _CREDENTIAL_FIELDS.isdisjoint(value)


def _replay(record: IdempotencyRecord) -> _Captured:
    headers: list[tuple[bytes, bytes]] = [
        (k.encode(), str(v).encode()) for k, v in (record.response_headers or {}).items()
    ]
    headers.append((b"idempotent-replayed", b"true"))
    return _Captured(
        status=record.response_status or 200,
        headers=headers,
        body=bytearray(record.response_body or b""),
    )


def request_session(scope: MutableMapping[str, Any]) -> AsyncSession:
    session = scope.get(SESSION_KEY)
    if session is None:
        raise RuntimeError("no database session: the route is outside the unit of work")
    assert isinstance(session, AsyncSession)
    return session
