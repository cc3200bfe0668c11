"""The conditional GET layer (app.core.middleware.conditional) on its own, around a tiny app: a
200 to a GET gets a weak ETag of its content, a client that sends it back gets an empty 304, and
everything else passes untouched. Then, through the real app, what a 304 still carries."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.core.middleware.conditional import Conditional
from tests.asgi import client_of
from tests.helpers import Member

PROTOCOL_TAG = '"v7"'


def tiny_app(content: dict[str, object]) -> Conditional:
    async def read(request: Request) -> JSONResponse:
        return JSONResponse(content, headers={"cache-control": "private, no-store"})

    async def protocol(request: Request) -> Response:
        return Response(b"terms", headers={"etag": PROTOCOL_TAG})

    async def missing(request: Request) -> JSONResponse:
        return JSONResponse({"detail": "not found", "code": "not_found"}, status_code=404)

    async def stream(request: Request) -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            for part in (b"one ", b"two ", b"three"):
                yield part

        return StreamingResponse(parts(), media_type="text/plain")

    routes = [
        Route("/read", read, methods=["GET", "POST", "HEAD"]),
        Route("/protocol", protocol),
        Route("/missing", missing),
        Route("/stream", stream),
    ]
    return Conditional(Starlette(routes=routes))


def tag_of(body: bytes) -> str:
    return f'W/"{hashlib.sha256(body).hexdigest()[:32]}"'


async def test_a_read_is_tagged_with_its_content() -> None:
    content: dict[str, object] = {"mood": 3}
    async with client_of(tiny_app(content)) as client:
        first = await client.get("/read")
        again = await client.get("/read")
        content["mood"] = 4
        changed = await client.get("/read")
    assert first.status_code == 200
    assert first.headers["etag"] == tag_of(first.content)
    assert again.headers["etag"] == first.headers["etag"]
    assert changed.headers["etag"] == tag_of(changed.content) != first.headers["etag"]
    assert first.headers["content-length"] == str(len(first.content))


@pytest.mark.parametrize(
    "offer",
    ["{tag}", "{strong}", 'W/"old", {tag}', '"old",{strong} ', "*"],
    ids=["same", "strong-form", "in-a-list", "list-no-spaces", "any"],
)
async def test_a_client_that_has_it_gets_an_empty_304(offer: str) -> None:
    async with client_of(tiny_app({"mood": 3})) as client:
        tag = (await client.get("/read")).headers["etag"]
        offered = offer.format(tag=tag, strong=tag.removeprefix("W/"))
        same = await client.get("/read", headers={"if-none-match": offered})
    assert same.status_code == 304
    assert same.content == b""
    assert same.headers["etag"] == tag
    assert same.headers["cache-control"] == "private, no-store"
    assert same.headers["content-length"] == "0"
    assert "content-type" not in same.headers


async def test_another_tag_gets_the_whole_read() -> None:
    async with client_of(tiny_app({"mood": 3})) as client:
        answer = await client.get("/read", headers={"if-none-match": 'W/"old", "older"'})
    assert answer.status_code == 200
    assert answer.json() == {"mood": 3}


async def test_a_response_with_its_own_etag_is_always_sent_in_full() -> None:
    async with client_of(tiny_app({})) as client:
        answer = await client.get("/protocol", headers={"if-none-match": PROTOCOL_TAG})
    assert answer.status_code == 200
    assert answer.content == b"terms"
    assert answer.headers.get_list("etag") == [PROTOCOL_TAG]


async def test_only_a_200_to_a_get_is_tagged() -> None:
    async with client_of(tiny_app({"mood": 3})) as client:
        missing = await client.get("/missing", headers={"if-none-match": "*"})
        posted = await client.post("/read", headers={"if-none-match": "*"})
        head = await client.head("/read", headers={"if-none-match": "*"})
    assert missing.status_code == 404 and "etag" not in missing.headers
    assert posted.status_code == 200 and "etag" not in posted.headers
    assert head.status_code == 200 and "etag" not in head.headers


async def test_a_streamed_read_is_tagged_over_all_its_parts() -> None:
    async with client_of(tiny_app({})) as client:
        answer = await client.get("/stream")
        tag = answer.headers["etag"]
        same = await client.get("/stream", headers={"if-none-match": tag})
    assert answer.content == b"one two three"
    assert tag == tag_of(b"one two three")
    assert same.status_code == 304


# --- through the real app -----------------------------------------------------------------------


async def test_through_the_app_a_304_keeps_the_shared_headers_and_errors_are_untagged(
    client: httpx.AsyncClient, alice: Member, eve: Member, dynamic_id: str
) -> None:
    first = await client.get("/api/me", headers=alice.headers)
    same = await client.get("/api/me", headers={**alice.headers, "if-none-match": "*"})
    assert same.status_code == 304
    assert same.headers["etag"] == first.headers["etag"]
    assert same.headers["cache-control"] == "private, no-store"
    assert same.headers["x-content-type-options"] == "nosniff"
    # Another dynamic's read is a 404, and a 404 carries no tag to poll with.
    outside = await client.get(f"/api/dynamics/{dynamic_id}", headers=eve.headers)
    assert outside.status_code == 404
    assert "etag" not in outside.headers
