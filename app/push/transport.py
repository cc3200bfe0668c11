"""Where a push is sent: to the very address that was checked, never to a later DNS answer.

A push endpoint is a URL a client chose for the server to call (SSRF). When a device subscribes,
``app.push.rules`` refuses IP literals and local names. At send time, the connection is made by
``CheckedBackend``: it resolves the endpoint's name once, refuses it unless every address it
resolves to is public, and connects to one of those addresses. The request itself still names
the host, so the ``Host`` header, TLS SNI and the certificate check are all for the name, and
connections are pooled per name. A name that answers a public address for a check and a
private one a moment later (DNS rebinding) cannot steer a push into the private network: there
is no second lookup.

Behind an egress proxy (``HTTPS_PROXY`` or ``ALL_PROXY``, unless ``NO_PROXY`` names the host)
the proxy makes the connection and resolves the name itself: the name is still checked here
first, but holding the connection to the checked address is then the proxy's job.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import urllib.request
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import httpcore
import httpx

from app.core.config import Settings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolve = Callable[[str, int], Awaitable[list[str]]]


class EndpointRefused(httpx.TransportError):
    """The endpoint's name resolves to an address the server must not call."""


async def resolve_addresses(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global


async def checked_addresses(
    host: str, port: int, *, resolve: Resolve, allow_private: bool
) -> list[Address]:
    """Every address ``host`` stands for, if all may be called; EndpointRefused if one may not.

    OSError when the name does not resolve."""
    try:
        addresses: list[Address] = [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        found = await resolve(host, port)
        addresses = [ipaddress.ip_address(text.split("%", 1)[0]) for text in found]
    if not allow_private and not all(is_public(a) for a in addresses):
        raise EndpointRefused(f"{host} resolves to a non-public address")
    return addresses


class CheckedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's connections, made only to checked addresses (see the module's doc).

    ``allow_private`` (development and tests: ``PUSH_ALLOW_INSECURE_ENDPOINTS``) still connects
    to the address looked up, but lets it be private. ``resolve`` and ``inner`` are for tests.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolve: Resolve = resolve_addresses,
        inner: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self.allow_private = allow_private
        self._resolve = resolve
        self._inner = inner or httpcore.AnyIOBackend()

    async def check(self, host: str, port: int) -> list[Address]:
        return await checked_addresses(
            host, port, resolve=self._resolve, allow_private=self.allow_private
        )

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.check(host, port)
        except (OSError, UnicodeError) as error:
            raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from error
        failure: Exception = httpcore.ConnectError(f"{host} has no address")
        # One address of each family, in the resolver's order of preference: a host without an
        # IPv6 route still reaches the IPv4 address, and a name with many dead addresses cannot
        # hold a push for long.
        for address in _first_of_each_family(addresses):
            try:
                return await self._inner.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as error:
                failure = error
        raise failure

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("pushes are sent over TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _first_of_each_family(addresses: list[Address]) -> list[Address]:
    chosen: dict[int, Address] = {}
    for address in addresses:
        chosen.setdefault(address.version, address)
    return list(chosen.values())


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport, with its connections made by a ``CheckedBackend``, and requests
    that go through an egress proxy checked before they are handed to it."""

    def __init__(
        self,
        *,
        backend: CheckedBackend,
        verify: ssl.SSLContext | bool = True,
        proxy: str | None = None,
    ) -> None:
        super().__init__(verify=verify)
        # httpx takes no network backend, so its connection pool is made again around ours,
        # with httpx's default limits.
        if not isinstance(getattr(self, "_pool", None), httpcore.AsyncConnectionPool):
            raise RuntimeError(
                "this httpx keeps its connection pool elsewhere: update PinnedTransport"
            )
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=backend,
        )
        self._backend = backend
        self._proxied = httpx.AsyncHTTPTransport(verify=verify, proxy=proxy) if proxy else None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if (
            self._proxied is not None
            and request.url.scheme == "https"
            and not urllib.request.proxy_bypass(host)
        ):
            # A name this host cannot resolve goes on: the proxy may know it.
            with contextlib.suppress(OSError, UnicodeError):
                await self._backend.check(host, request.url.port or 443)
            return await self._proxied.handle_async_request(request)
        return await super().handle_async_request(request)

    async def aclose(self) -> None:
        await super().aclose()
        if self._proxied is not None:
            await self._proxied.aclose()


def make_push_client(settings: Settings) -> httpx.AsyncClient:
    """The client every push goes out through: checked connections, no redirects followed."""
    proxies = urllib.request.getproxies()
    transport = PinnedTransport(
        backend=CheckedBackend(allow_private=settings.push_allow_insecure_endpoints),
        proxy=proxies.get("https") or proxies.get("all"),
    )
    return httpx.AsyncClient(transport=transport, follow_redirects=False)
