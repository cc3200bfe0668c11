"""What the rest of the app knows of a request, and the layers in ``app.core.middleware`` share:
its session (opened and committed by the unit of work), keeping its writes on an error, which
methods only read, and what makes two requests with one Idempotency-Key the same request.

The layers themselves (body guard, conditional GET, idempotency, unit of work) are in
``app.core.middleware`` and composed in ``app.main``; they import from here, never the reverse.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import MutableMapping
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

SESSION_KEY = "accord.session"
# The caller a keyed request's idempotency lookup found signed in, in the request's own
# transaction: (the access token, its claims, the user). Authentication takes it for that same
# token rather than asking again.
SIGNED_IN_KEY = "accord.signed_in"
COMMIT_ON_ERROR = "commit_on_error"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A claim whose request died without releasing it (a killed process) is taken over after this.
IN_FLIGHT_STALE = timedelta(seconds=60)
_KEY_RE = re.compile(r"^[\x21-\x7e]{1,255}$")


def keep_writes_on_error(session: AsyncSession) -> None:
    """Keep this request's writes even though it answers with an error.

    For the few writes that must survive a refusal: a failed login counted for throttling, a
    refresh-token family revoked because a spent token came back.
    """
    session.info[COMMIT_ON_ERROR] = True


def request_session(scope: MutableMapping[str, Any]) -> AsyncSession:
    session = scope.get(SESSION_KEY)
    if session is None:
        raise RuntimeError("no database session: the route is outside the unit of work")
    assert isinstance(session, AsyncSession)
    return session


def parse_idempotency_key(raw: str) -> str | None:
    """The key, or None if it is not one: 1-255 visible ASCII characters.

    Surrounding whitespace is not part of a header value, and the draft spells the key as a
    structured-field string (``"..."``), so both ``abc`` and ``"abc"`` name the key ``abc``.
    """
    key = raw.strip(" \t")
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    return key if _KEY_RE.match(key) else None


def fingerprint_key(secret_key: str) -> bytes:
    """The fingerprints' own key, derived from the server secret (used for nothing else)."""
    return hmac.new(secret_key.encode(), b"accord idempotency fingerprint", "sha256").digest()


def request_fingerprint(
    method: str, path: str, query_string: bytes, body: bytes, *, key: bytes
) -> str:
    """What makes two requests with one key "the same request": method, path, query, body.

    Keyed (HMAC-SHA-256), so that whoever reads the table cannot test guesses of a body.
    """
    digest = hmac.new(key, digestmod="sha256")
    for part in (method.encode(), path.encode(), query_string):
        digest.update(part + b"\0")
    digest.update(body)
    return digest.hexdigest()


def plain_fingerprint(method: str, path: str, query_string: bytes, body: bytes) -> str:
    # How fingerprints were made before they were keyed: compared, never stored. Records are
    # kept 30 days, so this can go 30 days after every deployment runs keyed fingerprints.
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), query_string):
        digest.update(part + b"\0")
    digest.update(body)
    return digest.hexdigest()
