"""Lists start from the caller's membership.

The routes check membership first (another dynamic is a 404), but the statements under them do
not rely on that check: ``dynamics.repository.readable`` starts each one from the caller's
memberships, so even a query naming another dynamic's id returns nothing. Here the repository
lists are called directly, as Eve, with Alice and Bob's ids. Both databases.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlmodel import col

from app.checkins import repository as checkins_repository
from app.checkins.models import CheckIn
from app.dynamics import repository as dynamics_repository
from app.dynamics.models import Dynamic
from app.dynamics.repository import readable
from app.protocols import repository as protocols_repository
from app.protocols.models import Completion, Protocol
from tests.helpers import Member, pair, register

TERMS = {
    "title": "Evening tea",
    "description": "Tea together before bed.",
    "kind": "ritual",
    "schedule": {"times": ["21:00"], "weekdays": [0, 1, 2, 3, 4, 5, 6]},
    "review_on": None,
}


async def fill(client: httpx.AsyncClient, first: Member, second: Member, dynamic_id: str) -> str:
    """An active protocol with a completion, and a check-in, in the dynamic; the protocol id."""
    proposed = await client.post(
        f"/api/dynamics/{dynamic_id}/protocols",
        json={**TERMS, "performer_ids": [second.id]},
        headers=first.headers,
    )
    assert proposed.status_code == 201, proposed.text
    pid = str(proposed.json()["id"])
    agreed = await client.post(
        f"/api/protocols/{pid}/agree", json={"version": 1}, headers=second.headers
    )
    assert agreed.status_code == 200, agreed.text
    done = await client.post(f"/api/protocols/{pid}/completions", json={}, headers=second.headers)
    assert done.status_code == 201, done.text
    checked = await client.post(
        f"/api/dynamics/{dynamic_id}/checkins",
        json={"mood": 4, "energy": 3, "needs": []},
        headers=first.headers,
    )
    assert checked.status_code == 201, checked.text
    return pid


async def test_a_list_never_reaches_another_dynamics_rows(
    app: FastAPI, client: httpx.AsyncClient, alice: Member, bob: Member, eve: Member
) -> None:
    ours = await pair(client, alice, bob)
    carol = await register(client, "Carol")
    theirs = await pair(client, eve, carol)
    our_protocol = await fill(client, alice, bob, ours)
    await fill(client, eve, carol, theirs)
    alice_id, eve_id = uuid.UUID(alice.id), uuid.UUID(eve.id)
    ours_id, theirs_id = uuid.UUID(ours), uuid.UUID(theirs)

    async with app.state.db.reader() as session:

        async def dynamics_seen(stmt: Any) -> set[uuid.UUID]:
            return {row.dynamic_id for row in (await session.execute(stmt)).scalars()}

        for model in (Protocol, Completion, CheckIn):
            # Unfiltered, each member's statement holds their own dynamic's rows and only those.
            assert await dynamics_seen(readable(model, alice_id)) == {ours_id}
            assert await dynamics_seen(readable(model, eve_id)) == {theirs_id}
            # Naming the other dynamic does not get around it.
            named = readable(model, eve_id).where(col(model.dynamic_id) == ours_id)
            assert await dynamics_seen(named) == set()
        dynamics = (await session.execute(readable(Dynamic, eve_id))).scalars()
        assert {d.id for d in dynamics} == {theirs_id}

        page: dict[str, Any] = {"cursor": None, "limit": 50}
        protocols, _ = await protocols_repository.protocols_of(
            session, ours_id, eve_id, status=None, **page
        )
        assert protocols == []
        assert (
            len(
                (
                    await protocols_repository.protocols_of(
                        session, ours_id, alice_id, status=None, **page
                    )
                )[0]
            )
            == 1
        )
        completions, _ = await protocols_repository.completions_page(
            session, uuid.UUID(our_protocol), eve_id, **page
        )
        assert completions == []
        assert (
            len(
                (
                    await protocols_repository.completions_page(
                        session, uuid.UUID(our_protocol), alice_id, **page
                    )
                )[0]
            )
            == 1
        )
        bounds: dict[str, Any] = {"member": None, "since": None, "until": None, **page}
        checkins, _ = await checkins_repository.page(session, ours_id, eve_id, **bounds)
        assert checkins == []
        assert len((await checkins_repository.page(session, ours_id, alice_id, **bounds))[0]) == 1
        listed, _ = await dynamics_repository.dynamics_of(session, eve_id, state=None, **page)
        assert [d.id for d in listed] == [theirs_id]
