"""Web Push delivery: RFC 8291 (aes128gcm) encryption and RFC 8292 (VAPID) signing, sent with
httpx.

``PushSender.send_many`` (and ``send_to_user``, a batch of one) reads the users' discretion
settings and devices in one short read session, then talks to the push services with no
transaction open (``SEND_CONCURRENCY`` sends at a time), then records what happened
(delivered, gone, failing) in one short write. Encryption is pywebpush's ``WebPusher`` (over
http_ece) and the VAPID token is py_vapid's; this module only decides what to send, where, and
what an answer means:

- 2xx: delivered (``last_success_at``, failures reset);
- 404 / 410: the subscription is gone for good (expired, or the user revoked the permission):
  it is deleted;
- 429 and 5xx: retried with exponential backoff, or after ``Retry-After`` when the service says
  how long, within a small bounded budget (see ``RetryPolicy``); a connection that could not be
  made is retried the same way, since nothing was sent;
- anything else, and what is still failing after the retries, counts as a failure and the
  subscription is kept (``failure_count``).

Where: every push goes through ``app.push.transport`` (``make_push_client``), which connects
only to the address the endpoint's name was checked to resolve to (no private address, no DNS
rebinding); a refused name counts as a failure at once.

Privacy: logs name the push service's host and the status, never a payload, a key, or an
endpoint's path (it identifies one device). In discreet mode the payload says nothing about
what happened. No ``Topic`` header is sent: it travels in clear to the push service.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from py_vapid import Vapid02
from pywebpush import WebPusher
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from app.accounts.models import User
from app.core.config import Settings
from app.core.db import Database, utcnow, write_session
from app.push import repository
from app.push.keys import VapidKeys, load_vapid_keys
from app.push.rules import host_of, origin_of
from app.push.transport import EndpointRefused, make_push_client

log = logging.getLogger("accord.push")

Urgency = Literal["very-low", "low", "normal", "high"]

DISCREET_TITLE = "Accord"
DISCREET_BODY = "You have something new in Accord"
# Discreet pushes all look alike, so a newer one replaces the one still on screen.
DISCREET_TAG = "accord"

# RFC 8291 allows 4096 bytes of ciphertext: minus the 86-byte header, the 16-byte tag and the
# padding delimiter, this much plaintext fits in one record.
MAX_PLAINTEXT_BYTES = 4096 - 86 - 16 - 1
# RFC 8292 says at most 24 hours; some services refuse a token that is exactly at the limit.
VAPID_TOKEN_SECONDS = 12 * 3600
MAX_TTL_SECONDS = 28 * 24 * 3600
# Sends in flight at once: no more than the push client keeps alive (20, app.push.transport),
# so a batch reuses its connections instead of opening and closing more each time (at 32 a
# loaded machine saw fresh connections die with ReadError).
SEND_CONCURRENCY = 16
MAX_URL_LENGTH = 1024
MAX_TAG_LENGTH = 64


@dataclass(frozen=True)
class PushMessage:
    """What a device shows. In discreet mode only DISCREET_TITLE/BODY and ``url`` are sent."""

    title: str
    body: str
    url: str = "/"  # what a click on the notification opens
    tag: str | None = None  # a later message with the same tag replaces the earlier one
    urgency: Urgency = "normal"
    ttl: int = 3600  # seconds the push service keeps it for an offline device
    # Words sealed on a phone that this message names (a protocol's title): the envelope, what
    # its associated data names, and ``body`` with ``{title}`` where the opened words go. Sent
    # outside discreet mode only, for the service worker to have it opened on the phone.
    sealed: dict[str, Any] | None = None


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int  # devices that accepted it (2xx)
    removed: int  # subscriptions dropped because the push service said 404/410
    failed: int  # devices still failing after the retries


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one device. The waits are bounded so a caller (a reminder worker) is
    never held for long: a longer ``Retry-After`` than ``max_delay`` ends the retries rather
    than being cut short, since the service asked us not to come back sooner."""

    attempts: int = 3
    base_delay: float = 0.5  # then 1.0, 2.0, … (±20% jitter)
    max_delay: float = 2.0  # the longest single wait
    max_total_wait: float = 4.0  # the most one device may wait in all


