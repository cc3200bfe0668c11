from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

PASSWORD = "correct horse battery"


@dataclass
class Member:
    id: str
    email: str
    name: str
    access_token: str
    refresh_token: str
    password: str = PASSWORD
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

    def idem(self, key: str | None = None) -> dict[str, str]:
        return {**self.headers, "Idempotency-Key": key or str(uuid.uuid4())}


async def register(
    client: httpx.AsyncClient,
    name: str,
    *,
    email: str | None = None,
    timezone: str = "Europe/Paris",
) -> Member:
    email = email or f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.org"
    response = await client.post(
        "/api/auth/register",
        json={"email": email, "password": PASSWORD, "display_name": name, "timezone": timezone},
    )
    assert response.status_code == 201, response.text
    body = response.json()
    return Member(
        id=body["user"]["id"],
        email=body["user"]["email"],
        name=name,
        access_token=body["access_token"],
        refresh_token=body["refresh_token"],
    )


async def pair(client: httpx.AsyncClient, inviter: Member, invitee: Member) -> str:
    invite = await client.post("/api/invites", json={}, headers=inviter.headers)
    assert invite.status_code == 201, invite.text
    accepted = await client.post(
        f"/api/invites/{invite.json()['code']}/accept", json={}, headers=invitee.headers
    )
    assert accepted.status_code == 201, accepted.text
    return str(accepted.json()["id"])


def error_code(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) >= {"detail", "code"}, body
    return str(body["code"])


async def check_in(
    client: httpx.AsyncClient, member: Member, dynamic_id: str, **body: Any
) -> dict[str, Any]:
    """A check-in by the API (mood 3 unless given), asserted made; its JSON."""
    body.setdefault("mood", 3)
    response = await client.post(
        f"/api/dynamics/{dynamic_id}/checkins", json=body, headers=member.headers
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data
