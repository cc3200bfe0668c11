"""The unit of work around every API request: one session, one commit, idempotent replays.

A pure ASGI middleware rather than a dependency, because it must see the finished response:

- it opens the request's session (a writer for anything but GET/HEAD/OPTIONS) and commits it
  once, after the handler produced a success, *before* the client sees that success; on an error
  response or an exception it rolls back, so nothing is half-written;
- a POST or PATCH with an ``Idempotency-Key`` (IETF httpapi draft) is claimed in its own short
  transaction first, so a concurrent repeat sees it in flight (409); the stored response is
  written in the same transaction as the work it describes, so a crash can never leave work
  done without its replay (or a replay without its work); a repeat with a different body is a
  422, and a finished one is replayed byte for byte;
- request bodies are capped (413) before anything parses them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import uuid
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.config import Settings
from app.core.db import Database, utcnow
from app.core.models import IdempotencyRecord
from app.core.security import InvalidToken, decode_access_token

log = logging.getLogger("accord.requests")

SESSION_KEY = "accord.session"
COMMIT_ON_ERROR = "commit_on_error"
IDEMPOTENT_METHODS = {"POST", "PATCH"}
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
# A claim whose request died without releasing it (a killed process) is taken over after this.
IN_FLIGHT_STALE = timedelta(seconds=60)
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")
_REPLAYED_HEADERS = ("content-type", "etag", "location")
# Responses that carry credentials are never stored, so these routes are not replayed.
_NOT_STORED_PREFIXES = ("/api/auth/",)


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
    status: int, code: str, detail: str, headers: dict[str, str] | None = None
) -> _Captured:
    body = json.dumps({"detail": detail, "code": code}).encode()
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    for key, value in (headers or {}).items():
        hdrs.append((key.lower().encode(), value.encode()))
    return _Captured(status=status, headers=hdrs, body=bytearray(body))


async def _send_captured(send: Send, captured: _Captured) -> None:
    headers = [(k, v) for k, v in captured.headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(captured.body)).encode()))
    await send({"type": "http.response.start", "status": captured.status, "headers": headers})
    await send({"type": "http.response.body", "body": bytes(captured.body)})


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


class RequestUnitOfWork:
    def __init__(self, app: ASGIApp, *, db: Database, settings: Settings) -> None:
        self.app = app
        self.db = db
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path.startswith("/api/") or path == "/healthz"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        method = scope["method"]
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.settings.max_body_bytes:
            await _send_captured(send, self._too_large())
            return
        try:
            body, extra = await _read_body(receive, self.settings.max_body_bytes)
        except _TooLarge:
            await _send_captured(send, self._too_large())
            return

        claim: uuid.UUID | None = None
        key = headers.get("idempotency-key")
        if (
            key is not None
            and method in IDEMPOTENT_METHODS
            and not path.startswith(_NOT_STORED_PREFIXES)
        ):
            if not _KEY_RE.match(key):
                await _send_captured(
                    send,
                    _json_message(
                        422,
                        "invalid_idempotency_key",
                        "Idempotency-Key must be 1-255 visible ASCII characters",
                    ),
                )
                return
            user_id = self._caller(headers)
            if user_id is not None:
                fingerprint = _fingerprint(method, scope, body)
                outcome = await self._claim(user_id, key, fingerprint)
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
        async with factory() as session:
            scope[SESSION_KEY] = session
            try:
                await self.app(scope, replay_receive, capture)
                if captured.status < 400 or session.info.get(COMMIT_ON_ERROR):
                    if claim is not None and 200 <= captured.status < 300:
                        await self._complete(session, claim, captured)
                        stored = True
                    await session.commit()
                else:
                    await session.rollback()
            except IntegrityError:
                # A uniqueness race lost at commit time: the state changed under this request.
                await session.rollback()
                stored = False
                captured = _json_message(
                    409, "conflict", "the request conflicts with a concurrent change; retry"
                )
            except OperationalError:
                await session.rollback()
                stored = False
                log.exception("database unavailable")
                captured = _json_message(
                    503, "database_unavailable", "the database is busy; retry", {"Retry-After": "1"}
                )
            except BaseException:
                await session.rollback()
                if claim is not None:
                    await self._release(claim)
                raise
            finally:
                scope.pop(SESSION_KEY, None)
        if claim is not None and not stored:
            await self._release(claim)
        await _send_captured(send, captured)

    def _too_large(self) -> _Captured:
        return _json_message(
            413, "payload_too_large", f"request body over {self.settings.max_body_bytes} bytes"
        )

    def _caller(self, headers: dict[str, str]) -> uuid.UUID | None:
        auth = headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        try:
            return decode_access_token(self.settings, token.strip()).user_id
        except InvalidToken:
            return None

    async def _claim(
        self, user_id: uuid.UUID, key: str, fingerprint: str
    ) -> uuid.UUID | _Captured | None:
        for _attempt in range(2):
            async with self.db.writer() as session:
                found = (
                    await session.execute(
                        select(IdempotencyRecord).where(
                            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
                        )
                    )
                ).scalar_one_or_none()
                now = utcnow()
                if found is None:
                    record = IdempotencyRecord(user_id=user_id, key=key, fingerprint=fingerprint)
                    session.add(record)
                    try:
                        await session.commit()
                    except IntegrityError:
                        # Claimed by a concurrent twin, or the user no longer exists.
                        await session.rollback()
                        continue
                    return record.id
                if found.fingerprint != fingerprint:
                    return _json_message(
                        422,
                        "idempotency_key_reused",
                        "this Idempotency-Key was used with a different request",
                    )
                if found.completed_at is not None:
                    return _replay(found)
                if now - found.created_at < IN_FLIGHT_STALE:
                    return _json_message(
                        409,
                        "idempotency_in_flight",
                        "a request with this Idempotency-Key is still in progress",
                        {"Retry-After": "1"},
                    )
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
                    return found.id
        return None

    async def _complete(self, session: AsyncSession, claim: uuid.UUID, captured: _Captured) -> None:
        kept = {
            name: value.decode("latin-1")
            for name in _REPLAYED_HEADERS
            if (value := captured.header(name.encode())) is not None
        }
        await session.execute(
            update(IdempotencyRecord)
            .where(col(IdempotencyRecord.id) == claim)
            .values(
                completed_at=utcnow(),
                response_status=captured.status,
                response_headers=kept,
                response_body=bytes(captured.body),
            )
        )

    async def _release(self, claim: uuid.UUID) -> None:
        async with self.db.writer() as session:
            await session.execute(
                delete(IdempotencyRecord).where(
                    col(IdempotencyRecord.id) == claim,
                    col(IdempotencyRecord.completed_at).is_(None),
                )
            )
            await session.commit()


def _fingerprint(method: str, scope: Scope, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), scope["path"].encode(), scope.get("query_string", b"")):
        digest.update(part + b"\0")
    digest.update(body)
    return digest.hexdigest()


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