Sleep = Callable[[float], Awaitable[None]]
Outcome = Literal["delivered", "gone", "failed"]


@dataclass(frozen=True)
class _Device:
    id: uuid.UUID
    endpoint: str
    p256dh: str
    auth: str


def build_payload(message: PushMessage, *, discreet: bool) -> bytes:
    """The JSON the service worker receives: ``{"title", "body", "url", "tag"}``.

    Discreet mode tells nothing about what happened, not even through the URL."""
    if discreet:
        content: dict[str, Any] = {
            "title": DISCREET_TITLE,
            "body": DISCREET_BODY,
            "url": "/",
            "tag": DISCREET_TAG,
        }
    else:
        # Only a path of this app: a notification never opens another site.
        url = message.url
        if not url.startswith("/") or url.startswith("//") or len(url) > MAX_URL_LENGTH:
            url = "/"
        tag = message.tag[:MAX_TAG_LENGTH] if message.tag is not None else None
        content = {"title": message.title, "body": message.body, "url": url, "tag": tag}
        if message.sealed:
            content["sealed"] = message.sealed
    encoded = _json(content)
    while len(encoded) > MAX_PLAINTEXT_BYTES:
        # Too long for one push: shorten the longest text (the body, normally) and mark the cut.
        longest = max(("body", "title"), key=lambda k: len(content[k]))
        text = content[longest]
        content[longest] = text[: max(len(text) * 3 // 4, 1) - 1] + "…"
        encoded = _json(content)
    return encoded


def _json(content: dict[str, Any]) -> bytes:
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


class PushSender:
    """Sends one message to every device of a user.

    Pass a long-lived ``client`` (from ``make_push_client``, which checks where it connects)
    to reuse connections to the push services; without one, each call opens its own.
    ``sleep`` and ``retry`` are there so tests need not wait."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        client: httpx.AsyncClient | None = None,
        *,
        retry: RetryPolicy | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
    ) -> None:
        self.settings = settings
        self.db = db
        self.client = client
        self.retry = retry or RetryPolicy()
        self.sleep = sleep
        self.clock = clock
        # The VAPID Authorization header per push-service origin, with when it stops being
        # reused: one ES256 signature per origin every half token lifetime, not one per push.
        self._signed: dict[str, tuple[str, float]] = {}
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        # Loaded (or generated) now, so a bad VAPID_PRIVATE_KEY or VAPID_SUBJECT stops the
        # process at start rather than failing every push later.
        self.vapid: VapidKeys = load_vapid_keys(settings)
        if _is_placeholder(self.vapid.subject):
            log.warning(
                "VAPID_SUBJECT %s is a placeholder: Apple's push service refuses it "
                "(403 BadJwtToken), so iPhones and iPads get no pushes; set a real mailto: "
                "address or https: URL",
                self.vapid.subject,
            )
        install_log_redaction()

    async def send_to_user(self, user_id: uuid.UUID, message: PushMessage) -> DeliveryReport:
        return (await self.send_many([(user_id, message)]))[0]

    async def send_many(
        self, pushes: list[tuple[uuid.UUID, PushMessage]], *, concurrency: int = SEND_CONCURRENCY
    ) -> list[DeliveryReport]:
        """Several messages, each to every device of its user: one read for all the users, the
        sends ``concurrency`` at a time on the client's connection pool, one write for all the
        outcomes. A report per message, in their order.

        Each send is the same as one alone (``_deliver``): what failed before anything was sent
        is retried, what may have reached the push service is not (never twice), and each
        outcome is counted exactly as it would be one by one."""
        found = await self._load({user_id for user_id, _ in pushes})
        jobs: list[tuple[int, _Device, bytes, PushMessage]] = []
        for index, (user_id, message) in enumerate(pushes):
            discreet, devices = found.get(user_id, (False, []))
            if devices:
                payload = build_payload(message, discreet=discreet)
                jobs += [(index, device, payload, message) for device in devices]
        if not jobs:
            return [DeliveryReport(delivered=0, removed=0, failed=0) for _ in pushes]
        gate = asyncio.Semaphore(max(1, concurrency))

        async def deliver(
            client: httpx.AsyncClient, device: _Device, payload: bytes, message: PushMessage
        ) -> Outcome:
            async with gate:
                try:
                    return await self._deliver(client, device, payload, message)
                except Exception:  # a bug of ours on one device never stops the others
                    log.exception("push to %s failed", host_of(device.endpoint))
                    return "failed"

        async def deliver_all(client: httpx.AsyncClient) -> list[Outcome]:
            return list(await asyncio.gather(*(deliver(client, *job[1:]) for job in jobs)))

        if self.client is not None:
            outcomes = await deliver_all(self.client)
        else:
            async with make_push_client(self.settings) as client:
                outcomes = await deliver_all(client)
        await self._record([job[1] for job in jobs], outcomes)
        counts = [Counter[Outcome]() for _ in pushes]
        for job, outcome in zip(jobs, outcomes, strict=True):
            counts[job[0]][outcome] += 1
        return [
            DeliveryReport(delivered=c["delivered"], removed=c["gone"], failed=c["failed"])
            for c in counts
        ]

    async def _load(self, user_ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[bool, list[_Device]]]:
        """Each existing user's discretion setting and devices, in one short read."""
        async with self.db.reader() as session:
            users = (
                await session.execute(
                    select(col(User.id), col(User.discreet_notifications)).where(
                        col(User.id).in_(list(user_ids))
                    )
                )
            ).all()
            rows = await repository.for_users(session, [u for u, _ in users])
        found: dict[uuid.UUID, tuple[bool, list[_Device]]] = {
            user_id: (bool(discreet), []) for user_id, discreet in users
        }
        for r in rows:
            found[r.user_id][1].append(_Device(r.id, r.endpoint, r.p256dh, r.auth))
        return found

    async def _deliver(
        self, client: httpx.AsyncClient, device: _Device, payload: bytes, message: PushMessage
    ) -> Outcome:
        host = host_of(device.endpoint)
        try:
            body = self._encrypt(device, payload)
            headers = self._headers(device.endpoint, message)
        except Exception as error:  # a malformed stored key or endpoint: that device only
            log.warning("push to %s not sent: %s", host, type(error).__name__)
            return "failed"
        waited = 0.0
        for attempt in range(1, self.retry.attempts + 1):
            retry_after: float | None = None
            try:
                response = await client.post(
                    device.endpoint,
                    content=body,
                    headers=headers,
                    timeout=self.timeout,
                    follow_redirects=False,  # a redirect could point anywhere (SSRF)
                )
            except EndpointRefused:
                log.warning("push to %s refused: the name resolves to a non-public address", host)
                return "failed"
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
                # Nothing reached the service: safe to try again.
                status, retryable = type(error).__name__, True
            except httpx.HTTPError as error:
                # It may have been received, or not. A message with a tag is sent again: the
                # phone shows it once (a notification with the same tag silently replaces the
                # first), and a red must not be lost on the way. Without a tag, it could show
                # twice: no retry.
                if not message.tag:
                    log.info("push to %s failed: %s", host, type(error).__name__)
                    return "failed"
                status, retryable = type(error).__name__, True
            else:
                code = response.status_code
                if 200 <= code < 300:
                    return "delivered"
                if code in (404, 410):
                    log.info("push subscription at %s is gone (%s): removed", host, code)
                    return "gone"
                status, retryable = f"{code}{_reason(response)}", code == 429 or code >= 500
                retry_after = _retry_after(response.headers.get("retry-after"))
            if not retryable:
                log.warning("push to %s refused: %s", host, status)
                return "failed"
            delay = self._delay(attempt, retry_after, waited)
            if delay is None:
                break
            log.info("push to %s: %s, retrying in %.1fs", host, status, delay)
            await self.sleep(delay)
            waited += delay
        log.warning("push to %s failed after retries", host)
        return "failed"

    def _delay(self, attempt: int, retry_after: float | None, waited: float) -> float | None:
        """How long to wait before the next attempt, or None to stop trying."""
        policy = self.retry
        if attempt >= policy.attempts:
            return None
        if retry_after is not None:
            delay = retry_after
        else:
            jitter = secrets.SystemRandom().uniform(0.8, 1.2)
            delay = policy.base_delay * 2 ** (attempt - 1) * jitter
        if delay > policy.max_delay and retry_after is not None:
            return None  # asked to stay away longer than we may wait
        delay = min(delay, policy.max_delay)
        if waited + delay > policy.max_total_wait:
            return None
        return delay

    def _encrypt(self, device: _Device, payload: bytes) -> bytes:
        subscription = {
            "endpoint": device.endpoint,
            "keys": {"p256dh": device.p256dh, "auth": device.auth},
        }
        body: bytes = WebPusher(subscription).encode(payload, content_encoding="aes128gcm")["body"]
        return body

    def _headers(self, endpoint: str, message: PushMessage) -> dict[str, str]:
        return {
            "Authorization": self._authorization(origin_of(endpoint)),
            "TTL": str(max(0, min(message.ttl, MAX_TTL_SECONDS))),
            "Urgency": message.urgency,
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
        }

    def _authorization(self, origin: str) -> str:
        """A VAPID token for the origin, signed again once half its lifetime has passed (so a
        token handed out always has hours left)."""
        now = self.clock()
        cached = self._signed.get(origin)
        if cached is not None and now < cached[1]:
            return cached[0]
        vapid = self.vapid
        claims = {"aud": origin, "sub": vapid.subject, "exp": int(now) + VAPID_TOKEN_SECONDS}
        signed: dict[str, str] = Vapid02(vapid.private_key).sign(claims)
        self._signed[origin] = (signed["Authorization"], now + VAPID_TOKEN_SECONDS / 2)
        return signed["Authorization"]

    async def _record(self, devices: list[_Device], outcomes: list[Outcome]) -> None:
        pairs = list(zip(devices, outcomes, strict=True))
        try:
            async with write_session(self.db) as session:
                await repository.mark_delivered(
                    session, [d.id for d, o in pairs if o == "delivered"], utcnow()
                )
                failures = Counter(d.id for d, o in pairs if o == "failed")
                for times in sorted(set(failures.values())):
                    await repository.count_failure(
                        session, [i for i, n in failures.items() if n == times], times=times
                    )
                await repository.delete_gone(
                    session, [(d.id, d.endpoint) for d, o in pairs if o == "gone"]
                )
        except SQLAlchemyError:
            # The pushes went out; only their bookkeeping is lost, and the next send redoes it.
            log.warning("could not record push outcomes", exc_info=True)


def _is_placeholder(subject: str) -> bool:
    host = subject.rsplit("@", 1)[-1] if subject.lower().startswith("mailto:") else ""
    host = host or (urlsplit(subject).hostname or "")
    return host.lower() in ("localhost", "example.com") or host.endswith(
        (".localhost", ".local", ".invalid", ".example", ".test")
    )


def _reason(response: httpx.Response) -> str:
    """The push service's one-word reason, when it gives one (Apple: ``{"reason":
    "BadJwtToken"}``), for the log; never the rest of the body."""
    try:
        reason = response.json().get("reason")
    except (ValueError, AttributeError):
        return ""
    return f" {reason}" if isinstance(reason, str) and reason.isalnum() and len(reason) < 40 else ""


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds, from either of its forms (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class _RedactUrls(logging.Filter):
    """httpx logs every request's full URL at INFO; a push endpoint's path names one device, so
    keep only the origin."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                f"{a.scheme}://{a.netloc.decode('ascii', 'replace')}/…"
                if isinstance(a, httpx.URL)
                else a
                for a in record.args
            )
        return True


def install_log_redaction() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactUrls) for f in logger.filters):
        logger.addFilter(_RedactUrls())
