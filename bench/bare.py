"""The baseline: a bare FastAPI app with one route, served by the same uvicorn as Accord.

``uvicorn --factory bench.bare:create_app`` (what ``bench.spine`` does).
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

# The page baseline for bench.pwa: the least a browser can be asked to show.
PAGE = "<!doctype html><html lang=en><title>bare</title><h1 id=state>bare</h1></html>"


def create_app() -> FastAPI:
    app = FastAPI(title="bare", openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/bare")
    async def bare() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/page", response_class=HTMLResponse)
    async def page() -> str:
        return PAGE

    return app
