"""Conditional GET: a read gets an ETag of its content, and a client that already has it gets an
empty 304.

Clients polling (the home screen, balance, lists) send back the ETag they were given and get an
empty 304 while nothing changed. A response that carries its own ETag (a protocol's, which
``If-Match`` on edits relies on) keeps it and is always sent in full, and so is anything but a
200.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.middleware.asgi import header


class Conditional:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["method"] != "GET":
            return self.app(scope, receive, send)
        start: Message | None = None
        chunks: list[bytes] = []

        async def tag_or_304(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] == 200 and not _has_etag(message["headers"]):
                    start = message  # held until the body is complete
                    return
            elif start is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                tag = f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'.encode()
                headers = [*start["headers"], (b"etag", tag)]
                if _matches(tag, header(scope, b"if-none-match")):
                    kept = [(k, v) for k, v in headers if k.lower() in (b"etag", b"cache-control")]
                    kept.append((b"content-length", b"0"))
                    await send({"type": "http.response.start", "status": 304, "headers": kept})
                    await send({"type": "http.response.body", "body": b""})
                    return
                await send({**start, "headers": headers})
                message = {"type": "http.response.body", "body": body}
            await send(message)

        return self.app(scope, receive, tag_or_304)


def _has_etag(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(key.lower() == b"etag" for key, _ in headers)


def _matches(tag: bytes, if_none_match: bytes | None) -> bool:
    if if_none_match is None:
        return False
    offered = {t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")}
    return b"*" in offered or tag.removeprefix(b"W/") in offered
