"""The second version of limits, migrated onto a database the first version filled: every
answer keeps its meaning, what the first version showed both members becomes a reveal dated
when it was first shown, and nothing is revealed that was not shown before."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlmodel import col, select

from app.accounts.models import User
from app.core.db import UTCDateTime, metadata
from app.limits import service
from app.limits.schemas import Answer, ItemAnswer
from app.notifications.models import Notification
from tests.conftest import alembic_config
from tests.test_database import scratch_url  # noqa: F401 - the fixture
from tests.test_limits import (
    every_pair_of_answers,
    expected_matches,
    expected_partner,
    expected_talk,
)

BEFORE = "6a83d14e1b93"  # the head before the second version
T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

# The first version's table, as it was.
_old_answers = sa.table(
    "limit_answers",
    sa.column("id", sa.Uuid()),
    sa.column("dynamic_id", sa.Uuid()),
    sa.column("user_id", sa.Uuid()),
    sa.column("item", sa.String()),
    sa.column("answer", sa.String()),
    sa.column("updated_at", UTCDateTime()),
)

Answers = dict[str, str]


def _people(conn: sa.Connection, names: list[str]) -> list[uuid.UUID]:
    ids = [uuid.uuid4() for _ in names]
    conn.execute(
        metadata.tables["users"].insert(),
        [
            {
                "id": uid,
                "email": f"{name}-{uid.hex[:6]}@example.org",
                "password_hash": "not a real hash",
                "display_name": name.title(),
                "timezone": "UTC",
                "discreet_notifications": True,
                "push_inbox": True,
                "created_at": T0,
                "updated_at": T0,
                "password_changed_at": T0,
            }
            for uid, name in zip(ids, names, strict=True)
        ],
    )
    return ids


def _dynamic(conn: sa.Connection, a: uuid.UUID, b: uuid.UUID, state: str) -> uuid.UUID:
    did = uuid.uuid4()
    conn.execute(
        metadata.tables["dynamics"].insert(),
        {
            "id": did,
            "state": state,
            "pair_key": ":".join(sorted((str(a), str(b)))),
            "created_at": T0,
            "updated_at": T0,
        },
    )
    conn.execute(
        metadata.tables["memberships"].insert(),
        [
            {"id": uuid.uuid4(), "dynamic_id": did, "user_id": u, "role": "other", "joined_at": T0}
            for u in (a, b)
        ],
    )
    return did


def _answer(conn: sa.Connection, did: uuid.UUID, uid: uuid.UUID, answers: Answers, at: int) -> None:
    conn.execute(
        _old_answers.insert(),
        [
            {
                "id": uuid.uuid4(),
                "dynamic_id": did,
                "user_id": uid,
                "item": item,
                "answer": answer,
                "updated_at": T0 + timedelta(minutes=at + n),
            }
            for n, (item, answer) in enumerate(sorted(answers.items()))
        ],
    )


def _populate(conn: sa.Connection) -> dict[str, Any]:
    """Alice and Bob answer every pair of answers (and items only one answered); Alice and
    Carol's ended dynamic keeps one mutual desire."""
    alice_says, bob_says = every_pair_of_answers()
    alice, bob, carol = _people(conn, ["alice", "bob", "carol"])
    ours = _dynamic(conn, alice, bob, "active")
    ended = _dynamic(conn, alice, carol, "ended")
    # Bob answered first, then Alice: each shared desire was shown when Alice saved.
    _answer(conn, ours, bob, bob_says, at=0)
    _answer(conn, ours, alice, alice_says, at=100)
    _answer(conn, ended, carol, {"foot rubs": "maybe"}, at=0)
    _answer(conn, ended, alice, {"foot rubs": "yes", "care.praise": "no"}, at=200)
    return {
        "ids": {"alice": alice, "bob": bob, "carol": carol, "ours": ours, "ended": ended},
        "says": {"alice": alice_says, "bob": bob_says},
    }


async def _check(url: str, data: dict[str, Any]) -> None:
    ids, says = data["ids"], data["says"]
    engine = create_async_engine(url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            views = {
                who: await service.view_for(session, ids["ours"], ids[who])
                for who in ("alice", "bob")
            }
            for who, other in (("alice", "bob"), ("bob", "alice")):
                view = views[who]
                mine, theirs = says[who], says[other]
                # Every answer kept, either way and without a condition.
                assert {(e.item, e.answer.value) for e in view.mine} == set(mine.items())
                assert all(e.role is None and e.condition is None for e in view.mine)
                # What shows of the partner is exactly what the first version showed.
                assert {e.item: e.answer.value for e in view.partner} == expected_partner(
                    mine, theirs
                )
                assert view.matches == expected_matches(mine, theirs)
                assert view.talk == expected_talk(mine, theirs)
                # The reveals are the shared desires, dated when Alice's answer was saved.
                shared = set(expected_matches(mine, theirs)) | set(expected_talk(mine, theirs))
                assert {r.item for r in view.revealed} == shared
                assert len(shared) == 4
                keys = sorted(says["alice"])
                for fact in view.revealed:
                    assert fact.role is None and fact.withdrawn_by is None
                    assert fact.kind in ("match", "talk")
                    alice_saved = T0 + timedelta(minutes=100 + keys.index(fact.item))
                    assert fact.revealed_at == alice_saved
            ended = await service.view_for(session, ids["ended"], ids["carol"])
            assert [(r.item, r.kind) for r in ended.revealed] == [("foot rubs", "talk")]

            # Saving the same answers again reveals nothing new and tells Bob nothing.
            alice = await session.get(User, ids["alice"])
            assert alice is not None
            again = [ItemAnswer(item=i, answer=Answer(a)) for i, a in says["alice"].items()]
            after = await service.replace_mine(session, ids["ours"], alice, again)
            await session.commit()
            assert after.revealed == views["alice"].revealed
            told = await session.execute(
                select(Notification).where(col(Notification.user_id) == ids["bob"])
            )
            assert list(told.scalars()) == []
    finally:
        await engine.dispose()


async def _on(url: str, work: Callable[[sa.Connection], Any]) -> Any:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(work)
    finally:
        await engine.dispose()


def _count_answers(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(_old_answers)).scalar_one())


def test_the_migration_reveals_nothing_new(scratch_url: str) -> None:  # noqa: F811
    cfg = alembic_config(scratch_url)
    command.upgrade(cfg, BEFORE)
    data = asyncio.run(_on(scratch_url, _populate))
    command.upgrade(cfg, "head")
    asyncio.run(_check(scratch_url, data))
    # And back: the first version's answers are all there again.
    command.downgrade(cfg, BEFORE)
    rows = asyncio.run(_on(scratch_url, _count_answers))
    assert rows == len(data["says"]["alice"]) + len(data["says"]["bob"]) + 3
