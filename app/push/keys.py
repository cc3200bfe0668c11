"""The server's VAPID key pair (RFC 8292): from ``VAPID_PRIVATE_KEY``, or generated on first run
into the data directory as ``vapid_private.pem`` (mode 0600).

Browsers bind a subscription to the public key it was made with (``applicationServerKey``):
changing the key silently orphans every device, so the generated file must be kept with the
data directory, and several processes or hosts must share it (or share the variable).
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.core.config import Settings
from app.push.rules import b64url_decode, b64url_encode

KEY_FILE = "vapid_private.pem"
_SUBJECT = re.compile(r"(mailto:[^\s@]+@[^\s@]+|https://[^\s/]+\S*)", re.IGNORECASE)


class VapidConfigError(ValueError):
    """VAPID_PRIVATE_KEY or VAPID_SUBJECT cannot be used; the message says why (never the key)."""


@dataclass(frozen=True)
class VapidKeys:
    private_key: ec.EllipticCurvePrivateKey
    subject: str

    @property
    def public_key(self) -> str:
        """What the browser's ``pushManager.subscribe`` takes as ``applicationServerKey``: the
        uncompressed P-256 point, base64url without padding."""
        point = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return b64url_encode(point)


def load_vapid_keys(settings: Settings) -> VapidKeys:
    subject = settings.vapid_subject.strip()
    if not _SUBJECT.fullmatch(subject):
        raise VapidConfigError("VAPID_SUBJECT must be a mailto: address or an https:// URL")
    if settings.vapid_private_key:
        key = parse_private_key(settings.vapid_private_key)
    else:
        key = _load_or_create(settings.data_dir / KEY_FILE)
    return VapidKeys(private_key=key, subject=subject)


def parse_private_key(text: str) -> ec.EllipticCurvePrivateKey:
    """A PEM (PKCS#8 or SEC1; ``\\n`` may be written literally, as env files often do) or a
    base64url raw 32-byte private scalar, as ``web-push generate-vapid-keys`` prints it."""
    text = text.strip()
    if "-----BEGIN" in text:
        try:
            key = serialization.load_pem_private_key(
                text.replace("\\n", "\n").encode(), password=None
            )
        except (ValueError, TypeError):
            raise VapidConfigError("VAPID_PRIVATE_KEY is not a readable PEM private key") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise VapidConfigError("VAPID_PRIVATE_KEY must be a P-256 (prime256v1) key")
        return key
    try:
        raw = b64url_decode(text)
    except ValueError:
        raise VapidConfigError("VAPID_PRIVATE_KEY is neither a PEM nor base64url") from None
    if len(raw) != 32:
        raise VapidConfigError("VAPID_PRIVATE_KEY in base64url must decode to 32 bytes")
    try:
        return ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
    except ValueError:
        raise VapidConfigError("VAPID_PRIVATE_KEY is not a valid P-256 private key") from None


def _pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _read(path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        return parse_private_key(path.read_text())
    except VapidConfigError as error:
        raise VapidConfigError(
            f"{path}: {error}".replace("VAPID_PRIVATE_KEY", "the file")
        ) from None


def _load_or_create(path: Path) -> ec.EllipticCurvePrivateKey:
    if path.exists():
        return _read(path)
    # The data directory holds the database and the secrets: its owner only.
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    # Written whole under a private name (O_EXCL, 0600), then published with link(), which
    # fails if the name exists: when two processes start at once exactly one key wins, and
    # nobody can read a half-written file.
    scratch = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(_pem(key))
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(scratch, path)
        except FileExistsError:
            return _read(path)
        except OSError:
            # A file system without hard links: O_EXCL on the name itself.
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return _read(path)
            with os.fdopen(fd, "wb") as fh:
                fh.write(_pem(key))
    finally:
        scratch.unlink(missing_ok=True)
    return key
