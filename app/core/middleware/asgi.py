"""What the request layers share: a response held in memory, an error answered before any route
runs, and a request body read once and handed on."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Message, Receive, Scope, Send


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a request header, by its lower-case name."""
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


@dataclass
class Buffered:
    """A whole response, held until a layer decides what the client gets."""

    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)

    def header(self, name: bytes) -> bytes | None:
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    async def collect(self, message: Message) -> None:
        """A ``send`` that keeps the response here instead of sending it."""
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.body.extend(message.get("body", b""))

    async def send_to(self, send: Send) -> None:
        headers = [(k, v) for k, v in self.headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(self.body)).encode()))
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": bytes(self.body)})


def json_error(
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    *,
    errors: list[dict[str, Any]] | None = None,
) -> Buffered:
    """An error in the shape of ``app.core.errors``, for answers made before any route runs."""
    content: dict[str, Any] = {"detail": detail, "code": code}
    if errors is not None:
        content["errors"] = errors
    body = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    hdrs = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    for key, value in (headers or {}).items():
        hdrs.append((key.lower().encode(), value.encode()))
    return Buffered(status=status, headers=hdrs, body=bytearray(body))


class BodyTooLarge(Exception):
    pass


async def read_body(receive: Receive, limit: int | None = None) -> tuple[bytes, Receive]:
    """The whole request body, and a ``receive`` that hands it on to the next layer.

    Raises ``BodyTooLarge`` as soon as the chunks read add up to more than ``limit`` bytes.
    Whatever else arrived while reading (a disconnect) is handed on after the body.
    """
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
        if limit is not None and size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    handed_on = False

    async def receive_again() -> Message:
        nonlocal handed_on
        if not handed_on:
            handed_on = True
            return {"type": "http.request", "body": body, "more_body": False}
        if extra:
            return extra.pop(0)
        return await receive()

    return body, receive_again
