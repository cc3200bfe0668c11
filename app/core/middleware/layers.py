"""Which requests go through the API's layers: ``/api/...`` and ``/healthz``, except the live
stream. Decided once here, so that each layer is only its job."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send


class ApiLayers:
    """Runs API requests through ``layers`` (outermost first) and lets the rest straight by.

    ``streaming_paths`` are long-lived reads (GET or HEAD) that manage their own short sessions
    instead of holding the unit of work's for minutes.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        layers: Sequence[Middleware],
        streaming_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        layered = app
        for cls, args, kwargs in reversed(layers):
            layered = cls(layered, *args, **kwargs)
        self.layered = layered
        self.streaming_paths = streaming_paths

    def __call__(self, scope: Scope, receive: Receive, send: Send) -> Awaitable[None]:
        if scope["type"] == "http":
            path: str = scope["path"]
            if (path.startswith("/api/") or path == "/healthz") and not (
                path in self.streaming_paths and scope["method"] in ("GET", "HEAD")
            ):
                return self.layered(scope, receive, send)
        return self.app(scope, receive, send)
