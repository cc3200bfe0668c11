"""The request's unit of work as routes, services and tests see it.

The work itself is done by the layers in ``app.core.middleware`` (body guard, conditional GET,
idempotency, unit of work), composed in ``app.main``. What the rest of the app needs of them is
named here: the request's session, keeping its writes on an error, which methods only read, and
what identifies a keyed request (its fingerprint, and how long a claim stays in flight).
"""

from __future__ import annotations

from app.core.middleware.idempotency import (
    IDEMPOTENT_METHODS,
    IN_FLIGHT_STALE,
    SessionCheck,
    fingerprint_key,
    parse_idempotency_key,
    request_fingerprint,
)
from app.core.middleware.unit_of_work import (
    COMMIT_ON_ERROR,
    READ_METHODS,
    SESSION_KEY,
    keep_writes_on_error,
    request_session,
)

__all__ = [
    "COMMIT_ON_ERROR",
    "IDEMPOTENT_METHODS",
    "IN_FLIGHT_STALE",
    "READ_METHODS",
    "SESSION_KEY",
    "SessionCheck",
    "fingerprint_key",
    "keep_writes_on_error",
    "parse_idempotency_key",
    "request_fingerprint",
    "request_session",
]
