"""The body guard layer (app.core.middleware.body_guard) on its own, around a tiny app that
echoes what it was given: a body over the cap is a 413 before anything parses it (and reading
stops there), a JSON body spelling a lone surrogate is a 422, and anything else reaches the app
whole. Then, through the real app: what the guard refuses never claims an Idempotency-Key."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.core.middleware.body_guard import BodyGuard
from app.core.models import IdempotencyRecord
from tests.asgi import call
from tests.helpers import Member

CAP = 32
JSON = (b"content-type", b"application/json")


def guarded(cap: int = CAP) -> tuple[BodyGuard, list[bytes]]:
    """The layer around an app that keeps every body it is given."""
    given_bodies: list[bytes] = []

    async def echo(request: Request) -> JSONResponse:
        given_bodies.append(await request.body())
        return JSONResponse({"bytes": len(given_bodies[-1])})

    app = Starlette(routes=[Route("/", echo, methods=["POST"])])
    return BodyGuard(app, max_bytes=cap), given_bodies


def error_of(body: bytes) -> dict[str, Any]:
    error = json.loads(body)
    assert isinstance(error, dict)
    return error


async def test_a_declared_length_over_the_cap_is_413_before_a_byte_is_read() -> None:
    layer, given_bodies = guarded()
    length = (b"content-length", str(CAP + 1).encode())
    answer = await call(layer, "POST", "/", headers=[length], chunks=[b"x" * (CAP + 1)])
    assert answer.status == 413
    assert error_of(answer.body) == {
        "detail": f"request body over {CAP} bytes",
        "code": "payload_too_large",
    }
    assert answer.chunks_read == 0
    assert given_bodies == []


async def test_a_streamed_body_stops_being_read_once_over_the_cap() -> None:
    layer, given_bodies = guarded()
    chunks = [b"x" * 10] * 6  # no length declared; the fourth chunk passes the cap
    answer = await call(layer, "POST", "/", chunks=chunks)
    assert answer.status == 413
    assert error_of(answer.body)["code"] == "payload_too_large"
    assert answer.chunks_read == 4
    assert given_bodies == []


async def test_a_body_at_the_cap_reaches_the_app_whole_however_it_was_cut() -> None:
    layer, given_bodies = guarded()
    body = bytes(range(65, 65 + CAP))
    answer = await call(layer, "POST", "/", chunks=[body[:5], body[5:20], b"", body[20:]])
    assert answer.status == 200
    assert given_bodies == [body]
    declared = (b"content-length", str(CAP).encode())
    assert (await call(layer, "POST", "/", headers=[declared], chunks=[body])).status == 200


@pytest.mark.parametrize(
    "body",
    [
        b'{"note": "x\\ud800"}',
        b'{"note": "\\uDBFF"}',
        b'{"note": "\\udc00 alone"}',
        b'{"x\\ud800": 1}',
        b'[[{"deep": ["\\ud834"]}]]',
        '{"note": "x\ud800"}'.encode("utf-8", "surrogatepass"),  # the raw bytes ED A0 80
    ],
    ids=["escaped", "upper-case", "low-alone", "in-a-key", "nested", "raw-bytes"],
)
async def test_a_lone_surrogate_is_422_naming_the_body(body: bytes) -> None:
    layer, given_bodies = guarded()
    answer = await call(layer, "POST", "/", headers=[JSON], chunks=[body])
    assert answer.status == 422
    error = error_of(answer.body)
    assert error["code"] == "validation_error"
    assert error["errors"] == [
        {
            "loc": ["body"],
            "msg": "text must be valid Unicode; a lone surrogate such as \\ud800 is not",
            "type": "string_unicode",
        }
    ]
    assert given_bodies == []


@pytest.mark.parametrize(
    "body",
    [
        b'{"note": "\\ud83d\\ude00"}',  # a pair: one emoji
        b'{"note": "\\\\ud800"}',  # an escaped backslash: the text \ud800, six characters
        b"not json \\ud800",  # not JSON: the router answers that itself
        b'{"note": "caf\\u00e9"}',
    ],
    ids=["pair", "escaped-backslash", "not-json", "other-escape"],
)
async def test_text_that_is_unicode_reaches_the_app(body: bytes) -> None:
    layer, given_bodies = guarded()
    answer = await call(layer, "POST", "/", headers=[JSON], chunks=[body])
    assert answer.status == 200
    assert given_bodies == [body]


strings = st.text(
    st.one_of(st.characters(), st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)),
    max_size=6,
)
values = st.recursive(
    st.one_of(st.none(), st.integers(), strings),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(strings, children, max_size=3)
    ),
    max_leaves=6,
)


def all_text(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for item in value for t in all_text(item)]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in [k, *all_text(v)]]
    return []


def is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@settings(max_examples=100, deadline=None)
@given(value=values, escaped=st.booleans())
async def test_refused_exactly_when_some_text_is_not_unicode(value: Any, escaped: bool) -> None:
    body = json.dumps(value, ensure_ascii=escaped).encode("utf-8", "surrogatepass")
    answer = await call(guarded(cap=64 * 1024)[0], "POST", "/", headers=[JSON], chunks=[body])
    expected = 200 if all(is_unicode(t) for t in all_text(value)) else 422
    assert answer.status == expected, body


# --- through the real app -----------------------------------------------------------------------


async def records(app: FastAPI) -> int:
    async with app.state.db.reader() as session:
        stmt = select(func.count()).select_from(IdempotencyRecord)
        return int((await session.execute(stmt)).scalar_one())


async def test_what_the_guard_refuses_claims_no_key(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    limit = app.state.settings.max_body_bytes
    headers = {**alice.idem(str(uuid.uuid4())), "content-type": "application/json"}
    too_big = await client.post("/api/invites", content=b" " * (limit + 1), headers=headers)
    assert too_big.status_code == 413
    assert too_big.headers["cache-control"] == "private, no-store"
    surrogate = await client.post("/api/invites", content=b'{"x": "\\ud800"}', headers=headers)
    assert surrogate.status_code == 422
    assert await records(app) == 0
    # The same key is free for the request the client meant.
    created = await client.post("/api/invites", content=b"{}", headers=headers)
    assert created.status_code == 201, created.text
    assert "idempotent-replayed" not in created.headers
    assert await records(app) == 1
