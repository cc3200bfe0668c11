from __future__ import annotations

import httpx

from tests.helpers import Member


async def test_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


async def test_pair_and_read(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    response = await client.get(f"/api/dynamics/{dynamic_id}", headers=alice.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == "active"
    assert {m["user_id"] for m in body["members"]} == {alice.id, bob.id}
