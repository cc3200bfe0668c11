"""Envelopes: words encrypted on the device, in any text field of any schema (docs/e2ee.md).

An envelope is ``{"v": 1, "n": nonce, "c": ciphertext}``, base64url without padding: a random
24-byte nonce and XChaCha20-Poly1305 under the dynamic's pair key, with ``<entity>:<id>:<field>``
as associated data. The server cannot open it; it checks its shape and its size, stores it as
the JSON text it came as (in the same column a clear text would use) and hands it back as an
object. A field takes words in one line:

    class NoteEnvelope(Envelope):                       # the field's envelope, capped
        c: Annotated[str, *ciphertext_of(1000)]

    note: Annotated[Note | NoteEnvelope | None, ClearOrSealed] = None   # what clients send
    note: StoredWords = None                                            # what they read back

and a service applies the one rule, ``check_words``: a dynamic that has a pair key takes only
envelopes in these fields, and one that has none takes none (nobody could ever open it).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
)

from app.core.errors import AppError

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")

NONCE_BYTES = 24
TAG_BYTES = 16
# A character takes at most 4 bytes in UTF-8: a field of n characters encrypts to at most this.
_UTF8_MAX = 4
# An envelope that does not say its field's limit (``Envelope`` itself): the body guard's 64 KiB
# is the outer bound anyway.
_ANY_FIELD_BYTES = 48 * 1024


def decoded_size(value: str) -> int:
    """The number of bytes a base64url text (no padding) holds; ValueError if it is not one."""
    if not _BASE64URL.fullmatch(value) or len(value) % 4 == 1:
        raise ValueError("expected base64url without padding (A-Z a-z 0-9 - _)")
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError):
        raise ValueError("expected base64url without padding (A-Z a-z 0-9 - _)") from None


def b64_chars(size: int) -> int:
    """Characters of base64url without padding for ``size`` bytes."""
    return -(-size * 4 // 3)


def _exactly(size: int) -> AfterValidator:
    def check(value: str) -> str:
        if decoded_size(value) != size:
            raise ValueError(f"expected {size} bytes in base64url")
        return value

    return AfterValidator(check)


def _between(low: int, high: int) -> AfterValidator:
    def check(value: str) -> str:
        if not low <= decoded_size(value) <= high:
            raise ValueError(f"expected {low} to {high} bytes in base64url")
        return value

    return AfterValidator(check)


def exact_bytes(size: int) -> tuple[object, ...]:
    """Exactly ``size`` bytes in base64url: its length and alphabet in the schema, then decoded."""
    chars = b64_chars(size)
    return (Field(min_length=chars, max_length=chars, pattern=r"^[A-Za-z0-9_-]*$"), _exactly(size))


def _cipher(max_bytes: int) -> tuple[object, ...]:
    return (
        Field(min_length=b64_chars(TAG_BYTES), max_length=b64_chars(max_bytes)),
        _between(TAG_BYTES, max_bytes),
    )


def ciphertext_of(max_chars: int) -> tuple[object, ...]:
    """The ciphertext of a field of at most ``max_chars`` characters, capped at what that many
    characters can encrypt to, so an envelope is never a way round a field's limit:
    ``c: Annotated[str, *ciphertext_of(1000)]`` in an ``Envelope`` of that field."""
    return _cipher(max_chars * _UTF8_MAX + TAG_BYTES)


class Envelope(BaseModel):
    """Words encrypted on the device: ``{"v": 1, "n": nonce, "c": ciphertext}``,
    XChaCha20-Poly1305 under the dynamic's pair key with ``<entity>:<id>:<field>`` as
    associated data (docs/e2ee.md)."""

    model_config = ConfigDict(extra="forbid")

    v: Literal[1]
    n: Annotated[str, *exact_bytes(NONCE_BYTES)]
    c: Annotated[str, *_cipher(_ANY_FIELD_BYTES)]


class NoteEnvelope(Envelope):
    """A note of at most 1000 characters (a check-in's, an answer's, a completion's), encrypted
    on the device."""

    c: Annotated[str, *ciphertext_of(1000)]


def _not_an_envelope(value: object) -> object:
    """Clear words that read as an envelope would read back as one: refused, so that a stored
    text is an envelope exactly when an envelope was sent."""
    if isinstance(value, str) and _as_envelope(value) is not None:
        raise ValueError("this reads as an envelope: send an envelope as a JSON object")
    return value


# On a field that takes words or their envelope (``Annotated[Note | NoteEnvelope | None,
# ClearOrSealed]``): clear words may not pass for an envelope.
ClearOrSealed = AfterValidator(_not_an_envelope)


def _words_or_envelope(value: object) -> str:
    return "sealed" if isinstance(value, dict | Envelope) else "clear"


# A field of words or their envelope, validated as one or the other by what came (an object is
# an envelope), so that a refusal names only what is wrong with it (an empty title is "too
# short", not also "not an envelope"):
#     Annotated[Annotated[Title, CLEAR] | Annotated[TitleEnvelope, SEALED], WordsOrEnvelope]
WordsOrEnvelope = Discriminator(_words_or_envelope)
CLEAR, SEALED = Tag("clear"), Tag("sealed")


# Made on the device when a record's words are sealed, because their associated data names it.
DeviceId = Annotated[
    uuid.UUID | None,
    Field(description="made on the device; needed with envelopes, whose associated data names it"),
]


def _as_envelope(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
        return Envelope.model_validate(value).model_dump()
    except ValueError:
        return None


def stored_words(text: str) -> dict[str, Any] | None:
    """A stored text as its envelope, or None when it holds words in clear."""
    return _as_envelope(text)


def to_column(value: str | Envelope | None) -> str | None:
    """What a text column stores: clear words as they are, an envelope as its JSON text."""
    if isinstance(value, Envelope):
        return json.dumps(value.model_dump(), separators=(",", ":"))
    return value or None


def to_items(values: Sequence[str | Envelope]) -> list[str | dict[str, Any]]:
    """What a JSON list column stores: clear words as they are, envelopes as objects."""
    return [v.model_dump() if isinstance(v, Envelope) else v for v in values]


def _from_column(value: object) -> object:
    if isinstance(value, str):
        return _as_envelope(value) or value
    return value


# A field's type for what clients read: the words as stored, an envelope as an object.
StoredWords = Annotated[Envelope | str | None, BeforeValidator(_from_column)]
StoredItems = list[Envelope | str]


def check_words(*, private: bool, entity_id: object | None, fields: Mapping[str, object]) -> None:
    """The one rule: in a dynamic with a pair key (``private``) every field of ``fields`` that
    holds words holds envelopes; in one without, none does (nobody could open it). ``fields``
    maps a field's name to what was sent (words, an envelope, a list of them, or None); a list
    names only its free words (a check-in's custom needs, not the fixed chips). An envelope's
    associated data names its record, so a record with envelopes comes with the ``id`` made on
    the device (``entity_id``)."""
    for name, value in fields.items():
        values = value if isinstance(value, list) else [value]
        if private and any(isinstance(v, str) and v for v in values):
            raise _refused(
                name,
                "words_not_private",
                "the words of this dynamic are private: send them as an envelope made on the "
                "device",
            )
        if not private and any(isinstance(v, Envelope) for v in values):
            raise _refused(
                name,
                "no_pair_key",
                "this dynamic has no pair key yet, so nobody could open an envelope: send the "
                "words as they are",
            )
        if entity_id is None and any(isinstance(v, Envelope) for v in values):
            raise _refused(
                "id",
                "id_required",
                f"an envelope in {name} names its record: send the id it was sealed for",
            )


def _refused(name: str, code: str, msg: str) -> AppError:
    return AppError(
        422, code, f"{name}: {msg}", errors=[{"loc": ["body", name], "msg": msg, "type": code}]
    )
