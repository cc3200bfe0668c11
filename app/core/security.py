"""Passwords, access tokens and opaque refresh tokens.

- Passwords: argon2id. Verification always runs a full hash, even for an unknown email, so
  that a login's timing does not tell whether an account exists. At most
  ``password_hash_concurrency`` hashes run at once in a process, the others wait their turn,
  so that a burst of sign-ins or sign-ups cannot take more than that many times the hash's
  memory.
- Access tokens: short-lived HS256 JWTs; ``typ``, ``aud``, ``iat`` and ``exp`` are required and
  checked, and only the algorithms in ``ALGORITHMS`` are accepted.
- Refresh tokens: random, opaque, shown to the client once and stored only as a SHA-256 hash.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.core.config import Settings
from app.core.db import utcnow

ALGORITHMS = ["HS256"]
AUDIENCE = "accord"
ISSUER = "accord"


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        # A real hash to verify against when the account does not exist (equal timing).
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        self._slots = asyncio.Semaphore(max(1, settings.password_hash_concurrency))

    async def hash(self, password: str) -> str:
        async with self._slots:
            return await asyncio.to_thread(self._hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        async with self._slots:
            return await asyncio.to_thread(self._verify, stored, password)

    def _hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def _verify(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID


class InvalidToken(Exception):
    pass


def create_access_token(
    settings: Settings, *, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime | None = None
) -> str:
    now = now or utcnow()
    payload = {
        "sub": str(user_id),
        "sid": str(session_id),
        "typ": "access",
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=settings.access_token_minutes)).timestamp()),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(payload, settings.secret_key, algorithm=ALGORITHMS[0])


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    try:
        payload = jwt.decode(
            token,
            settings.secret_key,
            algorithms=ALGORITHMS,
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "aud", "iss", "typ"]},
        )
        if payload.get("typ") != "access":
            raise InvalidToken("not an access token")
        return AccessClaims(uuid.UUID(str(payload["sub"])), uuid.UUID(str(payload["sid"])))
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
