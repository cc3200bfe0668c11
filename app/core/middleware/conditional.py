"""Conditional GET: a read gets an ETag of its content, and a client that already has it gets an
empty 304.

Clients polling (the home screen, balance, lists) send back the ETag they were given and get an
empty 304 while nothing changed. A response that carries its own ETag (a protocol's, which
``If-Match`` on edits relies on) keeps it and is always sent in full, and so is anything but a
200.
"""

from __future__ import annotations

import hashlib

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.middleware.asgi import Buffered


class Conditional:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        held: Buffered | None = None

        async def tag_or_304(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                response = Buffered(message["status"], list(message.get("headers", [])))
                if response.status == 200 and response.header(b"etag") is None:
                    held = response
                    return
            elif held is not None and message["type"] == "http.response.body":
                held.body.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    offered = Headers(scope=scope).get("if-none-match")
                    await _tagged(held, offered).send_to(send)
                return
            await send(message)

        await self.app(scope, receive, tag_or_304)


def _tagged(response: Buffered, if_none_match: str | None) -> Buffered:
    tag = f'W/"{hashlib.sha256(bytes(response.body)).hexdigest()[:32]}"'
    response.headers.append((b"etag", tag.encode()))
    if if_none_match is None:
        return response
    offered = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    if "*" in offered or tag.removeprefix("W/") in offered:
        kept = [(k, v) for k, v in response.headers if k.lower() in (b"etag", b"cache-control")]
        return Buffered(status=304, headers=kept, body=bytearray())
    return response
