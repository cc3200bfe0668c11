"""The baseline: a bare FastAPI app with one route, served by the same uvicorn as Accord.

``uvicorn --factory bench.bare:create_app`` (what ``bench.spine`` does).
"""

from __future__ import annotations

from fastapi import FastAPI


def create_app() -> FastAPI:
    app = FastAPI(title="bare", openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/bare")
    async def bare() -> dict[str, str]:
        return {"status": "ok"}

    return app
