"""How a part of the product declares itself, so that the centre loops instead of naming parts.

Every package under ``app/`` has a ``part.py`` holding one ``PART``; ``app/parts.py`` lists
them, and is the one place a new part is added. The centre reads the declarations and nothing
else: ``app.main`` includes the routers, ``app.models`` registers the tables, the sync feed
loads each entity with its part's loader, the export and the deletion of an account ask every
part, and housekeeping runs every sweep. So arrows run one way: parts import ``app.core``,
never the other way round, and a part reaches a sibling below it only through a function that
sibling names on purpose (``notifications.notify``).

Hooks speak in ids, not rows: ``app.core`` knows no user model. A hook that needs the row asks
the session for it (``session.get``), which hands back the one already loaded.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

# (session, reader's id, ids asked for) -> each entity that still exists, as that reader sees it.
Loader = Callable[
    [AsyncSession, uuid.UUID, set[uuid.UUID]], Awaitable[Mapping[uuid.UUID, BaseModel]]
]
# (session, the user's id) -> nothing: something happened to that user's account.
AccountHook = Callable[[AsyncSession, uuid.UUID], Awaitable[None]]
# (session, the user's id) -> the change streams the user reads besides their own.
Streams = Callable[[AsyncSession, uuid.UUID], Awaitable[Iterable[str]]]
# (session, the user's id) -> the export's sections, ready for JSON.
Collect = Callable[[AsyncSession, uuid.UUID], Awaitable[Mapping[str, Any]]]
# (session, a dynamic's id) -> whether its words are private (it has a pair key): asked by parts
# that cannot import the keys part (it stands above them), through ``words_private``.
WordsPrivate = Callable[[AsyncSession, uuid.UUID], Awaitable[bool]]
# (session, a dynamic's id, the words just sealed there) -> their copies sealed or dropped too.
WordsSealed = Callable[[AsyncSession, uuid.UUID, list[str]], Awaitable[None]]
# now -> the condition on a table's rows that have had their time.
Expired = Callable[[datetime], ColumnElement[bool]]


@dataclass(frozen=True)
class SyncEntity:
    """One kind of entity in the sync feed (``GET /api/sync``).

    ``name`` is what the feed calls it, and what the part's services record changes under.
    ``account_deleted`` records, before an account goes, what its deletion changes in this
    entity for the people who stay (tombstones for what goes with it, upserts for what loses
    the user's name or words); it is called for every entity before any part's ``erase``.
    """

    name: str
    load: Loader
    account_deleted: AccountHook | None = None


@dataclass(frozen=True)
class Export:
    """The part's sections of ``GET /api/me/export``: each section's name and type (for the
    export's schema), and how to collect them for one user."""

    sections: Mapping[str, Any]
    collect: Collect


@dataclass(frozen=True)
class Sweep:
    """Housekeeping: the rows of ``model`` that are ``expired`` as of now are deleted
    (``name`` is what the log counts)."""

    name: str
    model: type[SQLModel]
    expired: Expired


@dataclass(frozen=True)
class Words:
    """A field of a dynamic's words that the one-time encryption turns into envelopes once the
    dynamic has a pair key (``app/keys/migration.py``, docs/e2ee.md). One line per field:

    - ``entity``, ``field``: how an envelope's associated data names it (``checkin:<id>:note``);
    - ``column``: the column holding it, in a table with ``dynamic_id``: a text column, or a
      JSON list when ``keep`` says which of its items stay in clear (fixed chips);
    - ``feed``: the sync entity told of the change, named by ``feed_id`` (the row's own id
      unless told: a protocol version's words change its protocol);
    - ``envelope``: the field's envelope type, with its size cap;
    - ``record``: the columns naming the record in the associated data, joined by "." (the
      row's own id unless told: a member's notes are named by the member's user id, a review's
      answers by ``<review id>.<author's id>``);
    - ``within``: for a JSON list of objects, the key of each object that holds its words; the
      field is then a template filled from that object (``protocols.{protocol_id}.comment``).
    """

    entity: str
    field: str
    column: Any
    feed: str
    envelope: Any
    feed_id: Any = None
    keep: Callable[[str], bool] | None = None
    record: tuple[Any, ...] = ()
    within: str | None = None

    @property
    def listed(self) -> bool:
        """Whether its words are items of a list, each named by its place (``index``)."""
        return self.keep is not None or self.within is not None


@dataclass(frozen=True)
class Part:
    """One part of the product, as the centre sees it.

    - ``name``: its package's name under ``app/``;
    - ``routers``: its API, included in the order the parts are listed;
    - ``models``: its tables (each table is declared by exactly one part);
    - ``sync``: its entities in the change feed; ``streams``: the streams a user reads
      besides their own (the dynamics they are or were in);
    - ``export``: what the account export holds of it;
    - ``erase``: what deleting an account does to its rows beyond the foreign keys'
      cascades (ending what the user was part of, erasing their words from what stays);
    - ``disable``: what disabling an account stops; ``profile_changed``: what shows a
      user's name or pronouns and so changes with them;
    - ``sweeps``: housekeeping of what is kept only for a while;
    - ``words``: its fields of a dynamic's words that become envelopes (``Words``).
    - ``words_private``: whether a dynamic's words are private (the keys part; docs/e2ee.md);
      ``words_sealed``: what a part does with its copies of words the one-time encryption
      just sealed (a review's agenda quotes titles and needs).
    """

    name: str
    routers: tuple[APIRouter, ...] = ()
    models: tuple[type[SQLModel], ...] = ()
    sync: tuple[SyncEntity, ...] = ()
    streams: Streams | None = None
    export: Export | None = None
    erase: AccountHook | None = None
    disable: AccountHook | None = None
    profile_changed: AccountHook | None = None
    sweeps: tuple[Sweep, ...] = ()
    words: tuple[Words, ...] = ()
    words_private: WordsPrivate | None = None
    words_sealed: WordsSealed | None = None


Parts = Sequence[Part]


async def tell(
    parts: Parts,
    hook: Callable[[Part], AccountHook | None],
    session: AsyncSession,
    user_id: uuid.UUID,
) -> None:
    """Call one account hook of every part that declares it, in the parts' order."""
    for part in parts:
        call = hook(part)
        if call is not None:
            await call(session, user_id)


async def words_private(parts: Parts, session: AsyncSession, dynamic_id: uuid.UUID) -> bool:
    """Whether any part says the dynamic's words are private (the keys part: a pair key)."""
    for part in parts:
        if part.words_private is not None and await part.words_private(session, dynamic_id):
            return True
    return False
