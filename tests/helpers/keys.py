"""Keys through the API, with a device played by PyNaCl (tests/e2ee.py): key setup, and a
dynamic made private by a pair key sealed to both members."""

from __future__ import annotations

from typing import Any

import httpx

from tests import e2ee
from tests.helpers.members import Member


async def kdf(client: httpx.AsyncClient, member: Member) -> dict[str, Any]:
    response = await client.get("/api/keys/kdf", headers=member.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def set_up_keys(client: httpx.AsyncClient, member: Member) -> e2ee.DeviceKeys:
    keys = e2ee.DeviceKeys.generate(member.id)
    body = keys.create_body(member.password, await kdf(client, member))
    response = await client.post("/api/keys/mine", json=body, headers=member.idem())
    assert response.status_code == 201, response.text
    return keys


async def seal_pair_key(
    client: httpx.AsyncClient, by: Member, dynamic_id: str, public_keys: dict[str, str]
) -> bytes:
    """A new pair key sealed to each member's public key (user id -> key), as ``by``'s device
    makes it. Returns the pair key."""
    key_id, pair_key = e2ee.new_pair_key()
    sealed = [
        {"user_id": user_id, "sealed_key": e2ee.seal_to(public_key, pair_key)}
        for user_id, public_key in public_keys.items()
    ]
    response = await client.post(
        f"/api/dynamics/{dynamic_id}/pair-key",
        json={"key_id": key_id, "sealed": sealed},
        headers=by.idem(),
    )
    assert response.status_code == 201, response.text
    return pair_key


async def make_private(
    client: httpx.AsyncClient, first: Member, second: Member, dynamic_id: str
) -> bytes:
    """Both members set up keys and the first seals a new pair key to both: the dynamic's
    words are private from here on. Returns the pair key."""
    first_keys, second_keys = await set_up_keys(client, first), await set_up_keys(client, second)
    return await seal_pair_key(
        client,
        first,
        dynamic_id,
        {first.id: first_keys.public_key, second.id: second_keys.public_key},
    )
