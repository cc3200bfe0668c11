"""The application: routers by domain, the unit of work, errors, and the PWA at ``/``.

Serve it with ``uvicorn --factory app.main:create_app`` (what ``make run`` does).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Match, Mount
from starlette.types import Scope

from app import models  # noqa: F401 - registers every table
from app.accounts.repository import session_is_live
from app.accounts.router import auth_router, me_router
from app.balance.router import router as balance_router
from app.checkins.router import router as checkins_router
from app.core import housekeeping
from app.core.config import Settings
from app.core.db import Database
from app.core.docs import install_api_docs
from app.core.errors import install_error_handlers
from app.core.frontend import ShellCache
from app.core.health import router as health_router
from app.core.middleware.body_guard import BodyGuard
from app.core.middleware.conditional import Conditional
from app.core.middleware.idempotency import Idempotency
from app.core.middleware.layers import ApiLayers
from app.core.middleware.unit_of_work import UnitOfWork
from app.core.security import Passwords
from app.core.web import SecurityHeaders, install_log_redaction
from app.dynamics.router import invites_router
from app.dynamics.router import router as dynamics_router
from app.keys.router import dynamic_keys_router
from app.keys.router import router as keys_router
from app.limits.router import router as limits_router
from app.live.hub import Hub
from app.live.router import router as live_router
from app.notifications.router import router as notifications_router
from app.protocols.router import router as protocols_router
from app.push.router import router as push_router
from app.push.sender import PushSender
from app.push.transport import make_push_client
from app.reminders import dispatcher
from app.reminders.router import router as reminders_router
from app.sync.router import router as sync_router
from app.today.router import router as today_router

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


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    db = Database(settings)
    hub = Hub(db, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        install_log_redaction()
        await hub.start()
        tasks = []
        stop = asyncio.Event()
        if settings.housekeeping:
            tasks.append(asyncio.create_task(housekeeping.run_forever(db)))
        push_client = None
        if settings.dispatcher:
            # One client for the process: a new one per push would load the TLS trust store.
            push_client = make_push_client(settings)
            sender = PushSender(settings, db, push_client)
            tasks.append(
                asyncio.create_task(
                    dispatcher.run(db, sender, stop, interval=settings.dispatch_interval_seconds)
                )
            )
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

    app = FastAPI(
        title="Accord",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # see app.core.docs: only with API_DOCS=1, and never from a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.db = db
    app.state.hub = hub
    app.state.passwords = Passwords(settings)

    install_error_handlers(app)
    for router in (
        health_router,
        auth_router,
        me_router,
        invites_router,
        dynamics_router,
        limits_router,
        protocols_router,
        checkins_router,
        balance_router,
        today_router,
        notifications_router,
        push_router,
        reminders_router,
        sync_router,
        live_router,
        keys_router,
        dynamic_keys_router,
    ):
        app.include_router(router)
    if settings.api_docs:
        install_api_docs(app)

    # Every API request passes these layers, outermost first (app.core.middleware). The event
    # stream lives for minutes: it takes short sessions of its own instead of the unit of work,
    # which holds a session until the response is complete.
    app.add_middleware(
        ApiLayers,
        layers=[
            Middleware(BodyGuard, max_bytes=settings.max_body_bytes),
            Middleware(Conditional),
            Middleware(Idempotency, db=db, settings=settings, session_is_live=session_is_live),
            Middleware(UnitOfWork, db=db),
        ],
        streaming_paths=frozenset({"/api/events"}),
    )
    app.add_middleware(SecurityHeaders, hsts=settings.hsts)

    frontend = settings.frontend_dir or FRONTEND
    if settings.serve_frontend and frontend.is_dir():
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
    return app
