"""Checking in and answering check-ins through the API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.helpers.members import Member


def checkins_url(dynamic_id: str) -> str:
    return f"/api/dynamics/{dynamic_id}/checkins"


async def check_in(
    client: httpx.AsyncClient, member: Member, dynamic_id: str, **body: Any
) -> dict[str, Any]:
    """A check-in (mood 3 unless the body says otherwise), with an Idempotency-Key as the app
    sends it; returns the created check-in."""
    body.setdefault("mood", 3)
    response = await client.post(checkins_url(dynamic_id), json=body, headers=member.idem())
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def respond(
    client: httpx.AsyncClient, member: Member, checkin_id: str, kind: str, note: str | None = None
) -> httpx.Response:
    """The partner's answer to a check-in ("seen", "on_it", "done"), as the server answers it."""
    body: dict[str, Any] = {"kind": kind}
    if note is not None:
        body["note"] = note
    return await client.post(
        f"/api/checkins/{checkin_id}/responses", json=body, headers=member.headers
    )


async def answer(
    client: httpx.AsyncClient, member: Member, checkin_id: str, kind: str
) -> dict[str, Any]:
    """An answer that must be accepted; returns it."""
    response = await respond(client, member, checkin_id, kind)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data
