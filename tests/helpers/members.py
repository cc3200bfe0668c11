"""Signing up, signing in and pairing through the API."""

from __future__ import annotations

import dataclasses
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


async def couple(
    client: httpx.AsyncClient,
    first: str = "Alice",
    second: str = "Bob",
    *,
    timezone: str = "Europe/Paris",
) -> tuple[Member, Member, str]:
    """Two people signed up and paired (the first invites): both, and their dynamic's id."""
    inviter = await register(client, first, timezone=timezone)
    invitee = await register(client, second, timezone=timezone)
    return inviter, invitee, await pair(client, inviter, invitee)


async def login(
    client: httpx.AsyncClient, email: str, password: str, *, user_agent: str | None = None
) -> httpx.Response:
    headers = {"User-Agent": user_agent} if user_agent else {}
    return await client.post(
        "/api/auth/login", json={"email": email, "password": password}, headers=headers
    )


async def sign_in(
    client: httpx.AsyncClient, member: Member, *, user_agent: str | None = None
) -> Member:
    """The same person signed in again: another device's session."""
    response = await login(client, member.email, member.password, user_agent=user_agent)
    assert response.status_code == 200, response.text
    body = response.json()
    return dataclasses.replace(
        member, access_token=body["access_token"], refresh_token=body["refresh_token"]
    )
