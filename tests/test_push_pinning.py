"""Where a push connects: to the address that was checked, with the name kept for TLS.

The server calls whatever URL a device registered (SSRF), so the endpoint's name is resolved
once at send time, every address is checked, and the connection goes to a checked address by
IP, the name kept in the Host header, as TLS SNI and for verifying the certificate
(``app.push.transport``). A DNS answer that changes after the check (DNS rebinding) cannot
steer a push into the private network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fastapi import FastAPI

from app.push.models import PushSubscription
from app.push.sender import DeliveryReport, PushMessage, PushSender
from app.push.transport import CheckedBackend, EndpointRefused, PinnedTransport
from tests.helpers import Member
from tests.push_service import PushService, b64url

MESSAGE = PushMessage(title="t", body="b")
PUBLIC = "93.184.216.34"


async def no_wait(seconds: float) -> None:
    return None


async def store_device(app: FastAPI, member: Member, endpoint: str, push: PushService) -> None:
    """A subscription as the subscribe route would keep it for a public https name; http here,
    so that the suite's push service could answer if anything reached it."""
    device = push.new_device()
    async with app.state.db.writer() as session:
        session.add(
            PushSubscription(
                user_id=uuid.UUID(member.id),
                endpoint=endpoint.format(token=device.token),
                p256dh=device.p256dh,
                auth=b64url(device.auth_secret),
            )
        )
        await session.commit()


class Network:
    """The resolver and the connections the process makes, as the test wants them.

    ``answers`` maps a name to the addresses it resolves to, one list per lookup, the last one
    repeated. Connections to ``unreachable`` addresses fail; the rest go to 127.0.0.1."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[list[str]]]):
        self.answers = answers
        self.lookups: list[str] = []
        self.connections: list[str] = []
        self.unreachable = {PUBLIC}
        loop = asyncio.get_running_loop()
        real_connect = anyio.connect_tcp

        async def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
            name = host.decode() if isinstance(host, bytes) else str(host)
            if name not in self.answers:  # an address literal resolves to itself
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (name, port))]
            self.lookups.append(name)
            queue = self.answers[name]
            found = queue.pop(0) if len(queue) > 1 else queue[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in found]

        async def connect_tcp(remote_host: Any, remote_port: int, **kwargs: Any) -> Any:
            self.connections.append(str(remote_host))
            if str(remote_host) in self.unreachable:
                raise OSError("network unreachable (in this test)")
            return await real_connect(remote_host, remote_port, **kwargs)

        monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(anyio, "connect_tcp", connect_tcp)


async def test_a_push_goes_to_the_address_that_was_checked(
    app: FastAPI, alice: Member, push_service: PushService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name answers a public address for the check, then 127.0.0.1."""
    port = urlsplit(push_service.origin).port
    await store_device(
        app, alice, f"http://push.rebind.example:{port}/push/{{token}}", push_service
    )
    network = Network(monkeypatch, {"push.rebind.example": [[PUBLIC], ["127.0.0.1"]]})
    sender = PushSender(app.state.settings, app.state.db, sleep=no_wait)
    report = await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)
    assert report == DeliveryReport(delivered=0, removed=0, failed=1)
    # Nothing reached the private address; every connection went to an address checked public.
    assert push_service.received() == []
    assert network.connections and set(network.connections) == {PUBLIC}, network.connections


@pytest.mark.parametrize(
    "private", ["10.0.0.5", "127.0.0.1", "169.254.169.254", "::1", "::ffff:10.0.0.5", "fc00::1"]
)
async def test_a_name_resolving_to_a_private_address_is_refused_at_send_time(
    app: FastAPI,
    alice: Member,
    push_service: PushService,
    monkeypatch: pytest.MonkeyPatch,
    private: str,
) -> None:
    """One private address among public ones is enough: the name is not called at all."""
    port = urlsplit(push_service.origin).port
    await store_device(
        app, alice, f"http://push.inside.example:{port}/push/{{token}}", push_service
    )
    network = Network(monkeypatch, {"push.inside.example": [[PUBLIC, private]]})
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    sender = PushSender(app.state.settings, app.state.db, sleep=sleep)
    report = await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)
    assert report == DeliveryReport(delivered=0, removed=0, failed=1)
    assert network.connections == []  # not even to the public one: the name is refused
    assert waits == []  # and not retried
    assert push_service.received() == []


