"""Web Push: the server's VAPID key, devices subscribing, and delivery to a real push service.

Delivery goes to ``tests.push_service``, an HTTP server in the test process that decrypts every
message with the fake device's own private key and verifies the VAPID token, as a browser and a
push service would. The sender talks to it over a real socket.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import json
import logging
import os
import socket
import stat
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from py_vapid import Vapid02
from sqlalchemy import event
from sqlmodel import col, select

from app.core.config import Settings
from app.main import create_app
from app.push.keys import KEY_FILE, VapidConfigError, load_vapid_keys, parse_private_key
from app.push.models import PushSubscription
from app.push.rules import check_endpoint
from app.push.sender import (
    DISCREET_BODY,
    DISCREET_TAG,
    DISCREET_TITLE,
    MAX_PLAINTEXT_BYTES,
    DeliveryReport,
    PushMessage,
    PushSender,
    RetryPolicy,
    build_payload,
)
from app.push.transport import make_push_client
from tests.conftest import make_settings
from tests.helpers import Member, error_code, register
from tests.push_service import DROPPED, FakeDevice, PushService, b64url, unb64url

SUBSCRIPTIONS = "/api/push/subscriptions"
MESSAGE = PushMessage(
    title="Bob checked in",
    body="Mood 4, a need for reassurance",
    url="/#/dynamics/abc",
    tag="partner_checked_in",
    urgency="high",
    ttl=600,
)


# --- fixtures -----------------------------------------------------------------------------------


class Sleeps:
    """An injected ``sleep`` that records the waits instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
async def sender(push_app: FastAPI, sleeps: Sleeps) -> AsyncIterator[PushSender]:
    async with make_push_client(push_app.state.settings) as http:  # the app's own client
        yield PushSender(push_app.state.settings, push_app.state.db, http, sleep=sleeps)


async def subscribe(
    client: httpx.AsyncClient, member: Member, device: FakeDevice | dict[str, Any]
) -> httpx.Response:
    body = device.subscription() if isinstance(device, FakeDevice) else device
    return await client.post(SUBSCRIPTIONS, json=body, headers=member.idem())


async def unsubscribe(client: httpx.AsyncClient, member: Member, endpoint: str) -> httpx.Response:
    return await client.request(
        "DELETE", SUBSCRIPTIONS, json={"endpoint": endpoint}, headers=member.headers
    )


async def stored(app: FastAPI) -> list[PushSubscription]:
    async with app.state.db.reader() as session:
        result = await session.execute(
            select(PushSubscription).order_by(col(PushSubscription.created_at))
        )
        return list(result.scalars())


def p256_point() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def https_subscription(endpoint: str = "https://push.example.com/wpush/v2/abc") -> dict[str, Any]:
    return {"endpoint": endpoint, "keys": {"p256dh": p256_point(), "auth": b64url(os.urandom(16))}}


# --- the key ------------------------------------------------------------------------------------


async def test_key_needs_sign_in_and_is_an_uncompressed_p256_point(
    client: httpx.AsyncClient, alice: Member
) -> None:
    assert (await client.get("/api/push/key")).status_code == 401
    answer = await client.get("/api/push/key", headers=alice.headers)
    assert answer.status_code == 200, answer.text
    key = answer.json()["public_key"]
    assert "=" not in key
    raw = unb64url(key)
    assert len(raw) == 65 and raw[0] == 4
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)  # on the curve
    again = await client.get("/api/push/key", headers=alice.headers)
    assert again.json()["public_key"] == key


async def test_key_is_generated_once_and_survives_restarts(
    app: FastAPI, database_url: str, tmp_path: Path
) -> None:
    async def key_of(data_dir: Path) -> str:
        application = create_app(make_settings(database_url, data_dir))
        transport = httpx.ASGITransport(app=application)
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
                member = await register(c, "Keyholder")
                answer = await c.get("/api/push/key", headers=member.headers)
                assert answer.status_code == 200, answer.text
                return str(answer.json()["public_key"])
        finally:
            await application.state.db.dispose()

    first = await key_of(tmp_path / "one")
    path = tmp_path / "one" / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    written = path.read_bytes()
    assert await key_of(tmp_path / "one") == first  # the app restarted: the same key
    assert path.read_bytes() == written
    assert [p.name for p in (tmp_path / "one").iterdir()] == [KEY_FILE]  # no scratch left over
    assert await key_of(tmp_path / "two") != first  # another installation: its own key


