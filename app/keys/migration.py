"""The one-time encryption of a dynamic's words written before its pair key (docs/e2ee.md).

The phone that makes or first opens the pair key reads the words still in clear
(``GET /api/dynamics/{id}/clear-words``, a page at a time), seals each on the device for its
record and field, and sends the envelopes back (``POST`` the same path). Each part lists its
fields of words (``Part.words``); nothing here names a part.

The rules: only the caller's dynamic (another couple's records are a 404, like their dynamic),
only once the dynamic has a pair key, only an envelope in place of words in clear, in the very
record and field named (an envelope's associated data names them, so one sealed for another
record does not open there), never words in place of an envelope. A field that is an envelope
already is left as it is, so sending a batch twice, or after an interruption, changes nothing
more: the phone asks again until nothing is left in clear.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import delete, update
from sqlalchemy import select as sa_select  # of any number of columns
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.models import User
from app.core.declaration import Parts, Words
from app.core.envelopes import Envelope, to_column
from app.core.errors import AppError, not_found
from app.core.models import IdempotencyRecord
from app.dynamics.repository import member_dynamic
from app.keys import repository
from app.sync import record as sync

PAGE = 100
BATCH = 200
_UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
# A record as the associated data names it: its id, or ids joined by "." (a review's answers).
RecordId = Annotated[
    str,
    Field(
        pattern=rf"^{_UUID}(\.{_UUID})?$",
        max_length=73,
        examples=[
            "0b6c4a64-27c3-4f4e-9d0b-3f1c6f3a8e21",
            "0b6c4a64-27c3-4f4e-9d0b-3f1c6f3a8e21.5d2f1e0a-8c4b-4a7e-b1d9-2e6f0c9a7b13",
        ],
    ),
]


class ClearText(BaseModel):
    entity: str
    id: str = Field(description="the record as the associated data names it")
    field: str
    index: int | None = Field(
        default=None, description="the item's place in a list of words (custom needs)"
    )
    text: str


class ClearWords(BaseModel):
    items: list[ClearText] = Field(description=f"up to {PAGE}, oldest records first")
    more: bool = Field(description="more words in clear after these: ask again once sealed")


class SealedText(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity: Annotated[str, Field(max_length=40)]
    id: RecordId
    field: Annotated[str, Field(max_length=80)]
    index: Annotated[int | None, Field(ge=0, le=100)] = None
    envelope: Envelope


class SealedWords(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: Annotated[list[SealedText], Field(min_length=1, max_length=BATCH)]


class Sealed(BaseModel):
    sealed: int = Field(description="words replaced by their envelope now")
    already: int = Field(description="envelopes already, or words gone since: left as they are")


def _fields(parts: Parts) -> list[Words]:
    return [w for part in parts for w in part.words]


def _field_of(fields: list[Words], entity: str, field: str) -> Words | None:
    """The declared field an item names: by its name, or for the items of a list of objects
    by its template (``protocols.{protocol_id}.comment``)."""
    for words in fields:
        if words.entity != entity:
            continue
        if words.field == field or (words.within and _template(words.field).fullmatch(field)):
            return words
    return None


def _template(field: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\\\{\w+\\\}", "[^.]+", re.escape(field)))


def _table(words: Words) -> Any:
    return words.column.class_


def _record(words: Words) -> tuple[Any, ...]:
    return words.record or (_table(words).id,)


def _clear_in(words: Words, value: object) -> list[tuple[int | None, str, str]]:
    """The words in clear of one stored value, each with its place and field: the text of a
    text column, the free items of a list (``keep`` says which stay in clear), or the words
    of each object of a list (``within``)."""
    if words.within is not None:
        objects = value if isinstance(value, list) else []
        return [
            (i, words.field.format_map(obj), obj[words.within])
            for i, obj in enumerate(objects)
            if isinstance(obj, dict)
            and isinstance(obj.get(words.within), str)
            and obj[words.within]
            and _names_all(words.field, obj)
        ]
    if words.keep is not None:
        items = value if isinstance(value, list) else []
        return [
            (i, words.field, item)
            for i, item in enumerate(items)
            if isinstance(item, str) and not words.keep(item)
        ]
    if isinstance(value, str) and value and not isinstance(_stored(value), Envelope):
        return [(None, words.field, value)]
    return []


def _names_all(field: str, obj: dict[str, Any]) -> bool:
    names = re.findall(r"\{(\w+)\}", field)
    return all(isinstance(obj.get(n), str) and "." not in obj[n] for n in names)


def _stored(value: str) -> str | Envelope:
    try:
        return Envelope.model_validate(json.loads(value)) if value.startswith("{") else value
    except (ValueError, ValidationError):
        return value


async def _private(session: AsyncSession, dynamic_id: uuid.UUID, user: User) -> None:
    await member_dynamic(session, dynamic_id, user.id)
    if not await repository.has_pair_key(session, dynamic_id):
        raise AppError(
            422,
            "no_pair_key",
            "this dynamic has no pair key yet: its words stay as they are until both of you "
            "have keys",
        )


async def clear_words(
    session: AsyncSession, parts: Parts, dynamic_id: uuid.UUID, user: User
) -> ClearWords:
    """The dynamic's words still in clear, a page at a time."""
    await _private(session, dynamic_id, user)
    found: list[ClearText] = []
    for words in _fields(parts):
        record = _record(words)
        rows = await session.execute(
            sa_select(*record, words.column)
            .where(
                col(_table(words).dynamic_id) == dynamic_id,
                words.column.is_not(None),
                *(c.is_not(None) for c in record),
            )
            .order_by(*record)
        )
        for *ids, value in rows.all():
            record_id = ".".join(str(i) for i in ids)
            for index, field, text in _clear_in(words, value):
                found.append(
                    ClearText(
                        entity=words.entity, id=record_id, field=field, index=index, text=text
                    )
                )
                if len(found) > PAGE:
                    return ClearWords(items=found[:PAGE], more=True)
    return ClearWords(items=found, more=False)


