"""HTTP details every response shares: security headers, no caching of private data, and
access logs that never show an invite code."""

from __future__ import annotations

import logging
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_PAGE_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
    # 'wasm-unsafe-eval' lets the page compile libsodium's WebAssembly (docs/e2ee.md); it does
    # not allow eval of JavaScript.
    "script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; manifest-src 'self'; "
    "worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# Two years, subdomains included: what the HSTS preload list asks for (without "preload", which
# is a promise only the site's owner should make).
HSTS = "max-age=63072000; includeSubDomains"


class SecurityHeaders:
    """``hsts`` adds Strict-Transport-Security: only behind HTTPS, where a proxy does not
    already send it (``HSTS=1``)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                extra = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                if self.hsts:
                    extra.append((b"strict-transport-security", HSTS.encode()))
                if path.startswith("/api/"):
                    extra.append((b"cache-control", b"private, no-store"))
                else:  # the web app, and the API reference when it is on (app.core.docs)
                    extra.append((b"content-security-policy", _PAGE_CSP.encode()))
                headers.extend((k, v) for k, v in extra if k not in names)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


_INVITE_PATH = re.compile(r"(/api/invites/)[^/\s?\"]+")
# A live-stream ticket is a credential for a minute: never in a log.
_TICKET_QUERY = re.compile(r"([?&]ticket=)[^&\s\"]+")
_JOIN_PATH = re.compile(r"(/join/)[^/\s?\"]+")


def _redact(text: str) -> str:
    for pattern in (_INVITE_PATH, _JOIN_PATH, _TICKET_QUERY):
        text = pattern.sub(r"\1…", text)
    return text


class RedactInviteCodes(logging.Filter):
    """Invite codes (capabilities for 48 hours) and live-stream tickets stay out of access
    logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install_log_redaction() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactInviteCodes) for f in access.filters):
        access.addFilter(RedactInviteCodes())
