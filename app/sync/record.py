"""Writing the change feed: every service that changes synced data calls ``record``.

The feed knows no part: each part names its entities (``Part.sync``) and records their changes
here; a change names the entity and its id, in a stream.

``record`` bumps the stream's counter with one atomic upsert (``INSERT … ON CONFLICT (stream)
DO UPDATE SET seq = seq + 1 RETURNING seq``) and stores the change under that number, in the
writing request's own transaction. The counter row stays locked until that transaction ends, so
writes to one stream are serialised and commit in the order of their numbers: a reader that
sees number 11 has seen 10.

Only the fact of a change is stored, never its content: the feed reads each entity's current
representation when it is asked for, so what a reader sees is what the REST routes show them
then (the limits view, for one, is computed for the reader).

To keep lock order consistent (and PostgreSQL free of deadlocks between two requests), a
request records the dynamic's stream (``d:``) before any user's stream (``u:``), and several
user streams in sorted order. When an account is deleted, the dynamics part's entity (listed
first) records every dynamic's stream before any other entity records a user's.
"""

from __future__ import annotations

import uuid
from typing import Any, Literal

from sqlalchemy import ColumnElement, String, insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from app.core import changes
from app.core.db import utcnow
from app.sync.models import Change, ChangeStream

Op = Literal["upsert", "delete"]

# Each member's view of a dynamic's limits, named by the dynamic's id in the member's own
# stream. Its name lives here, below both parts that record it: the dynamics part when a
# dynamic forms (each view exists from the start), the limits part when answers change.
LIMITS = "limits"


def dynamic_stream(dynamic_id: uuid.UUID) -> str:
    return f"d:{dynamic_id}"


def user_stream(user_id: uuid.UUID) -> str:
    return f"u:{user_id}"


class DynamicStreamOf(ColumnElement[str]):
    """``dynamic_stream`` in SQL, of a column holding a dynamic's id: the stream's name as the
    database spells it, so one statement can look up the streams of many dynamics."""

    inherit_cache = True
    type = String()
    _traverse_internals = [("dynamic_id", InternalTraversal.dp_clauseelement)]

    def __init__(self, dynamic_id: Any) -> None:  # a column (mapped or not) of a dynamic's id
        self.dynamic_id = dynamic_id


@compiles(DynamicStreamOf, "postgresql")
def _stream_in_postgresql(element: DynamicStreamOf, compiler: SQLCompiler, **kw: Any) -> str:
    return f"('d:' || CAST({compiler.process(element.dynamic_id, **kw)} AS TEXT))"


@compiles(DynamicStreamOf)
def _stream_in_sqlite(element: DynamicStreamOf, compiler: SQLCompiler, **kw: Any) -> str:
    # A UUID is 32 hex digits there; Python's spelling has its hyphens.
    hexed = compiler.process(element.dynamic_id, **kw)
    parts = " || '-' || ".join(f"substr({hexed}, {a}, {n})" for a, n in _HYPHENATED)
    return f"('d:' || {parts})"


_HYPHENATED = ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))


async def record(
    session: AsyncSession, stream: str, entity: str, entity_id: uuid.UUID, op: Op = "upsert"
) -> int:
    """Append one change to ``stream`` and return its number."""
    table = ChangeStream.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg_stmt = pg_insert(table).values(stream=stream, seq=1)
        bump = pg_stmt.on_conflict_do_update(
            index_elements=["stream"], set_={"seq": table.c.seq + 1}
        ).returning(table.c.seq)
        seq = (await session.execute(bump)).scalar_one()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite_stmt = sqlite_insert(table).values(stream=stream, seq=1)
        lite_bump = lite_stmt.on_conflict_do_update(
            index_elements=["stream"], set_={"seq": table.c.seq + 1}
        ).returning(table.c.seq)
        seq = (await session.execute(lite_bump)).scalar_one()
    await session.execute(
        insert(Change).values(
            id=uuid.uuid4(),
            stream=stream,
            seq=int(seq),
            entity=entity,
            entity_id=entity_id,
            op=op,
            at=utcnow(),
        )
    )
    # Open streams (app.live) hear of it once this transaction commits.
    changes.announce(session, stream, int(seq))
    return int(seq)


async def in_dynamic(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    entity: str,
    entity_id: uuid.UUID,
    op: Op = "upsert",
) -> int:
    """A change of a dynamic's shared data (anything but limits and notifications)."""
    return await record(session, dynamic_stream(dynamic_id), entity, entity_id, op)


async def limits_changed_for(
    session: AsyncSession, dynamic_id: uuid.UUID, viewer_ids: list[uuid.UUID]
) -> None:
    """The limits view of a dynamic changed for these viewers (and only for them: a partner's
    private answer changing is not a change of what the viewer may see, and saying there was
    a change would give it away)."""
    for viewer in sorted(set(viewer_ids), key=str):
        await record(session, user_stream(viewer), LIMITS, dynamic_id)
