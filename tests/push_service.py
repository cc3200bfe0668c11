"""A push service for the test suite: a real HTTP server on 127.0.0.1 that plays the part of
FCM, Mozilla autopush or Apple's push service, and fake devices that play browsers.

Each ``FakeDevice`` holds what a browser holds: its own P-256 key pair and a 16-byte auth
secret; its subscription is what ``PushSubscription.toJSON()`` gives. For every message it
receives, the service checks what a real push service checks and what a browser then does:

- the headers: ``TTL`` (a non-negative integer), ``Urgency`` (one of the four),
  ``Content-Encoding: aes128gcm``;
- the VAPID token (RFC 8292): ``Authorization: vapid t=<JWT>, k=<key>``, the JWT verified as
  ES256 with the public key given in ``k``, ``aud`` equal to this service's origin, ``exp`` in
  the future and at most 24 hours away, ``sub`` a mailto: or https: URL;
- the body (RFC 8291): decrypted with the device's private key and auth secret (http_ece),
  then read as JSON.

A message failing any check is answered 400 and recorded with its problems. Otherwise the
answer is 201, unless the test scripted others for that device (410, 404, 429 with
``Retry-After``, 500…), which are used up one per request.

The server is uvicorn in a background thread, on a free port, started and stopped by a fixture;
plain HTTP on 127.0.0.1, or HTTPS under a name when given a certificate for it (``start(tls=…)``).
"""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import http_ece
import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