def _refused(at: int, name: str, code: str, msg: str) -> AppError:
    return AppError(
        422,
        code,
        f"items.{at}.{name}: {msg}",
        errors=[{"loc": ["body", "items", at, name], "msg": msg, "type": code}],
    )


def _checked(fields: list[Words], at: int, item: SealedText) -> tuple[Words, Envelope]:
    """The item's field and envelope, checked: a known field, a place only in a list, the
    record named as that field's records are, and the field's own size cap."""
    words = _field_of(fields, item.entity, item.field)
    if words is None:
        raise _refused(at, "field", "not_words", f"{item.entity}.{item.field} holds no words")
    if (item.index is not None) != words.listed:
        raise _refused(at, "index", "index", "give index for an item of a list, and only there")
    if item.id.count(".") + 1 != len(_record(words)):
        raise _refused(at, "id", "record", f"{item.entity} records are named otherwise")
    try:
        envelope: Envelope = words.envelope.model_validate(item.envelope.model_dump())
    except ValidationError:
        raise _refused(at, "envelope", "envelope_too_long", "too long for this field") from None
    return words, envelope


def _replaced(
    words: Words, stored: object, item: SealedText, envelope: Envelope
) -> tuple[object, str] | None:
    """The stored value with the envelope in place of the words in clear, and those words;
    ``None`` where there are none there (sealed already, or gone since)."""
    here = {i: (field, text) for i, field, text in _clear_in(words, stored)}
    if item.index not in here or here[item.index][0] != item.field:
        return None
    text = here[item.index][1]
    if not words.listed:
        return to_column(envelope), text
    items = list(stored) if isinstance(stored, list) else []
    assert item.index is not None  # a listed field's item has its place (checked)
    if words.within is not None:
        items[item.index] = {**items[item.index], words.within: envelope.model_dump()}
    else:
        items[item.index] = envelope.model_dump()
    return items, text


async def seal_words(
    session: AsyncSession, parts: Parts, dynamic_id: uuid.UUID, user: User, data: SealedWords
) -> Sealed:
    """Replace words in clear by the envelopes sealed for them on the device."""
    await _private(session, dynamic_id, user)
    fields = _fields(parts)
    checked = [(item, *_checked(fields, at, item)) for at, item in enumerate(data.items)]
    sealed, told, gone = 0, set(), []
    for item, words, envelope in checked:
        table = _table(words)
        feed_id = words.feed_id if words.feed_id is not None else table.id
        named = [c == uuid.UUID(i) for c, i in zip(_record(words), item.id.split("."), strict=True)]
        row = (
            await session.execute(
                select(words.column, feed_id).where(*named, col(table.dynamic_id) == dynamic_id)
            )
        ).one_or_none()
        if row is None:
            raise not_found(item.entity)
        replaced = _replaced(words, row[0], item, envelope)
        if replaced is None:
            continue
        value, text = replaced
        gone.append(text)
        await session.execute(
            update(table)
            .where(*named, col(table.dynamic_id) == dynamic_id)
            .values({words.column.key: value})
        )
        sealed += 1
        if (words.feed, row[1]) not in told:
            told.add((words.feed, row[1]))
            await sync.in_dynamic(session, dynamic_id, words.feed, row[1])
    await _forget_replies(session, dynamic_id, gone)
    for part in parts:
        if part.words_sealed is not None and gone:
            await part.words_sealed(session, dynamic_id, gone)
    return Sealed(sealed=sealed, already=len(checked) - sealed)


async def _forget_replies(session: AsyncSession, dynamic_id: uuid.UUID, texts: list[str]) -> None:
    """The answers kept for replaying a write (``Idempotency-Key``, a day) hold the words as
    they were written: those of the members that hold words just sealed go, so the words are
    nowhere in clear. A write replayed after this is done again, and meets the private rule."""
    if not texts:
        return
    needles = {json.dumps(t, ensure_ascii=a)[1:-1].encode() for t in texts for a in (True, False)}
    members = [uid for uid, _ in await repository.member_public_keys(session, dynamic_id)]
    records = await session.execute(
        select(IdempotencyRecord.id, IdempotencyRecord.response_body).where(
            col(IdempotencyRecord.user_id).in_(members),
            col(IdempotencyRecord.response_body).is_not(None),
        )
    )
    stale = [rid for rid, body in records.all() if any(n in body for n in needles)]
    if stale:
        await session.execute(delete(IdempotencyRecord).where(col(IdempotencyRecord.id).in_(stale)))
