"""Which requests pass the API's layers (app.core.middleware.layers.ApiLayers), and in which
order: ``/api/...`` and ``/healthz`` do, outermost layer first; the web app's files and the live
stream (a GET or HEAD that lasts minutes) go straight to the app. Then the real composition."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.middleware.layers import ApiLayers
from tests.asgi import client_of


class Mark:
    """A layer that notes its name in the answer, and in ``order`` when it runs."""

    def __init__(self, app: ASGIApp, *, name: str, order: list[str]) -> None:
        self.app = app
        self.name = name
        self.order = order

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.order.append(self.name)

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message["headers"], (b"x-layer", self.name.encode())]
            await send(message)

        await self.app(scope, receive, marked)


def layered(order: list[str]) -> ApiLayers:
    async def answer(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    inner = Starlette(
        routes=[Route("/{path:path}", answer, methods=["GET", "HEAD", "POST"])],
    )
    return ApiLayers(
        inner,
        layers=[
            Middleware(Mark, name="outer", order=order),
            Middleware(Mark, name="inner", order=order),
        ],
        streaming_paths=frozenset({"/api/events"}),
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/me"), ("POST", "/api/invites"), ("GET", "/healthz"), ("POST", "/api/events")],
)
async def test_api_requests_pass_the_layers_outermost_first(method: str, path: str) -> None:
    order: list[str] = []
    async with client_of(layered(order)) as client:
        answer = await client.request(method, path)
    assert answer.status_code == 200
    assert order == ["outer", "inner"]
    # Each layer sees the answer on its way out, the innermost first.
    assert answer.headers.get_list("x-layer") == ["inner", "outer"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/js/app.js"),
        ("GET", "/api"),
        ("GET", "/apiary"),
        ("GET", "/healthz/more"),
        ("GET", "/api/events"),
        ("HEAD", "/api/events"),
    ],
)
async def test_everything_else_goes_straight_to_the_app(method: str, path: str) -> None:
    order: list[str] = []
    async with client_of(layered(order)) as client:
        answer = await client.request(method, path)
    assert answer.status_code == 200
    assert order == []
    assert "x-layer" not in answer.headers


async def test_what_is_not_http_goes_straight_to_the_app() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    order: list[str] = []
    layers = ApiLayers(app, layers=[Middleware(Mark, name="only", order=order)])
    scope: Scope = {"type": "lifespan", "path": "/api/x"}
    await layers(scope, _nothing, _ignore)
    assert seen == ["lifespan"]
    assert order == []


async def _nothing() -> Message:
    return {"type": "lifespan.startup"}


async def _ignore(message: Message) -> None:
    pass


# --- the real composition -----------------------------------------------------------------------


async def test_the_live_stream_alone_skips_the_layers(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    too_big = b" " * (app.state.settings.max_body_bytes + 1)
    # Through the layers, the body guard refuses the body before any route is found.
    assert (await client.post("/api/events", content=too_big)).status_code == 413
    assert (await client.post("/api/events/ticket", content=too_big)).status_code == 413
    # The stream itself is let by: its route answers, refusing a caller without a ticket.
    stream = await client.request("GET", "/api/events", content=too_big)
    assert stream.status_code == 401, stream.text
    assert stream.headers["cache-control"] == "private, no-store"
