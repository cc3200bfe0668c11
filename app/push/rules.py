"""Pure checks on what a browser sends when it subscribes, and on where the server may POST.

The server POSTs to every stored endpoint, so an endpoint is a URL a client chose for the
server to call (SSRF): it must be https, and its host must be a public name, never an IP
literal, ``localhost`` or a single-label intranet name. ``allow_insecure`` (development and
tests) lifts both rules.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from app.core.errors import AppError
from app.push.models import MAX_ENDPOINT_LENGTH

_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan")
AUTH_SECRET_BYTES = 16
P256_POINT_BYTES = 65


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url, padding optional (browsers leave it out); ValueError otherwise."""
    if not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    unpadded = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None


def _bad_endpoint(code: str, why: str) -> AppError:
    return AppError(422, code, f"endpoint: {why}")


def check_endpoint(endpoint: str, *, allow_insecure: bool = False) -> str:
    """The endpoint as given, if the server may POST to it; else a 422 naming why."""
    if len(endpoint) > MAX_ENDPOINT_LENGTH:
        raise _bad_endpoint("invalid_endpoint", f"longer than {MAX_ENDPOINT_LENGTH} characters")
    if not endpoint.isascii() or any(ch.isspace() or not ch.isprintable() for ch in endpoint):
        raise _bad_endpoint("invalid_endpoint", "must be an ASCII URL without spaces")
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        raise _bad_endpoint("invalid_endpoint", "not a valid URL") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise _bad_endpoint("invalid_endpoint", "must be an absolute https URL")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise _bad_endpoint("invalid_endpoint", "must not carry credentials or a fragment")
    if port == 0:
        raise _bad_endpoint("invalid_endpoint", "port 0 is not a port")
    if allow_insecure:
        return endpoint
    if parts.scheme != "https":
        raise _bad_endpoint("endpoint_not_https", "push endpoints must be https")
    if not _is_public_name(parts):
        raise _bad_endpoint(
            "endpoint_host_not_allowed",
            "the host must be a public domain name (no IP address, localhost or local name)",
        )
    return endpoint


def _is_public_name(parts: SplitResult) -> bool:
    host = (parts.hostname or "").rstrip(".")
    try:
        ipaddress.ip_address(host)
        return False  # an IP literal, v4 or v6
    except ValueError:
        pass
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return False  # single-label (intranet) names, and anything that is not a DNS name
    if labels[-1].isdigit() or labels[-1].startswith("0x"):
        return False  # "127.1", "0x7f.1": what inet_aton would read as an address
    return host != "localhost" and not host.endswith(_LOCAL_SUFFIXES)


def decode_p256dh(value: str) -> bytes:
    """The device's public key: an uncompressed P-256 point (65 bytes, 0x04, on the curve)."""
    try:
        raw = b64url_decode(value)
    except ValueError:
        raise AppError(422, "invalid_p256dh", "keys.p256dh: not base64url") from None
    if len(raw) != P256_POINT_BYTES or raw[0] != 0x04:
        raise AppError(
            422, "invalid_p256dh", "keys.p256dh: expected an uncompressed P-256 point (65 bytes)"
        )
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        raise AppError(422, "invalid_p256dh", "keys.p256dh: not a point on P-256") from None
    return raw


def decode_auth(value: str) -> bytes:
    try:
        raw = b64url_decode(value)
    except ValueError:
        raise AppError(422, "invalid_auth", "keys.auth: not base64url") from None
    if len(raw) != AUTH_SECRET_BYTES:
        raise AppError(422, "invalid_auth", "keys.auth: expected a 16-byte secret")
    return raw


def origin_of(endpoint: str) -> str:
    """What a VAPID token's ``aud`` names: scheme, host, and the port when it is not implied."""
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    default = {"https": 443, "http": 80}.get(parts.scheme)
    port = parts.port
    return (
        f"{parts.scheme}://{host}" if port in (None, default) else f"{parts.scheme}://{host}:{port}"
    )


def host_of(endpoint: str) -> str:
    """For logs: the push service's host only. The path names one device."""
    return urlsplit(endpoint).hostname or "?"
