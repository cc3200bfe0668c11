"""The application: the parts' routers (``app.parts``), the unit of work, errors, and the PWA
at ``/``.

Serve it with ``uvicorn --factory app.main:create_app`` (what ``make run`` does).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Match, Mount
from starlette.types import Scope

from app.accounts.export import export_router
from app.accounts.repository import signed_in_user
from app.core import housekeeping
from app.core.config import Settings
from app.core.db import Clock, Database, utcnow
from app.core.declaration import Parts
from app.core.docs import install_api_docs
from app.core.errors import install_error_handlers
from app.core.frontend import ShellCache
from app.core.middleware.body_guard import BodyGuard
from app.core.middleware.conditional import Conditional
from app.core.middleware.idempotency import Idempotency
from app.core.middleware.layers import ApiLayers
from app.core.middleware.unit_of_work import UnitOfWork
from app.core.security import Passwords
from app.core.views import ViewCache
from app.core.web import SecurityHeaders, install_log_redaction
from app.live.hub import Hub
from app.parts import PARTS
from app.push.sender import PushSender
from app.push.transport import make_push_client
from app.reminders import dispatcher

FRONTEND = Path(__file__).resolve().parent.parent / "frontend"

DESCRIPTION = """
The API behind Accord, for couples in a consensual power-exchange relationship.

Every error is `{"detail": "...", "code": "..."}`. Send `Authorization: Bearer <access_token>`;
every POST accepts an `Idempotency-Key`. A resource of a dynamic you are not in is a 404.
"""


class _FrontendMount(Mount):
    """The PWA at ``/``, except for API paths: an unknown ``/api`` route stays a JSON 404 (or
    405 with the route's own methods) instead of falling through to the static files."""

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        path: str = scope.get("path", "")
        if path == "/api" or path.startswith("/api/"):
            return Match.NONE, {}
        return super().matches(scope)


def _lifespan(
    settings: Settings, db: Database, hub: Hub, parts: Parts, dispatcher_clock: dispatcher.Clock
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """What runs beside the requests: the live hub, housekeeping, the in-app dispatcher."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        install_log_redaction()
        await hub.start()
        tasks = []
        stop = asyncio.Event()
        if settings.housekeeping:
            tasks.append(
                asyncio.create_task(housekeeping.run_forever(db, housekeeping.sweeps_of(parts)))
            )
        push_client = None
        if settings.dispatcher:
            # One client for the process: a new one per push would load the TLS trust store.
            push_client = make_push_client(settings)
            sender = PushSender(settings, db, push_client)
            run = dispatcher.run(
                db,
                sender,
                stop,
                interval=settings.dispatch_interval_seconds,
                clock=dispatcher_clock,
            )
            tasks.append(asyncio.create_task(run))
        try:
            yield
        finally:
            await hub.stop()
            stop.set()
            for task in tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if push_client is not None:
                await push_client.aclose()
            await db.dispose()

    return lifespan


def _add_layers(app: FastAPI, settings: Settings, db: Database) -> None:
    """Every API request passes these layers, outermost first (app.core.middleware). The event
    stream lives for minutes: it takes short sessions of its own instead of the unit of work,
    which holds a session until the response is complete."""
    app.add_middleware(
        ApiLayers,
        layers=[
            Middleware(BodyGuard, max_bytes=settings.max_body_bytes),
            Middleware(Conditional),
            Middleware(Idempotency, db=db, settings=settings, signed_in=signed_in_user),
            Middleware(UnitOfWork, db=db),
        ],
        streaming_paths=frozenset({"/api/events"}),
    )
    app.add_middleware(SecurityHeaders, hsts=settings.hsts)


def _serve_frontend(app: FastAPI, frontend: Path) -> None:
    index = frontend / "index.html"
    shell = ShellCache(frontend)

    @app.get("/sw.js", include_in_schema=False)
    async def service_worker() -> Response:
        # no-cache: the browser asks every time, so a new version is seen at once.
        return Response(
            shell.get().worker,
            media_type="text/javascript",
            headers={"Cache-Control": "no-cache"},
        )

    @app.get("/join/{code}", include_in_schema=False)
    async def join_page(code: str) -> FileResponse:
        return FileResponse(index)

    # Compressed, the whole shell is a fraction of its size on a phone's first visit. Only
    # the app's own files: API answers (tokens, private data) are never compressed, so a
    # compression side channel has nothing secret to work on.
    static = GZipMiddleware(StaticFiles(directory=frontend, html=True), minimum_size=512)
    app.router.routes.append(_FrontendMount("/", app=static, name="frontend"))


def create_app(
    settings: Settings | None = None,
    parts: Parts = PARTS,
    *,
    dispatcher_clock: dispatcher.Clock = utcnow,
    clock: Clock = utcnow,
) -> FastAPI:
    """The app of the given parts (every part of the product unless told).
    ``dispatcher_clock`` is what the in-app reminder dispatcher reads the time from, ``clock``
    what the routes that compute a view of the present (home, the balance) do: the wall clock,
    except in a test that moves time forward itself."""
    settings = settings or Settings.from_env()
    db = Database(settings)
    hub = Hub(db, settings)
    app = FastAPI(
        title="Accord",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=_lifespan(settings, db, hub, parts, dispatcher_clock),
        docs_url=None,  # see app.core.docs: only with API_DOCS=1, and never from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.hub = hub
    app.state.passwords = Passwords(settings)
    app.state.parts = tuple(parts)
    app.state.clock = clock
    app.state.views = ViewCache()

    install_error_handlers(app)
    for part in parts:
        for router in part.routers:
            app.include_router(router)
    app.include_router(export_router(parts))
    if settings.api_docs:
        install_api_docs(app)
    _add_layers(app, settings, db)
    frontend = settings.frontend_dir or FRONTEND
    if settings.serve_frontend and frontend.is_dir():
        _serve_frontend(app, frontend)
    return app