URGENCIES = {"very-low", "low", "normal", "high"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class FakeDevice:
    """A browser profile that subscribed: its keys never leave it, only their public half."""

    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth_secret: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url(point)

    def subscription(self) -> dict[str, Any]:
        """``PushSubscription.toJSON()``."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth_secret)},
        }

    def rotated(self) -> FakeDevice:
        """The same endpoint with new keys, as after a browser refreshed its subscription."""
        return FakeDevice(token=self.token, endpoint=self.endpoint)


@dataclass
class Received:
    token: str
    status: int  # what the service answered
    headers: dict[str, str]
    payload: dict[str, Any] | None = None  # the decrypted message
    claims: dict[str, Any] | None = None  # the verified VAPID claims
    vapid_key: str | None = None  # the k= parameter
    problems: list[str] = field(default_factory=list)


# A scripted answer: the service takes the message, then the connection dies before its answer
# is complete, so the sender sees a read error (as under a loaded machine) though it arrived.
DROPPED = -1


class _DroppedAnswer(Exception):
    pass


class PushService:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._devices: dict[str, FakeDevice] = {}
        self._scripts: dict[str, deque[tuple[int, dict[str, str]]]] = {}
        self._received: list[Received] = []
        self._count = 0
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.origin = ""

    # --- what tests use -------------------------------------------------------------------

    def new_device(self) -> FakeDevice:
        with self._lock:
            self._count += 1
            token = f"dev{self._count}-{time.monotonic_ns()}"
            device = FakeDevice(token=token, endpoint=f"{self.origin}/push/{token}")
            self._devices[token] = device
            return device

    def replace_keys(self, device: FakeDevice) -> FakeDevice:
        """The device re-subscribed with new keys; the old ones can no longer decrypt."""
        fresh = device.rotated()
        with self._lock:
            self._devices[device.token] = fresh
        return fresh

    def answer(self, device: FakeDevice, *statuses: int | tuple[int, dict[str, str]]) -> None:
        """Answer the device's next requests with these statuses (then 201 again); ``DROPPED``
        takes the message and drops the connection in the middle of its answer."""
        with self._lock:
            script = self._scripts.setdefault(device.token, deque())
            for status in statuses:
                script.append(status if isinstance(status, tuple) else (status, {}))

    def received(self, device: FakeDevice | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self._received if device is None or r.token == device.token]

    def delivered(self, device: FakeDevice) -> list[Received]:
        return [r for r in self.received(device) if 200 <= r.status < 300]

    def reset(self) -> None:
        with self._lock:
            self._devices.clear()
            self._scripts.clear()
            self._received.clear()

    # --- the server -----------------------------------------------------------------------

    def start(self, *, tls: tuple[Path, Path, str] | None = None) -> None:
        """Serve on 127.0.0.1; with ``tls`` (certificate file, key file, the name they are
        for), over HTTPS with an origin under that name, which tests resolve to 127.0.0.1."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        self.origin = f"https://{tls[2]}:{port}" if tls else f"http://127.0.0.1:{port}"
        app = Starlette(routes=[Route("/push/{token}", self._receive, methods=["POST"])])
        config = uvicorn.Config(
            app,
            log_level="warning",
            lifespan="off",
            access_log=False,
            # Real push services keep idle connections open far longer than the sender's pool
            # does (5 s). At uvicorn's default (also 5 s) the two race: a message sent on a
            # connection the service is closing at that moment dies after it went out, and is
            # counted failed and never resent (4 of 5,000 reminders under a heavy load).
            timeout_keep_alive=60,
            ssl_certfile=str(tls[0]) if tls else None,
            ssl_keyfile=str(tls[1]) if tls else None,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the test push service did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    async def _receive(self, request: Request) -> Response:
        token = request.path_params["token"]
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        with self._lock:
            device = self._devices.get(token)
        if device is None:
            return Response(status_code=404)
        record = Received(token=token, status=201, headers=headers)
        self._check_headers(headers, record)
        self._check_vapid(headers.get("authorization", ""), record)
        try:
            plain = http_ece.decrypt(
                body,
                private_key=device.private_key,
                auth_secret=device.auth_secret,
                version="aes128gcm",
            )
            record.payload = json.loads(plain)
        except Exception as error:
            record.problems.append(f"cannot decrypt: {error!r}")
        extra: dict[str, str] = {}
        if record.problems:
            record.status = 400
        else:
            with self._lock:
                script = self._scripts.get(token)
                if script:
                    record.status, extra = script.popleft()
        dropped = record.status == DROPPED
        if dropped:
            record.status = 201  # it arrived; only the answer is lost on the way back
        with self._lock:
            self._received.append(record)
        if dropped:
            return StreamingResponse(_dies_midway(), status_code=201)
        return Response(status_code=record.status, headers=extra)

    @staticmethod
    def _check_headers(headers: dict[str, str], record: Received) -> None:
        ttl = headers.get("ttl", "")
        if not ttl.isdigit():
            record.problems.append(f"TTL must be a non-negative integer, got {ttl!r}")
        if headers.get("urgency", "normal") not in URGENCIES:
            record.problems.append(f"bad Urgency {headers.get('urgency')!r}")
        if headers.get("content-encoding") != "aes128gcm":
            record.problems.append(f"Content-Encoding {headers.get('content-encoding')!r}")

    def _check_vapid(self, authorization: str, record: Received) -> None:
        scheme, _, params = authorization.partition(" ")
        if scheme.lower() != "vapid":
            record.problems.append(f"Authorization scheme {scheme!r}, expected vapid")
            return
        parts = dict(p.strip().split("=", 1) for p in params.split(",") if "=" in p)  # "t=…, k=…"
        token, key = parts.get("t"), parts.get("k")
        if not token or not key:
            record.problems.append("vapid needs t= and k=")
            return
        record.vapid_key = key
        try:
            public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(key))
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(
                token,
                key=public,
                algorithms=["ES256"],
                audience=self.origin,
                options={"require": ["aud", "exp", "sub"]},
            )
        except Exception as error:
            record.problems.append(f"VAPID JWT rejected: {error!r}")
            return
        if header.get("alg") != "ES256":
            record.problems.append(f"JWT alg {header.get('alg')!r}")
        if claims["exp"] > time.time() + 24 * 3600:
            record.problems.append("exp more than 24 hours ahead")
        if not str(claims["sub"]).startswith(("mailto:", "https://")):
            record.problems.append(f"sub {claims['sub']!r} is no mailto: or https: URL")
        record.claims = claims


async def _dies_midway() -> AsyncIterator[bytes]:
    yield b"{"
    raise _DroppedAnswer("the connection dies before the answer is complete")
