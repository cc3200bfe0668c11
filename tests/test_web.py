"""The headers every response shares (app.core.web.SecurityHeaders), as a layer of its own."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.core.config import Settings
from app.core.web import HSTS, SecurityHeaders
from app.main import create_app


def _answer(request: object) -> PlainTextResponse:
    return PlainTextResponse("ok")


def _app(**options: bool) -> SecurityHeaders:
    inner = Starlette(routes=[Route("/{path:path}", _answer)])
    return SecurityHeaders(inner, **options)


async def _get(app: object, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as c:
        return await c.get(path)


@pytest.mark.parametrize("path", ["/", "/api/me", "/healthz", "/openapi.json"])
async def test_hsts_on_every_answer_when_asked(path: str) -> None:
    answer = await _get(_app(hsts=True), path)
    assert answer.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    assert HSTS == "max-age=63072000; includeSubDomains"


@pytest.mark.parametrize("path", ["/", "/api/me"])
async def test_no_hsts_by_default(path: str) -> None:
    answer = await _get(_app(), path)
    assert "strict-transport-security" not in answer.headers
    assert answer.headers["x-content-type-options"] == "nosniff"


async def test_the_app_sends_hsts_when_the_environment_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "web-test-" + "x" * 40)
    assert Settings.from_env().hsts is False
    monkeypatch.setenv("HSTS", "1")
    settings = Settings.from_env(argon2_time_cost=1, argon2_memory_kib=1024, housekeeping=False)
    assert settings.hsts is True
    app = create_app(settings)
    try:
        answer = await _get(app, "/")
    finally:
        await app.state.db.dispose()
    assert answer.status_code == 200
    assert answer.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
