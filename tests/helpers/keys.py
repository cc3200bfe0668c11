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
    client: httpx.AsyncClient,
    by: Member,
    dynamic_id: str,
    public_keys: dict[str, str],
    *,
    partner_may_be_first: e2ee.DeviceKeys | None = None,
) -> bytes:
    """A new pair key sealed to each member's public key (user id -> key), as ``by``'s device
    makes it. Returns the pair key. A partner's phone makes one too the moment it sees both
    keys: given ``by``'s keys, the partner's, when stored first (200), is opened and returned."""
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
    if response.status_code == 200 and partner_may_be_first is not None:
        return opened_copy(response.json()["pair_key"], dynamic_id, partner_may_be_first)
    assert response.status_code == 201, response.text
    return pair_key


def opened_copy(copy: dict[str, Any], dynamic_id: str, keys: e2ee.DeviceKeys) -> bytes:
    """The pair key from one's copy of it, as the device opens it: checked against who sealed it."""
    assert copy["sealed_to"] == keys.public_key, copy
    context = e2ee.pair_key_context(dynamic_id, copy["key_id"], copy["sealer_id"], keys.user_id)
    return e2ee.open_pair_key_from(
        copy["sealed_key"], keys.private_key, copy["sealer_public_key"], context
    )


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
