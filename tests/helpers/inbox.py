"""Reading a member's inbox through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers.members import Member


async def inbox(client: httpx.AsyncClient, member: Member, **params: Any) -> dict[str, Any]:
    """A page of the member's inbox (``items`` newest first, ``unread``, ``next_cursor``)."""
    response = await client.get("/api/notifications", params=params, headers=member.headers)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def notifications(client: httpx.AsyncClient, member: Member) -> list[dict[str, Any]]:
    """The member's notifications, newest first (up to 100)."""
    items: list[dict[str, Any]] = (await inbox(client, member, limit=100))["items"]
    return items


async def kinds(client: httpx.AsyncClient, member: Member) -> list[str]:
    """The kinds of the member's notifications, oldest first."""
    return [n["kind"] for n in reversed(await notifications(client, member))]