def test_key_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    raw = b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    public = b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("VAPID_PRIVATE_KEY", raw)
    monkeypatch.setenv("VAPID_SUBJECT", "mailto:ops@accord.example")
    settings = Settings.from_env()
    assert settings.vapid_subject == "mailto:ops@accord.example"
    assert raw not in repr(settings)
    assert settings.push_allow_insecure_endpoints is False
    loaded = load_vapid_keys(settings)
    assert loaded.public_key == public
    assert loaded.subject == "mailto:ops@accord.example"
    assert not (tmp_path / KEY_FILE).exists()  # nothing generated when the key is given

    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    for spelling in (pem, pem.replace("\n", "\\n")):  # as is, or on one line in an env file
        monkeypatch.setenv("VAPID_PRIVATE_KEY", spelling)
        assert load_vapid_keys(Settings.from_env()).public_key == public

    monkeypatch.setenv("PUSH_ALLOW_INSECURE_ENDPOINTS", "1")
    assert Settings.from_env().push_allow_insecure_endpoints is True


@pytest.mark.parametrize(
    "value",
    [
        "not a key",
        b64url(b"\x01" * 31),  # too short
        b64url(b"\xff" * 32),  # beyond the curve order
        b64url(b"\x00" * 32),  # zero
        "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    ],
)
def test_a_bad_key_in_the_environment_is_refused(value: str) -> None:
    with pytest.raises(VapidConfigError) as caught:
        parse_private_key(value)
    assert value not in str(caught.value)


def test_a_key_of_another_curve_is_refused() -> None:
    pem = (
        ec.generate_private_key(ec.SECP384R1())
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )
    with pytest.raises(VapidConfigError, match="P-256"):
        parse_private_key(pem)


def test_the_subject_must_be_mailto_or_https(tmp_path: Path) -> None:
    settings = make_settings("sqlite+aiosqlite://", tmp_path, vapid_subject="admin@example.org")
    with pytest.raises(VapidConfigError, match="VAPID_SUBJECT"):
        load_vapid_keys(settings)


# --- subscribing --------------------------------------------------------------------------------

GOOD_P256DH = p256_point()
GOOD_AUTH = b64url(os.urandom(16))


def _with(endpoint: str = "https://fcm.googleapis.com/fcm/send/abc", **keys: Any) -> dict[str, Any]:
    return {"endpoint": endpoint, "keys": {"p256dh": GOOD_P256DH, "auth": GOOD_AUTH, **keys}}


def _off_curve_point() -> str:
    x = (1).to_bytes(32, "big")  # y² = 1 - 3 + b has no square root y = 1
    return b64url(b"\x04" + x + (1).to_bytes(32, "big"))


def _compressed_point() -> str:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return b64url(
        key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    )


BAD_SUBSCRIPTIONS = [
    ("http", _with("http://fcm.googleapis.com/fcm/send/abc"), "endpoint_not_https"),
    ("ipv4 literal", _with("https://127.0.0.1/push/abc"), "endpoint_host_not_allowed"),
    ("private ipv4", _with("https://10.0.0.8/push/abc"), "endpoint_host_not_allowed"),
    ("ipv6 literal", _with("https://[::1]/push/abc"), "endpoint_host_not_allowed"),
    ("mapped ipv6", _with("https://[::ffff:7f00:1]/x"), "endpoint_host_not_allowed"),
    ("short ipv4", _with("https://127.1/push/abc"), "endpoint_host_not_allowed"),
    ("hex ipv4", _with("https://0x7f.1/push/abc"), "endpoint_host_not_allowed"),
    ("integer ipv4", _with("https://2130706433/push/abc"), "endpoint_host_not_allowed"),
    ("localhost", _with("https://localhost/push/abc"), "endpoint_host_not_allowed"),
    ("localhost port", _with("https://LOCALHOST:8443/push"), "endpoint_host_not_allowed"),
    ("sub.localhost", _with("https://push.localhost/abc"), "endpoint_host_not_allowed"),
    ("single label", _with("https://metadata/computeMetadata"), "endpoint_host_not_allowed"),
    ("mdns", _with("https://printer.local/push"), "endpoint_host_not_allowed"),
    ("not a url", _with("not a url"), "invalid_endpoint"),
    ("relative", _with("/push/abc"), "invalid_endpoint"),
    ("other scheme", _with("ftp://push.example.com/abc"), "invalid_endpoint"),
    ("javascript", _with("javascript:alert(1)"), "invalid_endpoint"),
    ("credentials", _with("https://user:pw@push.example.com/a"), "invalid_endpoint"),
    ("bad port", _with("https://push.example.com:99999/a"), "invalid_endpoint"),
    ("space", _with("https://push.example.com/a b"), "invalid_endpoint"),
    ("non-ascii", _with("https://push.exämple.com/a"), "invalid_endpoint"),
    (
        "too long",
        _with("https://push.example.com/" + "a" * (2049 - len("https://push.example.com/"))),
        "invalid_endpoint",
    ),
    ("p256dh not base64url", _with(p256dh="not base64!"), "invalid_p256dh"),
    ("p256dh standard base64", _with(p256dh=GOOD_P256DH[:-4] + "+/+/"), "invalid_p256dh"),
    ("p256dh short", _with(p256dh=b64url(b"\x04" + os.urandom(63))), "invalid_p256dh"),
    ("p256dh compressed", _with(p256dh=_compressed_point()), "invalid_p256dh"),
    ("p256dh no 0x04", _with(p256dh=b64url(b"\x05" + os.urandom(64))), "invalid_p256dh"),
    ("p256dh off the curve", _with(p256dh=_off_curve_point()), "invalid_p256dh"),
    ("p256dh empty", _with(p256dh=""), "invalid_p256dh"),
    ("auth 15 bytes", _with(auth=b64url(os.urandom(15))), "invalid_auth"),
    ("auth 32 bytes", _with(auth=b64url(os.urandom(32))), "invalid_auth"),
    ("auth not base64url", _with(auth="***"), "invalid_auth"),
    ("no keys", {"endpoint": "https://push.example.com/a"}, "validation_error"),
    ("no auth", {"endpoint": "https://a.example/a", "keys": {"p256dh": GOOD_P256DH}}, None),
    ("keys not an object", {"endpoint": "https://a.example/a", "keys": "x"}, "validation_error"),
    ("unknown field", {**_with(), "device": "phone"}, "validation_error"),
    ("endpoint not text", {**_with(), "endpoint": 5}, "validation_error"),
]


@pytest.mark.parametrize(
    ("body", "code"),
    [pytest.param(body, code, id=name) for name, body, code in BAD_SUBSCRIPTIONS],
)
async def test_a_bad_subscription_is_a_422_with_its_code(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, body: dict[str, Any], code: str | None
) -> None:
    answer = await subscribe(client, alice, body)
    assert answer.status_code == 422, answer.text
    assert error_code(answer) == (code or "validation_error")
    assert await stored(app) == []


async def test_a_good_subscription_from_a_real_push_service_shape(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    """https, a public name, keys as browsers send them (no padding), expirationTime ignored."""
    body = https_subscription("https://fcm.googleapis.com/fcm/send/eXaMpLe:APA91b")
    body["expirationTime"] = 1893456000000
    answer = await subscribe(client, alice, body)
    assert answer.status_code == 201, answer.text
    out = answer.json()
    assert set(out) == {"id", "endpoint", "created_at"}  # never the keys
    assert out["endpoint"] == body["endpoint"]
    (row,) = await stored(app)
    assert str(row.user_id) == alice.id
    assert (row.p256dh, row.auth) == (body["keys"]["p256dh"], body["keys"]["auth"])
    assert row.failure_count == 0 and row.last_success_at is None


async def test_padded_keys_are_stored_without_padding(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    body = https_subscription()
    padded = {k: v + "=" * (-len(v) % 4) for k, v in body["keys"].items()}
    answer = await subscribe(client, alice, {**body, "keys": padded})
    assert answer.status_code == 201, answer.text
    (row,) = await stored(app)
    assert (row.p256dh, row.auth) == (body["keys"]["p256dh"], body["keys"]["auth"])


async def test_local_http_endpoints_only_when_allowed(
    client: httpx.AsyncClient,
    push_client: httpx.AsyncClient,
    alice: Member,
    push_service: PushService,
) -> None:
    device = push_service.new_device()
    assert device.endpoint.startswith("http://127.0.0.1:")
    refused = await subscribe(client, alice, device)
    assert refused.status_code == 422
    assert error_code(refused) == "endpoint_not_https"
    allowed = await subscribe(push_client, alice, device)
    assert allowed.status_code == 201, allowed.text
    # Even when allowed, it must still be a URL.
    still_bad = await subscribe(push_client, alice, _with("nope"))
    assert error_code(still_bad) == "invalid_endpoint"


def test_insecure_mode_still_wants_a_url() -> None:
    assert check_endpoint("http://localhost:8080/p", allow_insecure=True)
    assert check_endpoint("https://updates.push.services.mozilla.com/wpush/v2/gAAA")
    assert check_endpoint("https://web.push.apple.com/QGn1")
    assert check_endpoint("https://wns2-db5p.notify.windows.com/w/?token=BQYA")


async def test_several_devices_and_the_same_one_again(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    phone, laptop, tablet = (https_subscription(f"https://push.example.com/{n}") for n in "abc")
    ids = []
    for body in (phone, laptop, tablet):
        answer = await subscribe(client, alice, body)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    assert len(set(ids)) == 3

    # The phone's browser refreshed its keys: same endpoint, new keys, same row.
    refreshed = https_subscription(phone["endpoint"])
    again = await subscribe(client, alice, refreshed)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == ids[0]
    rows = await stored(app)
    assert len(rows) == 3
    (row,) = [r for r in rows if r.endpoint == phone["endpoint"]]
    assert (row.p256dh, row.auth) == (refreshed["keys"]["p256dh"], refreshed["keys"]["auth"])


async def test_a_device_that_changes_hands_moves_to_the_new_user(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    body = https_subscription()
    first = await subscribe(client, alice, body)
    assert first.status_code == 201
    taken = await subscribe(client, bob, https_subscription(body["endpoint"]))
    assert taken.status_code == 201, taken.text
    assert taken.json()["id"] != first.json()["id"]
    (row,) = await stored(app)
    assert str(row.user_id) == bob.id
    # Alice no longer holds it, so she cannot remove it; Bob can.
    assert (await unsubscribe(client, alice, body["endpoint"])).status_code == 404
    assert (await unsubscribe(client, bob, body["endpoint"])).status_code == 204
    assert await stored(app) == []


async def test_unsubscribe_only_your_own(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, eve: Member
) -> None:
    body = https_subscription()
    assert (await subscribe(client, alice, body)).status_code == 201
    outsider = await unsubscribe(client, eve, body["endpoint"])
    assert outsider.status_code == 404
    assert error_code(outsider) == "not_found"
    assert len(await stored(app)) == 1
    unknown = await unsubscribe(client, eve, "https://push.example.com/nothing-here")
    assert unknown.json() == outsider.json()  # indistinguishable from one that does not exist

    anonymous = await client.request("DELETE", SUBSCRIPTIONS, json={"endpoint": body["endpoint"]})
    assert anonymous.status_code == 401
    gone = await unsubscribe(client, alice, body["endpoint"])
    assert gone.status_code == 204 and gone.content == b""
    assert await stored(app) == []
    assert (await unsubscribe(client, alice, body["endpoint"])).status_code == 404
    bad = await client.request("DELETE", SUBSCRIPTIONS, json={}, headers=alice.headers)
    assert bad.status_code == 422


async def test_at_most_twenty_devices(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    bodies = [https_subscription(f"https://push.example.com/d{i}") for i in range(21)]
    for body in bodies[:20]:
        assert (await subscribe(client, alice, body)).status_code == 201
    refused = await subscribe(client, alice, bodies[20])
    assert refused.status_code == 409
    assert error_code(refused) == "too_many_devices"
    # Refreshing one she has is still fine, and others are not affected.
    assert (await subscribe(client, alice, bodies[0])).status_code == 200
    assert (await subscribe(client, bob, bodies[20])).status_code == 201
    # Taking over a device counts too.
    assert (await subscribe(client, alice, bodies[20])).status_code == 409
    assert len(await stored(app)) == 21


async def test_subscribing_is_idempotent_with_a_key(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    body = https_subscription()
    headers = alice.idem()
    first = await client.post(SUBSCRIPTIONS, json=body, headers=headers)
    second = await client.post(SUBSCRIPTIONS, json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("idempotent-replayed") == "true"
    assert second.json() == first.json()
    assert len(await stored(app)) == 1


# --- delivery -----------------------------------------------------------------------------------


async def key_of(client: httpx.AsyncClient, member: Member) -> str:
    return str((await client.get("/api/push/key", headers=member.headers)).json()["public_key"])


def assert_verified(received: Any, origin: str, public_key: str) -> None:
    assert received.problems == []
    assert received.vapid_key == public_key
    assert received.claims is not None
    assert received.claims["aud"] == origin
    assert received.claims["sub"] == "mailto:admin@localhost"


async def test_discreet_by_default_to_every_device(
    push_client: httpx.AsyncClient,
    push_app: FastAPI,
    push_service: PushService,
    sender: PushSender,
    alice: Member,
    bob: Member,
) -> None:
    phone, laptop = push_service.new_device(), push_service.new_device()
    bobs = push_service.new_device()
    for member, device in ((alice, phone), (alice, laptop), (bob, bobs)):
        assert (await subscribe(push_client, member, device)).status_code == 201

    report = await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)

    assert report == DeliveryReport(delivered=2, removed=0, failed=0)
    public_key = await key_of(push_client, alice)
    for device in (phone, laptop):
        (got,) = push_service.received(device)
        assert got.status == 201
        assert_verified(got, push_service.origin, public_key)
        # Nothing about what happened: not the text, not where the click leads.
        assert got.payload == {
            "title": DISCREET_TITLE,
            "body": DISCREET_BODY,
            "url": "/",
            "tag": DISCREET_TAG,
        }
        assert got.headers["ttl"] == "600"
        assert got.headers["urgency"] == "high"
        assert got.headers["content-encoding"] == "aes128gcm"
        assert "topic" not in got.headers  # it would travel in clear
    assert push_service.received(bobs) == []
    rows = {r.endpoint: r for r in await stored(push_app)}
    assert rows[phone.endpoint].last_success_at is not None
    assert rows[bobs.endpoint].last_success_at is None


async def test_the_message_itself_when_discretion_is_off(
    push_client: httpx.AsyncClient,
    push_service: PushService,
    sender: PushSender,
    alice: Member,
) -> None:
    off = await push_client.patch(
        "/api/me", json={"discreet_notifications": False}, headers=alice.headers
    )
    assert off.status_code == 200, off.text
    device = push_service.new_device()
    assert (await subscribe(push_client, alice, device)).status_code == 201

    report = await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)

    assert report.delivered == 1
    (got,) = push_service.received(device)
    assert_verified(got, push_service.origin, await key_of(push_client, alice))
    assert got.payload == {
        "title": MESSAGE.title,
        "body": MESSAGE.body,
        "url": MESSAGE.url,
        "tag": MESSAGE.tag,
    }


async def test_refreshed_keys_are_the_ones_used(
    push_client: httpx.AsyncClient,
    push_service: PushService,
    sender: PushSender,
    alice: Member,
) -> None:
    device = push_service.new_device()
    assert (await subscribe(push_client, alice, device)).status_code == 201
    fresh = push_service.replace_keys(device)
    assert (await subscribe(push_client, alice, fresh)).status_code == 200
    report = await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)
    assert report.delivered == 1
    assert push_service.received(fresh)[0].problems == []


@pytest.mark.parametrize("status", [410, 404])
async def test_gone_subscriptions_are_removed(
    push_client: httpx.AsyncClient,
    push_app: FastAPI,
    push_service: PushService,
    sender: PushSender,
    sleeps: Sleeps,
    alice: Member,
    status: int,
) -> None:
    gone, kept = push_service.new_device(), push_service.new_device()
    for device in (gone, kept):
        assert (await subscribe(push_client, alice, device)).status_code == 201
    push_service.answer(gone, status)

    report = await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)

    assert report == DeliveryReport(delivered=1, removed=1, failed=0)
    assert len(push_service.received(gone)) == 1  # no retry for a device that is gone
    assert sleeps.waits == []
    assert [r.endpoint for r in await stored(push_app)] == [kept.endpoint]


async def test_too_many_requests_is_retried_after_the_wait_asked_for(
    push_client: httpx.AsyncClient,
    push_app: FastAPI,
    push_service: PushService,
    sender: PushSender,
    sleeps: Sleeps,
    alice: Member,
) -> None:
    device = push_service.new_device()
    assert (await subscribe(push_client, alice, device)).status_code == 201
    push_service.answer(device, (429, {"Retry-After": "1"}))

    report = await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)

    assert report == DeliveryReport(delivered=1, removed=0, failed=0)
    assert [r.status for r in push_service.received(device)] == [429, 201]
    assert len(push_service.delivered(device)) == 1
    assert sleeps.waits == [1.0]
    (row,) = await stored(push_app)
    assert row.failure_count == 0 and row.last_success_at is not None


async def test_a_wait_longer_than_allowed_ends_the_retries(
    push_client: httpx.AsyncClient,
    push_service: PushService,
    sender: PushSender,
    sleeps: Sleeps,
    alice: Member,
) -> None:
    device = push_service.new_device()
    assert (await subscribe(push_client, alice, device)).status_code == 201
    push_service.answer(device, (429, {"Retry-After": "120"}))
    report = await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)
    assert report == DeliveryReport(delivered=0, removed=0, failed=1)
    assert len(push_service.received(device)) == 1
    assert sleeps.waits == []


async def test_server_errors_three_times_fail_and_keep_the_subscription(
    push_client: httpx.AsyncClient,
    push_app: FastAPI,
    push_service: PushService,
    sender: PushSender,
    sleeps: Sleeps,
    alice: Member,
) -> None:
    device = push_service.new_device()
    assert (await subscribe(push_client, alice, device)).status_code == 201
    push_service.answer(device, 500, 503, 500)

    report = await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)

    assert report == DeliveryReport(delivered=0, removed=0, failed=1)
    assert [r.status for r in push_service.received(device)] == [500, 503, 500]
    # Exponential backoff, bounded.
    assert len(sleeps.waits) == 2
    assert sleeps.waits[0] < sleeps.waits[1]
    policy = RetryPolicy()
    assert all(w <= policy.max_delay for w in sleeps.waits)
    assert sum(sleeps.waits) <= policy.max_total_wait
    (row,) = await stored(push_app)
    assert row.failure_count == 1 and row.last_success_at is None

    # The next success resets the count.
    assert (await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)).delivered == 1
    (row,) = await stored(push_app)
    assert row.failure_count == 0


