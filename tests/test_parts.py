"""A new part is one declaration: given to the app, a made-up part is served, synced to both
partners, exported and erased with its author's account, and nothing central names it.

The made-up part keeps a word per member in a dynamic, in memory (a table would need a
migration, which is not what is tested here); everything else is the real app on the real
database.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, status
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.deps import CallerDep
from app.core.declaration import Export, Part, SyncEntity
from app.core.deps import SessionDep
from app.dynamics import repository as dynamics_repository
from app.main import create_app
from app.parts import PARTS
from app.sync import record as sync
from tests.conftest import make_settings
from tests.helpers import PASSWORD, Member, pair, register

WORD = "word"


class WordIn(BaseModel):
    word: str


class Word(BaseModel):
    id: uuid.UUID
    dynamic_id: uuid.UUID
    user_id: uuid.UUID
    word: str


def words_part() -> tuple[Part, dict[uuid.UUID, Word]]:
    """The part, and what it holds."""
    said: dict[uuid.UUID, Word] = {}
    router = APIRouter(prefix="/api/dynamics/{dynamic_id}/words", tags=["words"])

    @router.post("", status_code=status.HTTP_201_CREATED, response_model=Word)
    async def say(
        dynamic_id: uuid.UUID, body: WordIn, caller: CallerDep, session: SessionDep
    ) -> Word:
        dynamic, _ = await dynamics_repository.member_dynamic(session, dynamic_id, caller.id)
        word = Word(id=uuid.uuid4(), dynamic_id=dynamic.id, user_id=caller.id, word=body.word)
        said[word.id] = word
        await sync.in_dynamic(session, dynamic.id, WORD, word.id)
        return word

    async def load(_: AsyncSession, __: uuid.UUID, ids: set[uuid.UUID]) -> dict[uuid.UUID, Word]:
        return {i: said[i] for i in ids if i in said}

    def of(user_id: uuid.UUID) -> list[Word]:
        return [w for w in said.values() if w.user_id == user_id]

    async def gone(session: AsyncSession, user_id: uuid.UUID) -> None:
        for word in of(user_id):
            await sync.in_dynamic(session, word.dynamic_id, WORD, word.id, "delete")

    async def erase(_: AsyncSession, user_id: uuid.UUID) -> None:
        for word in of(user_id):
            del said[word.id]

    async def collect(_: AsyncSession, user_id: uuid.UUID) -> dict[str, Any]:
        return {"words": [w.model_dump(mode="json") for w in of(user_id)]}

    part = Part(
        name="words",
        routers=(router,),
        sync=(SyncEntity(WORD, load, account_deleted=gone),),
        export=Export({"words": list[Word]}, collect),
        erase=erase,
    )
    return part, said


async def _changes(
    client: httpx.AsyncClient, member: Member, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str]:
    params = {"cursor": cursor} if cursor else {}
    page = (await client.get("/api/sync", params=params, headers=member.headers)).json()
    assert not page["has_more"]
    return [c for c in page["changes"] if c["entity"] == WORD], page["cursor"]


@pytest.fixture
async def words_app(
    app: FastAPI,  # the suite's app: asked for so that the tables are emptied after the test
    database_url: str,
    tmp_path: Path,
) -> Any:
    part, said = words_part()
    application = create_app(make_settings(database_url, tmp_path), parts=(*PARTS, part))
    yield application, said
    await application.state.db.dispose()


async def test_a_new_part_needs_nothing_but_its_declaration(words_app: Any) -> None:
    application, said = words_app
    schema = application.openapi()
    assert "/api/dynamics/{dynamic_id}/words" in schema["paths"]
    assert "words" in schema["components"]["schemas"]["AccountExport"]["properties"]
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        alice, bob, eve = [await register(client, n) for n in ("Alice", "Bob", "Eve")]
        dynamic_id = await pair(client, alice, bob)
        url = f"/api/dynamics/{dynamic_id}/words"
        assert (await client.post(url, json={"word": "x"}, headers=eve.headers)).status_code == 404
        made = await client.post(url, json={"word": "gently"}, headers=alice.headers)
        assert made.status_code == 201, made.text
        word = made.json()

        # Synced to both partners, as the route showed it.
        for member in (alice, bob):
            changes, _ = await _changes(client, member)
            assert [(c["op"], c["data"]) for c in changes] == [("upsert", word)]
        _, bobs_cursor = await _changes(client, bob)
        assert (await _changes(client, eve))[0] == []

        # In its author's export, and only theirs.
        exported = (await client.get("/api/me/export", headers=alice.headers)).json()
        assert exported["words"] == [word]
        assert (await client.get("/api/me/export", headers=bob.headers)).json()["words"] == []

        # Gone with its author's account: the partner's feed hears of it, and it is erased.
        deleted = await client.request(
            "DELETE", "/api/me", json={"password": PASSWORD}, headers=alice.headers
        )
        assert deleted.status_code == 204, deleted.text
        changes, _ = await _changes(client, bob, bobs_cursor)
        assert [(c["op"], c["id"]) for c in changes] == [("delete", word["id"])]
        assert said == {}
