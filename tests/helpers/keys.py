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


async def make_private(
    client: httpx.AsyncClient, first: Member, second: Member, dynamic_id: str
) -> bytes:
    """Both members set up keys and the first seals a new pair key to both: the dynamic's
    words are private from here on. Returns the pair key."""
    first_keys, second_keys = await set_up_keys(client, first), await set_up_keys(client, second)
    key_id, pair_key = e2ee.new_pair_key()
    sealed = [
        {"user_id": first.id, "sealed_key": e2ee.seal_to(first_keys.public_key, pair_key)},
        {"user_id": second.id, "sealed_key": e2ee.seal_to(second_keys.public_key, pair_key)},
    ]
    response = await client.post(
        f"/api/dynamics/{dynamic_id}/pair-key",
        json={"key_id": key_id, "sealed": sealed},
        headers=first.idem(),
    )
    assert response.status_code == 201, response.text
    return pair_key