async def test_a_refused_message_is_not_retried(
    push_client: httpx.AsyncClient,
    push_service: PushService,
    sender: PushSender,
    sleeps: Sleeps,
    alice: Member,
) -> None:
    device = push_service.new_device()
    assert (await subscribe(push_client, alice, device)).status_code == 201
    push_service.answer(device, 403)  # e.g. the VAPID key does not match the subscription
    report = await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)
    assert report == DeliveryReport(delivered=0, removed=0, failed=1)
    assert sleeps.waits == []


async def test_an_unreachable_push_service_is_a_failure(
    push_client: httpx.AsyncClient,
    push_app: FastAPI,
    sender: PushSender,
    sleeps: Sleeps,
    alice: Member,
) -> None:
    with closed_port() as port:
        body = https_subscription(f"http://127.0.0.1:{port}/push/nobody")
        assert (await subscribe(push_client, alice, body)).status_code == 201
        report = await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)
    assert report == DeliveryReport(delivered=0, removed=0, failed=1)
    assert len(sleeps.waits) == 2  # nothing was sent, so it was tried three times
    (row,) = await stored(push_app)
    assert row.failure_count == 1


@contextlib.contextmanager
def closed_port() -> Iterator[int]:
    """A local port nothing listens on (bound, never listening, so nobody else takes it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])
    finally:
        sock.close()


async def test_nobody_to_send_to(sender: PushSender, alice: Member) -> None:
    empty = DeliveryReport(delivered=0, removed=0, failed=0)
    assert await sender.send_to_user(uuid.UUID(alice.id), MESSAGE) == empty
    assert await sender.send_to_user(uuid.uuid4(), MESSAGE) == empty


async def test_no_database_connection_is_held_while_pushing(
    client: httpx.AsyncClient, app: FastAPI, alice: Member
) -> None:
    """A real https endpoint (a mock transport answers for it): the secure path end to end,
    and the push goes out with no transaction open, so writers are never held up by it."""
    body = https_subscription("https://push.example.com/wpush/v2/abc")
    assert (await subscribe(client, alice, body)).status_code == 201
    seen: list[httpx.Request] = []
    checked_out: list[int] = []

    async def push_service(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        checked_out.append(app.state.db.engine.pool.checkedout())
        return httpx.Response(201)

    async with httpx.AsyncClient(transport=httpx.MockTransport(push_service)) as http:
        report = await PushSender(app.state.settings, app.state.db, http).send_to_user(
            uuid.UUID(alice.id), MESSAGE
        )
    assert report.delivered == 1
    assert checked_out == [0]
    (request,) = seen
    assert str(request.url) == body["endpoint"]
    scheme, _, params = request.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    token = dict(p.strip().split("=", 1) for p in params.split(","))["t"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["aud"] == "https://push.example.com"


async def test_one_vapid_signature_per_origin_until_half_its_lifetime(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member
) -> None:
    """The VAPID token is signed once per push service and reused, so a burst of pushes costs no
    signature each; once half its lifetime has passed (on the sender's clock) a new one is made,
    so a token sent out always has hours left. Each push service gets its own audience."""
    for member, host in ((alice, "push.example.com"), (bob, "push.example.net")):
        body = https_subscription(f"https://{host}/wpush/v2/{member.id}")
        assert (await subscribe(client, member, body)).status_code == 201
    tokens: list[dict[str, Any]] = []

    async def push_service(request: httpx.Request) -> httpx.Response:
        params = request.headers["authorization"].partition(" ")[2]
        token = dict(p.strip().split("=", 1) for p in params.split(","))["t"]
        claims = jwt.decode(token, options={"verify_signature": False})
        tokens.append({"token": token, **claims})
        return httpx.Response(201)

    now = [1_900_000_000.0]
    async with httpx.AsyncClient(transport=httpx.MockTransport(push_service)) as http:
        sender = PushSender(app.state.settings, app.state.db, http, clock=lambda: now[0])

        async def push(member: Member) -> dict[str, Any]:
            assert (await sender.send_to_user(uuid.UUID(member.id), MESSAGE)).delivered == 1
            return tokens[-1]

        first = await push(alice)
        assert first["exp"] == int(now[0]) + 12 * 3600
        now[0] += 6 * 3600 - 1
        assert (await push(alice))["token"] == first["token"]
        other = await push(bob)
        assert other["aud"] == "https://push.example.net" != first["aud"]
        now[0] += 1
        renewed = await push(alice)
        assert renewed["token"] != first["token"]
        assert renewed["exp"] == int(now[0]) + 12 * 3600
        assert renewed["aud"] == "https://push.example.com"


async def test_a_batch_settles_each_send_as_it_would_be_alone(
    push_client: httpx.AsyncClient,
    push_app: FastAPI,
    push_service: PushService,
    sender: PushSender,
    sleeps: Sleeps,
    alice: Member,
    bob: Member,
) -> None:
    """``send_many`` (the reminder worker's batch, 16 sends at a time on one connection pool):
    a send whose answer dies on the way back (the read error a loaded machine gave) may have
    arrived or not, so it is sent again under its tag, which the phone shows once; a send that
    could not connect is retried, then counted a failure; a message without a tag is never sent
    again after it went out (it could show twice). Users and devices are read once and the
    outcomes written once."""
    phone, laptop, bobs = (push_service.new_device() for _ in range(3))
    with socket.socket() as probe:  # a port nothing listens on: the connection is refused
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    unreachable = dataclasses.replace(
        push_service.new_device(), endpoint=f"http://127.0.0.1:{closed}/push/gone"
    )
    for member, device in ((alice, phone), (alice, laptop), (bob, bobs), (bob, unreachable)):
        assert (await subscribe(push_client, member, device)).status_code == 201
    push_service.answer(laptop, DROPPED)
    push_service.answer(bobs, 201, DROPPED)
    red = uuid.UUID(bob.id), MESSAGE

    statements: list[str] = []
    engine = push_app.state.db.engine.sync_engine

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", count)
    try:
        reports = await sender.send_many([red, (uuid.UUID(alice.id), MESSAGE), red])
    finally:
        event.remove(engine, "before_cursor_execute", count)

    attempts = sender.retry.attempts
    # Alice's reached both her devices (the laptop's answer was lost once: sent again). Bob's
    # two reached his phone (one answer lost, sent again); the unreachable device refused both.
    assert reports[1] == DeliveryReport(delivered=2, removed=0, failed=0)
    assert reports[0] == reports[2] == DeliveryReport(delivered=1, removed=0, failed=1)
    # A lost answer means a second copy under the same tag, which the phone shows in place of
    # the first: nothing was lost, and nothing shows twice.
    assert len(push_service.received(phone)) == 1
    laptop_copies = push_service.received(laptop)
    assert len(laptop_copies) == 2
    tags = [r.payload["tag"] if r.payload else None for r in laptop_copies]
    assert tags[0] and tags == [tags[0]] * 2  # both under one tag (discreet mode's, here)
    assert len(push_service.received(bobs)) == 3
    assert len(push_service.received(unreachable)) == 0
    # The lost answers waited once each; the refused connections through every attempt.
    assert len(sleeps.waits) == 2 + 2 * (attempts - 1)
    assert [st for st in statements if st in ("SELECT", "UPDATE", "DELETE")] == [
        "SELECT",  # the users' settings
        "SELECT",  # their devices
        "UPDATE",  # delivered
        "UPDATE",  # failed twice: the unreachable device
    ]
    failures = {r.endpoint: r.failure_count for r in await stored(push_app)}
    assert failures == {
        phone.endpoint: 0,
        laptop.endpoint: 0,
        bobs.endpoint: 0,
        unreachable.endpoint: 2,
    }

    # Without a tag, a message whose answer was lost is not sent again: it could show twice.
    push_service.answer(phone, DROPPED)
    untagged = dataclasses.replace(MESSAGE, tag=None)
    report = await sender.send_to_user(uuid.UUID(alice.id), untagged)
    assert report == DeliveryReport(delivered=1, removed=0, failed=1)
    assert len(push_service.received(phone)) == 2  # the first message, and this one once


async def test_logs_name_no_device_and_no_content(
    push_client: httpx.AsyncClient,
    push_service: PushService,
    sender: PushSender,
    alice: Member,
    caplog: pytest.LogCaptureFixture,
) -> None:
    off = await push_client.patch(
        "/api/me", json={"discreet_notifications": False}, headers=alice.headers
    )
    assert off.status_code == 200
    ok, gone, failing = (push_service.new_device() for _ in range(3))
    for device in (ok, gone, failing):
        assert (await subscribe(push_client, alice, device)).status_code == 201
    push_service.answer(gone, 410)
    push_service.answer(failing, 500, 500, 500)
    # Ours and the HTTP client's, at every level (the database driver's debug log shows
    # query parameters; it is not for production).
    with (
        caplog.at_level(logging.DEBUG, logger="accord.push"),
        caplog.at_level(logging.DEBUG, logger="httpx"),
        caplog.at_level(logging.DEBUG, logger="httpcore"),
    ):
        await sender.send_to_user(uuid.UUID(alice.id), MESSAGE)
    names = {r.name for r in caplog.records}
    assert {"accord.push", "httpx"} <= names, names
    text = caplog.text
    for device in (ok, gone, failing):
        assert device.token not in text
        assert device.p256dh not in text
    assert MESSAGE.body not in text and MESSAGE.title not in text


# --- the payload --------------------------------------------------------------------------------


def test_a_long_message_is_shortened_to_fit_one_push() -> None:
    long = PushMessage(title="T" * 5000, body="é" * 5000, url="/x", tag="t")
    payload = build_payload(long, discreet=False)
    assert len(payload) <= MAX_PLAINTEXT_BYTES
    content = json.loads(payload)
    assert content["body"].endswith("…") and content["title"].endswith("…")
    assert content["url"] == "/x"


@pytest.mark.parametrize(
    "url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "/" + "a" * 2000]
)
def test_a_click_only_ever_opens_this_app(url: str) -> None:
    message = PushMessage(title="t", body="b", url=url)
    assert json.loads(build_payload(message, discreet=False))["url"] == "/"


def test_discreet_payload_ignores_the_message() -> None:
    assert json.loads(build_payload(MESSAGE, discreet=True)) == {
        "title": DISCREET_TITLE,
        "body": DISCREET_BODY,
        "url": "/",
        "tag": DISCREET_TAG,
    }


def test_pem_written_is_readable_by_py_vapid(tmp_path: Path) -> None:
    """The generated file is a standard PKCS#8 PEM other tools read too."""
    settings = make_settings("sqlite+aiosqlite://", tmp_path)
    keys = load_vapid_keys(settings)
    other = Vapid02.from_file(str(tmp_path / KEY_FILE))
    raw = other.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    assert base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == keys.public_key


async def test_two_processes_starting_at_once_share_one_key(tmp_path: Path) -> None:
    settings = make_settings("sqlite+aiosqlite://", tmp_path / "shared")
    keys = await asyncio.gather(*(asyncio.to_thread(load_vapid_keys, settings) for _ in range(8)))
    assert len({k.public_key for k in keys}) == 1


async def test_devices_are_in_the_export_without_their_keys(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    phone = https_subscription("https://push.example.com/alice-phone")
    assert (await subscribe(client, alice, phone)).status_code == 201
    assert (
        await subscribe(client, bob, https_subscription("https://push.example.com/bob"))
    ).status_code == 201
    export = await client.get("/api/me/export", headers=alice.headers)
    assert export.status_code == 200, export.text
    devices = export.json()["push_devices"]
    assert [d["endpoint"] for d in devices] == [phone["endpoint"]]
    assert set(devices[0]) == {"id", "endpoint", "created_at"}
    assert phone["keys"]["p256dh"] not in export.text
    assert phone["keys"]["auth"] not in export.text
