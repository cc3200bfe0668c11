"""The interactive API reference (/docs) is off unless API_DOCS=1, and when on, every file it
loads comes from this server, under the same 'self'-only CSP as the web app."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from app.core.config import Settings
from app.main import create_app

ROOT = Path(__file__).resolve().parent.parent


def settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'accord.db'}",
        "secret_key": "docs-page-" + "x" * 40,
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "housekeeping": False,
        "dispatcher": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


async def client_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c
    await app.state.db.dispose()


@pytest.fixture
async def default(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for c in client_for(create_app(settings(tmp_path))):
        yield c


@pytest.fixture
async def with_docs(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for c in client_for(create_app(settings(tmp_path, api_docs=True))):
        yield c


async def test_no_docs_pages_by_default(default: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        page = await default.get(path)
        assert page.status_code == 404, path
        assert "swagger" not in page.text.lower(), path
    # The schema itself stays: clients and the tests read it.
    schema = await default.get("/openapi.json")
    assert schema.status_code == 200
    assert "/api/auth/register" in schema.json()["paths"]


async def test_docs_load_only_this_servers_files(with_docs: httpx.AsyncClient) -> None:
    page = await with_docs.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    # 'wasm-unsafe-eval' compiles libsodium's WebAssembly (docs/e2ee.md); no other "unsafe".
    assert "unsafe" not in csp.replace("'wasm-unsafe-eval'", "") and "http" not in csp
    # No inline script (the CSP would refuse it), and nothing from another origin.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page.text)
    urls = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert urls, page.text
    for url in urls:
        assert url.startswith("/") and not url.startswith("//"), url
        asset = await with_docs.get(url)
        assert asset.status_code == 200, url
        assert "content-security-policy" in asset.headers
    assert "cdn" not in page.text.lower()
    start = await with_docs.get("/docs/start.js")
    assert start.headers["content-type"].startswith("text/javascript")
    assert '"/openapi.json"' in start.text


async def test_redoc_stays_off_even_with_docs(with_docs: httpx.AsyncClient) -> None:
    assert (await with_docs.get("/redoc")).status_code == 404


def test_api_docs_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "docs-page-" + "x" * 40)
    assert Settings.from_env().api_docs is False
    monkeypatch.setenv("API_DOCS", "1")
    assert Settings.from_env().api_docs is True


def test_make_run_turns_them_on_for_local_development() -> None:
    makefile = (ROOT / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "API_DOCS=1" in run
