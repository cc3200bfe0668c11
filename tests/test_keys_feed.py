"""Keys in the sync feed, through the real app on SQLite and PostgreSQL: a phone hears of the
partner's new key set and of a new pair key as it hears of anything else in the dynamic (the
feed, and so the live stream that pulls it), not only when it next asks for the keys."""

from __future__ import annotations

from typing import Any

import httpx

from tests import e2ee
from tests.helpers import Member, pair
from tests.helpers.keys import make_private, seal_pair_key, set_up_keys
from tests.helpers.members import register


async def keys_in_feed(client: httpx.AsyncClient, member: Member, cursor: str) -> list[Any]:
    page = (await client.get(f"/api/sync?cursor={cursor}", headers=member.headers)).json()
    return [c for c in page["changes"] if c["entity"] == "dynamic_keys"]


async def cursor_of(client: httpx.AsyncClient, member: Member) -> str:
    return str((await client.get("/api/sync", headers=member.headers)).json()["cursor"])


async def test_a_phone_hears_of_new_keys_through_the_feed(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    since = await cursor_of(client, bob)
    await set_up_keys(client, alice)
    heard = await keys_in_feed(client, bob, since)
    assert [c["id"] for c in heard] == [dynamic_id]
    assert heard[0]["data"]["state"] == "waiting"
    alice_key = next(m for m in heard[0]["data"]["members"] if m["user_id"] == alice.id)
    assert alice_key["public_key"] is not None

    # Bob's keys make the dynamic ready; Alice's phone seals the pair key; Bob's phone hears
    # of his own sealed copy, the one the REST route gives him.
    since = await cursor_of(client, alice)
    bob_keys = await set_up_keys(client, bob)
    ready = await keys_in_feed(client, alice, since)
    assert ready[0]["data"]["state"] == "ready_to_seal"
    since = await cursor_of(client, bob)
    pair_key = await seal_pair_key(
        client,
        alice,
        dynamic_id,
        {alice.id: alice_key["public_key"], bob.id: bob_keys.public_key},
    )
    sealed_for_bob = (await keys_in_feed(client, bob, since))[0]["data"]
    rest = (await client.get(f"/api/dynamics/{dynamic_id}/keys", headers=bob.headers)).json()
    assert sealed_for_bob == dict(rest, dynamic_id=dynamic_id)
    assert sealed_for_bob["state"] == "sealed"
    assert (
        e2ee.open_sealed(bob_keys.private_key, sealed_for_bob["pair_key"]["sealed_key"]) == pair_key
    )


async def test_another_couple_hears_nothing_of_these_keys(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    carol, dave = await register(client, "Carol"), await register(client, "Dave")
    await pair(client, carol, dave)
    dynamic_id = await pair(client, alice, bob)
    since = await cursor_of(client, carol)
    await make_private(client, alice, bob, dynamic_id)
    assert await keys_in_feed(client, carol, since) == []
