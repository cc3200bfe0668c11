"""Reusable field types: each rejects bad input with a message naming what is wrong."""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

_CLOCK = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")  # ASCII digits only, whole string


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_timezone(value: str) -> str:
    if value not in _zones():
        raise ValueError(f"unknown time zone {value[:64]!r}; use an IANA name like 'Europe/Paris'")
    return value


def check_clock(value: str) -> str:
    if not _CLOCK.fullmatch(value):
        raise ValueError("expected a time of day as HH:MM (00:00-23:59)")
    return value


# Embeddings, overrides and isolates: one of these in a name would turn around the text the
# app writes after it ("… Eve\u202e agrees" shown reversed), a way to spoof its wording.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(value: object) -> object:
    """Trim, normalise to NFC and refuse control characters (they break display and logs) and
    bidirectional embedding, override and isolate controls (they can reorder what follows)."""
    if not isinstance(value, str):
        return value
    value = unicodedata.normalize("NFC", value.strip())
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in "\n\t" for ch in value):
        raise ValueError("control characters and lone surrogates are not allowed")
    if any(ch in _BIDI_CONTROLS for ch in value):
        raise ValueError("bidirectional control characters are not allowed")
    return value


def clean_line(value: object) -> object:
    value = clean_text(value)
    if isinstance(value, str) and ("\n" in value or "\t" in value):
        raise ValueError("must be a single line")
    return value


Timezone = Annotated[str, Field(max_length=64), AfterValidator(check_timezone)]
ClockTime = Annotated[str, AfterValidator(check_clock)]


# Use as ``Annotated[str, CleanLine, Field(max_length=...)]``: trimmed, one line, no controls.
CleanLine = BeforeValidator(clean_line)
CleanText = BeforeValidator(clean_text)


# Client timestamps (``occurred_at``): a phone may send what it recorded offline, up to 30 days
# late, but not from the future beyond a little clock skew.
CLIENT_TIME_PAST = timedelta(days=30)
CLIENT_TIME_SKEW = timedelta(minutes=5)


def check_client_time(
    value: datetime | None, now: datetime, field: str = "occurred_at"
) -> datetime:
    if value is None:
        return now
    if value.tzinfo is None:
        raise ClientTimeError(f"{field} needs a UTC offset, e.g. 2026-01-31T21:00:00+01:00")
    if value < now - CLIENT_TIME_PAST:
        raise ClientTimeError(f"{field} is more than 30 days in the past")
    if value > now + CLIENT_TIME_SKEW:
        raise ClientTimeError(f"{field} is in the future")
    return value.astimezone(UTC)


class ClientTimeError(ValueError):
    pass