# --- over TLS, under the name ---------------------------------------------------------------------

NAME = "push.accord.test"


def _certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A test CA, and a certificate it signed for NAME: (CA file, certificate, key)."""
    now = datetime.now(UTC)

    def issue(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: Any, *, ca: bool
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Accord test CA")])
    ca = issue("Accord test CA", ca_key, ca_name, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = issue(NAME, key, ca_name, ca_key, ca=False)
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture(scope="module")
def tls_push_service(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[PushService, Path]]:
    ca, cert, key = _certificates(tmp_path_factory.mktemp("tls"))
    service = PushService()
    service.start(tls=(cert, key, NAME))
    yield service, ca
    service.stop()


def _resolving(*addresses: str) -> Any:
    async def resolve(host: str, port: int) -> list[str]:
        resolved.append(host)
        return list(addresses)

    resolved: list[str] = []
    resolve.resolved = resolved  # type: ignore[attr-defined]
    return resolve


async def test_a_push_by_name_goes_over_tls_to_the_checked_address(
    app: FastAPI, alice: Member, tls_push_service: tuple[PushService, Path]
) -> None:
    """The real path: resolved once, connected to by address, and TLS still names the host
    (SNI) and verifies its certificate for that name."""
    service, ca = tls_push_service
    service.reset()
    await store_device(app, alice, f"{service.origin}/push/{{token}}", service)
    resolve = _resolving("127.0.0.1")
    transport = PinnedTransport(
        # 127.0.0.1 stands in for the push service's public address.
        backend=CheckedBackend(allow_private=True, resolve=resolve),
        verify=ssl.create_default_context(cafile=str(ca)),
    )
    async with httpx.AsyncClient(transport=transport) as http:
        sender = PushSender(app.state.settings, app.state.db, http, sleep=no_wait)
        first = await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)
        # Again, on the pooled connection: it was made for this name, to a checked address.
        again = await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)
    assert first == again == DeliveryReport(delivered=1, removed=0, failed=0), service.received()
    assert len(service.received()) == 2
    for received in service.received():
        assert received.problems == []
        assert received.headers["host"] == urlsplit(service.origin).netloc  # the name
    assert resolve.resolved == [NAME]  # looked up once, for the one connection


async def test_the_certificate_is_verified_for_the_name(
    app: FastAPI, alice: Member, tls_push_service: tuple[PushService, Path]
) -> None:
    """Connected to by address, a server must still prove it is the name, even while a
    connection to the same address is open for a name it can prove."""
    service, ca = tls_push_service
    service.reset()
    port = urlsplit(service.origin).port
    await store_device(app, alice, f"{service.origin}/push/{{token}}", service)
    await store_device(app, alice, f"https://other.accord.test:{port}/push/{{token}}", service)
    transport = PinnedTransport(
        backend=CheckedBackend(allow_private=True, resolve=_resolving("127.0.0.1")),
        verify=ssl.create_default_context(cafile=str(ca)),
    )
    async with httpx.AsyncClient(transport=transport) as http:
        sender = PushSender(app.state.settings, app.state.db, http, sleep=no_wait)
        assert (await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)).delivered == 1
        report = await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)
    assert report == DeliveryReport(delivered=1, removed=0, failed=1)
    assert len(service.received()) == 2
    assert {r.headers["host"] for r in service.received()} == {urlsplit(service.origin).netloc}


# --- the backend on its own ---------------------------------------------------------------------


class Recording(httpcore.AsyncNetworkBackend):
    """Records where connections go; those to ``dead`` fail as an unreachable address does."""

    def __init__(self, dead: tuple[str, ...] = ()) -> None:
        self.tried: list[tuple[str, int]] = []
        self.dead = dead

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        self.tried.append((host, port))
        if host in self.dead:
            raise httpcore.ConnectError("no route")
        return httpcore.AsyncMockStream([])

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's signature
        socket_options: Any = None,
    ) -> httpcore.AsyncNetworkStream:
        raise AssertionError("never a unix socket")

    async def sleep(self, seconds: float) -> None:
        return None


V6 = "2606:2800:220:1:248:1893:25c8:1946"


async def test_it_connects_to_the_address_it_looked_up_and_checked() -> None:
    resolve = _resolving(PUBLIC, "1.1.1.1")
    inner = Recording()
    await CheckedBackend(resolve=resolve, inner=inner).connect_tcp("push.example.com", 443)
    assert inner.tried == [(PUBLIC, 443)]
    assert resolve.resolved == ["push.example.com"]


async def test_another_family_is_tried_when_the_first_cannot_be_reached() -> None:
    inner = Recording(dead=(V6,))
    resolve = _resolving(V6, "2606:2800::1", PUBLIC, "1.1.1.1")
    await CheckedBackend(resolve=resolve, inner=inner).connect_tcp("push.example.com", 443)
    # One address per family, in the resolver's order: never the second IPv6 or IPv4 one.
    assert inner.tried == [(V6, 443), (PUBLIC, 443)]
    inner = Recording(dead=(V6, PUBLIC))
    backend = CheckedBackend(resolve=_resolving(V6, PUBLIC, "1.1.1.1"), inner=inner)
    with pytest.raises(httpcore.ConnectError):
        await backend.connect_tcp("push.example.com", 443)
    assert len(inner.tried) == 2


@pytest.mark.parametrize(
    "private", ["10.0.0.5", "127.0.0.1", "169.254.169.254", "::1", "::ffff:10.0.0.5", "fc00::1"]
)
async def test_one_private_address_among_public_ones_is_refused(private: str) -> None:
    inner = Recording()
    backend = CheckedBackend(resolve=_resolving(PUBLIC, private), inner=inner)
    with pytest.raises(EndpointRefused):
        await backend.connect_tcp("push.example.com", 443)
    assert inner.tried == []
    # Development and tests may call private addresses: still the one looked up.
    allowed = CheckedBackend(allow_private=True, resolve=_resolving(private), inner=inner)
    await allowed.connect_tcp("push.example.com", 443)
    ((host, port),) = inner.tried
    assert (ipaddress.ip_address(host), port) == (ipaddress.ip_address(private), 443)


async def test_address_literals_are_checked_and_not_looked_up() -> None:
    inner = Recording()
    resolve = _resolving(PUBLIC)
    backend = CheckedBackend(resolve=resolve, inner=inner)
    with pytest.raises(EndpointRefused):
        await backend.connect_tcp("127.0.0.1", 9)
    await backend.connect_tcp(V6, 443)
    assert inner.tried == [(V6, 443)]
    assert resolve.resolved == []


async def test_a_name_that_does_not_resolve_is_a_connect_error() -> None:
    async def nowhere(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    inner = Recording()
    with pytest.raises(httpcore.ConnectError):
        await CheckedBackend(resolve=nowhere, inner=inner).connect_tcp("push.example.com", 443)
    assert inner.tried == []


async def test_through_httpx_the_refusal_is_an_error_of_its_own() -> None:
    """The sender tells it from a connection error: a refused name is not retried."""
    transport = PinnedTransport(backend=CheckedBackend(resolve=_resolving(PUBLIC, "10.0.0.5")))
    async with httpx.AsyncClient(transport=transport) as http:
        with pytest.raises(EndpointRefused) as refused:
            await http.post("https://push.example.com/x", content=b"{}")
    assert not isinstance(refused.value, httpx.ConnectError)
    assert refused.value.request.url.host == "push.example.com"
