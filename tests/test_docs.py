"""docs/api.md documents every route the app serves, and no route it does not serve.

Each route has exactly one heading ``### `METHOD /path` `` spelled as in the OpenAPI schema, and
every ``METHOD /path`` named anywhere on the page is a route that exists. No database is needed:
the app is built, never started, and the schema comes from its routes.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from app.core.config import Settings
from app.main import create_app

API_DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_METHODS = "|".join(METHODS)
# The one convention for a route's section: ### `POST /api/auth/register`
HEADING = re.compile(rf"^### `({_METHODS}) (/[^`\s]*)`$")
# A route named anywhere: a method, one space, then a path (a query string is not part of it).
MENTION = re.compile(rf"\b({_METHODS}) (/[^\s`?),;|]*)")

Route = tuple[str, str]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> set[Route]:
    data_dir = tmp_path_factory.mktemp("docs-data")
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite+aiosqlite:///{data_dir / 'accord.db'}",
        secret_key="docs-test-" + "x" * 40,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        housekeeping=False,
    )
    paths = create_app(settings).openapi()["paths"]
    return {
        (method.upper(), path)
        for path, operations in paths.items()
        for method in operations
        if method.upper() in METHODS
    }


@pytest.fixture(scope="module")
def doc() -> str:
    return API_DOC.read_text(encoding="utf-8")


def headings(text: str) -> list[Route]:
    found = []
    for line in text.splitlines():
        match = HEADING.match(line)
        if match:
            found.append((match.group(1), match.group(2)))
    return found


def test_the_app_serves_routes(served: set[Route]) -> None:
    # Guards the other tests against passing vacuously on an empty schema.
    assert ("POST", "/api/auth/register") in served
    assert ("GET", "/healthz") in served


def test_every_route_has_a_heading(served: set[Route], doc: str) -> None:
    missing = sorted(served - set(headings(doc)))
    assert not missing, f"routes without a '### `METHOD /path`' heading in docs/api.md: {missing}"


def test_no_heading_for_a_route_that_does_not_exist(served: set[Route], doc: str) -> None:
    unknown = sorted(set(headings(doc)) - served)
    assert not unknown, f"docs/api.md has headings for routes the app does not serve: {unknown}"


def test_each_route_is_documented_once(doc: str) -> None:
    repeated = sorted(route for route, n in Counter(headings(doc)).items() if n > 1)
    assert not repeated, f"routes with more than one heading in docs/api.md: {repeated}"


def test_every_route_named_in_the_text_exists(served: set[Route], doc: str) -> None:
    named = {(m.group(1), m.group(2)) for m in MENTION.finditer(doc)}
    assert named, "docs/api.md names no route at all"
    unknown = sorted(named - served)
    assert not unknown, f"docs/api.md names routes the app does not serve: {unknown}"
