"""The body guard: a request body is capped (413) before anything parses it, and a JSON body that
spells a lone UTF-16 surrogate (``"\\ud800"``, which is no Unicode text and no database can
store) is a 422 before any handler sees it."""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Receive, Scope, Send

from app.core.middleware.asgi import BodyTooLarge, Buffered, header, json_error, read_body

# What may spell a UTF-16 surrogate: a JSON escape (\ud800), or its UTF-8-style encoding
# (ED A0 80), which Python's JSON reader decodes from bytes with "surrogatepass". Only bodies
# containing one are parsed here.
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


class BodyGuard:
    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large().send_to(send)
            return
        try:
            body, receive = await read_body(receive, self.max_bytes)
        except BodyTooLarge:
            await self._too_large().send_to(send)
            return
        if _has_lone_surrogate(body):
            await _lone_surrogate().send_to(send)
            return
        await self.app(scope, receive, send)

    def _too_large(self) -> Buffered:
        return json_error(413, "payload_too_large", f"request body over {self.max_bytes} bytes")


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


def _lone_surrogate() -> Buffered:
    msg = "text must be valid Unicode; a lone surrogate such as \\ud800 is not"
    return json_error(
        422,
        "validation_error",
        f"body: {msg}",
        errors=[{"loc": ["body"], "msg": msg, "type": "string_unicode"}],
    )
