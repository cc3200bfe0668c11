"""Errors: every one is ``{"detail", "code"}`` with the right status, and no input is a 500.

Malformed and mistyped bodies, oversized bodies (declared and streamed), bad paths, unknown
routes and methods, missing credentials, the shared headers, and a property test throwing
arbitrary JSON and bytes at the routes that take input.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from app.core.deps import SessionDep
from app.core.web import RedactInviteCodes
from app.dynamics.models import Dynamic
from app.main import create_app
from tests.conftest import make_settings
from tests.helpers import PASSWORD, Member

JSON = {"content-type": "application/json"}
LIMIT = 64 * 1024


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("detail"), str) and body["detail"], body
    assert isinstance(body.get("code"), str) and body["code"], body
    if code is not None:
        assert body["code"] == code, body
    return body


def error_fields(body: dict[str, Any]) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in body["errors"]}


async def post_raw(
    client: httpx.AsyncClient, path: str, content: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(path, content=content, headers={**JSON, **(headers or {})})


# --- bodies -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [b"{bad", b'{"email": }', b"{'single': 1}", b'{"a": 1,}', b"\xff\xfe{}", b"nul\x00"],
    ids=["truncated", "no-value", "single-quotes", "trailing-comma", "not-utf8", "nul"],
)
async def test_malformed_json_is_422(client: httpx.AsyncClient, content: bytes) -> None:
    body = assert_error(await post_raw(client, "/api/auth/register", content), 422)
    assert body["code"] == "validation_error"
    assert error_fields(body) == {"body"}
    assert body["errors"][0]["type"] == "json_invalid"


async def test_json_that_is_not_an_object_is_422(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str
) -> None:
    for content in (b"[]", b'["email", "password"]', b'"text"', b"42", b"true"):
        body = assert_error(await post_raw(client, "/api/auth/register", content), 422)
        assert body["code"] == "validation_error"
        assert error_fields(body) == {"body"}
    # Also where the body itself is optional.
    red = await post_raw(client, f"/api/dynamics/{dynamic_id}/red", b"[]", alice.headers)
    assert_error(red, 422, "validation_error")


async def test_wrong_types_name_each_field(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/auth/register",
        json={"email": 5, "password": True, "display_name": ["x"], "timezone": {"tz": 1}},
    )
    body = assert_error(response, 422, "validation_error")
    assert error_fields(body) == {
        "body.email",
        "body.password",
        "body.display_name",
        "body.timezone",
    }
    assert body["detail"].startswith("body.")


async def test_huge_numbers_are_422(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str
) -> None:
    red = f"/api/dynamics/{dynamic_id}/red"
    assert_error(await client.post(red, json={"note": 10**40}, headers=alice.headers), 422)
    me = await client.patch(
        "/api/me", json={"discreet_notifications": 10**30}, headers=alice.headers
    )
    assert "body.discreet_notifications" in error_fields(assert_error(me, 422))
    # More digits than Python will parse: not JSON it can read at all, still a 422.
    digits = b'{"note": ' + b"9" * 5000 + b"}"
    assert_error(await post_raw(client, red, digits, alice.headers), 422, "validation_error")
    assert_error(await post_raw(client, red, b'{"note": 1e999}', alice.headers), 422)
    page = await client.get(f"/api/dynamics?limit={10**30}", headers=alice.headers)
    assert "query.limit" in error_fields(assert_error(page, 422))
    listed = await client.get("/api/dynamics", headers=alice.headers)
    assert listed.status_code == 200
    assert [d["state"] for d in listed.json()["items"]] == ["active"]


async def test_huge_strings_and_deep_nesting_are_422(client: httpx.AsyncClient) -> None:
    long_name = {
        "email": "x@example.org",
        "password": PASSWORD,
        "display_name": "n" * 60_000,
    }
    body = assert_error(await client.post("/api/auth/register", json=long_name), 422)
    assert error_fields(body) == {"body.display_name"}
    long_password = {"email": "x@example.org", "password": "p" * 60_000, "display_name": "X"}
    body = assert_error(await client.post("/api/auth/register", json=long_password), 422)
    assert error_fields(body) == {"body.password"}
    deep = b"[" * 30_000 + b"]" * 30_000
    assert_error(await post_raw(client, "/api/auth/register", deep), 422, "validation_error")
    deep_object = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
    assert_error(await post_raw(client, "/api/auth/login", deep_object), 422)


async def test_text_that_no_database_can_store_is_422(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, dynamic_id: str
) -> None:
    """A lone surrogate (JSON can spell one) or a NUL never reaches a 500."""
    lone = b'{"display_name": "A\\ud800"}'
    body = assert_error(
        await client.patch("/api/me", content=lone, headers={**JSON, **alice.headers}), 422
    )
    assert body["code"] == "validation_error"
    register = b'{"email": "s@example.org", "password": "long enough", "display_name": "\\udfff"}'
    assert_error(await post_raw(client, "/api/auth/register", register), 422)
    yellow = f"/api/dynamics/{dynamic_id}/yellow"
    note = b'{"note": "x\\uDBFF"}'
    assert_error(await post_raw(client, yellow, note, alice.headers), 422)
    # The same surrogate as raw bytes (ED A0 80): Python's JSON reader lets it through too.
    raw = '{"note": "x\ud800"}'.encode("utf-8", "surrogatepass")
    assert_error(await post_raw(client, yellow, raw, alice.headers), 422)
    # PostgreSQL text cannot hold NUL: a field the schemas leave unchecked still is no 500.
    login = await client.post("/api/auth/login", json={"email": "a\x00@b.org", "password": "x"})
    assert login.status_code in (401, 422), login.text
    assert_error(login, login.status_code)

    # What only looks like one is fine: a real pair, and an escaped backslash before "u".
    pair = await client.patch(
        "/api/me",
        content=b'{"display_name": "A \\ud83d\\ude00"}',
        headers={**JSON, **alice.headers},
    )
    assert pair.status_code == 200, pair.text
    assert pair.json()["display_name"] == "A \U0001f600"
    literal = await post_raw(
        client, f"/api/dynamics/{dynamic_id}/yellow", b'{"note": "\\\\ud800"}', alice.headers
    )
    assert literal.status_code == 200, literal.text
    mine = next(m for m in literal.json()["members"] if m["user_id"] == alice.id)
    assert mine["yellow_note"] == "\\ud800"


# --- size ---------------------------------------------------------------------------------------


async def test_declared_body_over_64_kib_is_413(client: httpx.AsyncClient) -> None:
    content = b'{"display_name": "' + b"x" * LIMIT + b'"}'
    body = assert_error(await post_raw(client, "/api/auth/register", content), 413)
    assert body["code"] == "payload_too_large"


async def test_body_at_the_limit_is_read(client: httpx.AsyncClient) -> None:
    prefix, suffix = b'{"display_name": "', b'"}'
    content = prefix + b"x" * (LIMIT - len(prefix) - len(suffix)) + suffix
    assert len(content) == LIMIT
    body = assert_error(await post_raw(client, "/api/auth/register", content), 422)
    assert "body.display_name" in error_fields(body)
    over = prefix + b"x" * (LIMIT + 1 - len(prefix) - len(suffix)) + suffix
    assert_error(await post_raw(client, "/api/auth/register", over), 413, "payload_too_large")


async def stream(chunks: list[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def test_streamed_body_over_64_kib_is_413(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, dynamic_id: str
) -> None:
    chunks = [b'{"note": "'] + [b"x" * 16_384] * 5 + [b'"}']
    response = await client.post(
        f"/api/dynamics/{dynamic_id}/red",
        content=stream(chunks),
        headers={**JSON, **alice.headers},
    )
    assert "content-length" not in response.request.headers
    assert_error(response, 413, "payload_too_large")
    async with app.state.db.reader() as session:
        dynamic = await session.get(Dynamic, uuid.UUID(dynamic_id))
        assert dynamic is not None and dynamic.state == "active"


async def test_streamed_body_under_the_limit_is_reassembled(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str
) -> None:
    chunks = [b'{"no', b'te": "', b"stop", b' now"}']
    response = await client.post(
        f"/api/dynamics/{dynamic_id}/red",
        content=stream(chunks),
        headers={**JSON, **alice.headers},
    )
    assert response.status_code == 200, response.text
    mine = next(m for m in response.json()["members"] if m["user_id"] == alice.id)
    assert mine["red_note"] == "stop now"


# --- paths, routes, methods ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad", ["not-a-uuid", "1234", "%20", "00000000-0000-0000-0000-00000000000g"]
)
async def test_invalid_uuid_in_path_is_422_naming_it(
    client: httpx.AsyncClient, alice: Member, bad: str
) -> None:
    read = await client.get(f"/api/dynamics/{bad}", headers=alice.headers)
    assert error_fields(assert_error(read, 422, "validation_error")) == {"path.dynamic_id"}
    red = await client.post(f"/api/dynamics/{bad}/red", json={}, headers=alice.headers)
    assert "path.dynamic_id" in error_fields(assert_error(red, 422, "validation_error"))


async def test_unknown_route_is_404_json(client: httpx.AsyncClient, alice: Member) -> None:
    for path in ("/api/nope", "/api/dynamics/x/y/z", "/api/"):
        assert_error(await client.get(path, headers=alice.headers), 404, "not_found")


async def test_wrong_method_is_405_json(client: httpx.AsyncClient, alice: Member) -> None:
    for method, path in (("DELETE", "/api/dynamics"), ("PUT", "/api/invites")):
        response = await client.request(method, path, headers=alice.headers)
        assert_error(response, 405, "method_not_allowed")
        assert "allow" in response.headers


async def check_api_routing(client: httpx.AsyncClient, alice: Member) -> None:
    assert_error(await client.post("/api/nope", json={}, headers=alice.headers), 404, "not_found")
    wrong = await client.request("DELETE", "/api/dynamics", headers=alice.headers)
    assert_error(wrong, 405, "method_not_allowed")
    assert wrong.headers["allow"] == "GET"
    post_only = await client.get("/api/notifications/read", headers=alice.headers)
    assert_error(post_only, 405, "method_not_allowed")
    assert post_only.headers["allow"] == "POST"


async def test_api_routes_are_not_shadowed_by_the_pwa(
    client: httpx.AsyncClient, alice: Member
) -> None:
    await check_api_routing(client, alice)


async def test_api_routing_is_right_without_the_pwa_mount(
    app: FastAPI, database_url: str, tmp_path: Path, alice: Member
) -> None:
    """The control for the test above: the same checks pass once nothing is mounted at '/'."""
    bare = create_app(make_settings(database_url, tmp_path, serve_frontend=False))
    try:
        transport = httpx.ASGITransport(app=bare)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            await check_api_routing(c, alice)
    finally:
        await bare.state.db.dispose()


# --- auth and headers ---------------------------------------------------------------------------


async def test_missing_or_bad_bearer_is_401_with_challenge(client: httpx.AsyncClient) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-jwt"},
        {"Authorization": "Basic dXNlcjpwdw=="},
    ):
        response = await client.get("/api/me", headers=headers)
        assert_error(response, 401, "unauthorized")
        assert response.headers["www-authenticate"] == "Bearer"


async def test_shared_headers_on_every_api_answer(client: httpx.AsyncClient, alice: Member) -> None:
    answers = [
        await client.get("/api/me", headers=alice.headers),  # 200
        await client.get("/api/me"),  # 401
        await client.get("/api/nope"),  # 404
        await post_raw(client, "/api/auth/register", b"{"),  # 422 from the router
        await client.post(
            "/api/invites", json={}, headers={**alice.headers, "Idempotency-Key": ""}
        ),
        await post_raw(client, "/api/auth/register", b"x" * (LIMIT + 1)),  # 413
    ]
    assert [a.status_code for a in answers] == [200, 401, 404, 422, 422, 413]
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "private, no-store"
        assert answer.headers["referrer-policy"] == "no-referrer"
        assert answer.headers["x-frame-options"] == "DENY"


async def test_pages_get_a_csp_and_may_be_cached(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert "no-store" not in page.headers.get("cache-control", "")


# --- the last resort: a bug answers in the shared shape ------------------------------------------


@pytest.fixture
async def buggy(app: FastAPI, database_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    """The real app with routes that raise, as a bug would."""
    application = create_app(make_settings(database_url, tmp_path, serve_frontend=False))

    @application.post("/api/test/bug")
    async def api_bug(session: SessionDep) -> None:
        session.add(Dynamic(pair_key="bug"))
        await session.flush()
        raise RuntimeError("a bug")

    @application.get("/test/page-bug")
    async def page_bug() -> None:
        raise RuntimeError("a bug outside the API")

    yield application
    await application.state.db.dispose()


async def test_a_bug_is_a_json_500_and_writes_nothing(app: FastAPI, buggy: FastAPI) -> None:
    transport = httpx.ASGITransport(app=buggy, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        response = await c.post("/api/test/bug", json={})
        assert_error(response, 500, "internal_error")
        assert response.headers["cache-control"] == "private, no-store"
        assert "RuntimeError" not in response.text
        assert_error(await c.get("/test/page-bug"), 500, "internal_error")
    async with app.state.db.reader() as session:
        assert list((await session.execute(select(Dynamic))).scalars()) == []


# --- access logs ---------------------------------------------------------------------------------


def test_access_logs_never_show_an_invite_code() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("10.0.0.1:5000", "POST", "/api/invites/ABCD2345/accept?x=1", "1.1", 201),
        None,
    )
    assert RedactInviteCodes().filter(record)
    assert "ABCD2345" not in record.getMessage()
    assert "/api/invites/…/accept?x=1" in record.getMessage()
    page = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, "%s %s", ("GET", "/join/ABCD2345"), None
    )
    RedactInviteCodes().filter(page)
    assert page.getMessage() == "GET /join/…"


# --- property: nothing a client sends is a 5xx --------------------------------------------------

chars = st.one_of(
    st.characters(),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates
    st.sampled_from(["\x00", "\n", "\t", '"', "\\", "\u202e", "\ufeff", "\u0301"]),
)
# One odd character in otherwise ordinary text gets past the checks that refuse control
# characters, so it reaches the database.
ordinary = st.text(st.characters(categories=["L", "N", "P", "Zs"]), max_size=12)
one_odd = st.builds(lambda a, odd, b: a + odd + b, ordinary, chars, ordinary)
text = st.one_of(
    st.text(chars, max_size=40), one_odd, one_odd, st.text(chars, min_size=60, max_size=400)
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
    st.builds(lambda: str(uuid.uuid4())),
)


def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(children, max_size=4), st.dictionaries(text, children, max_size=4))


json_values = st.recursive(scalars, containers, max_leaves=12)
fresh_email = st.builds(lambda: f"p{uuid.uuid4().hex[:10]}@example.org")

# Bodies that are valid for each route, so that a mutated field gets past the rest of the
# validation and reaches the service and the database. (No real password for /api/me: a password
# change would end the caller's session and leave the remaining examples at 401.)
VALID: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "/api/auth/register": {
        "email": fresh_email,
        "password": st.just(PASSWORD),
        "display_name": st.sampled_from(["Sam", "Zoë", "李"]),
        "timezone": st.sampled_from(["Europe/Paris", "UTC", "America/New_York"]),
        "pronouns": st.sampled_from(["they/them", ""]),
    },
    "/api/auth/login": {"email": fresh_email, "password": st.just(PASSWORD)},
    "/api/me": {
        "display_name": st.sampled_from(["Bob", "Robert"]),
        "pronouns": st.sampled_from(["he/him", "", None]),
        "timezone": st.sampled_from(["Europe/Paris", "Asia/Tokyo"]),
        "checkin_reminder_time": st.sampled_from(["08:00", None]),
        "discreet_notifications": st.booleans(),
        "current_password": st.just("not the password"),
    },
    "/api/invites/{code}/accept": {},
    "/api/dynamics/{dynamic_id}/red": {"note": st.sampled_from(["stop", "", "a\nb"])},
    "/api/notifications/read": {
        "ids": st.lists(st.builds(lambda: str(uuid.uuid4())), max_size=3),
        "all": st.booleans(),
    },
}


@st.composite
def bodies(draw: st.DrawFn, template: str) -> bytes:
    if draw(st.integers(0, 3)) == 0:  # anything at all
        if draw(st.booleans()):
            return draw(st.binary(max_size=64))
        value: Any = draw(json_values)
    else:  # a valid body with one field replaced by anything, most often by text
        fields = VALID[template]
        value = {name: draw(valid) for name, valid in fields.items()}
        if fields:
            name = draw(st.sampled_from(sorted(fields)))
            value[name] = draw(st.one_of(text, text, json_values))
        extra = draw(st.sampled_from(["", "", "", "drop", "surprise"]))
        if extra == "drop" and value:
            del value[draw(st.sampled_from(sorted(value)))]
        elif extra == "surprise":
            value[draw(text)] = draw(json_values)
    if draw(st.sampled_from([True, True, True, False])):
        return json.dumps(value, allow_nan=True).encode()  # surrogates become \\udXXX escapes
    return json.dumps(value, ensure_ascii=False, allow_nan=True).encode("utf-8", "surrogatepass")


ROUTES = [
    ("POST", "/api/auth/register", False),
    ("POST", "/api/auth/login", False),
    ("PATCH", "/api/me", True),
    ("POST", "/api/invites/{code}/accept", True),
    ("POST", "/api/dynamics/{dynamic_id}/red", True),
    ("POST", "/api/notifications/read", True),
]


@pytest.mark.parametrize(("method", "template", "signed_in"), ROUTES, ids=[r[1] for r in ROUTES])
@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), code=text, as_json=st.sampled_from([True, True, True, True, False]))
async def test_no_input_is_a_server_error(
    client: httpx.AsyncClient,
    bob: Member,
    dynamic_id: str,
    method: str,
    template: str,
    signed_in: bool,
    data: st.DataObject,
    code: str,
    as_json: bool,
) -> None:
    body = data.draw(bodies(template), label="body")
    path = template.format(
        code=quote(code.encode("utf-8", "surrogatepass"), safe=""), dynamic_id=dynamic_id
    )
    headers = {**(bob.headers if signed_in else {}), **(JSON if as_json else {})}
    response = await client.request(method, path, content=body, headers=headers)
    assert response.status_code < 500, (response.status_code, response.text)
    if response.status_code >= 400:
        assert_error(response, response.status_code)
