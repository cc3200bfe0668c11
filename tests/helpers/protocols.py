"""Proposing protocols and agreeing to them through the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from tests.helpers.members import Member


def terms(*performers: Member, **overrides: Any) -> dict[str, Any]:
    """A proposal's body: a weekday-morning ritual that ``performers`` do, unless overridden."""
    body: dict[str, Any] = {
        "title": "Morning message",
        "description": "A short message before nine.",
        "kind": "ritual",
        "performer_ids": [p.id for p in performers],
        "schedule": {"times": ["08:30"], "weekdays": [0, 1, 2, 3, 4]},
        "review_on": None,
    }
    body.update(overrides)
    return body


async def propose(
    client: httpx.AsyncClient, member: Member, dynamic_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """A proposal that must be accepted; returns the protocol (its ETag is the header's)."""
    response = await client.post(
        f"/api/dynamics/{dynamic_id}/protocols", json=body, headers=member.headers
    )
    assert response.status_code == 201, response.text
    assert response.headers["etag"] == response.json()["etag"]
    data: dict[str, Any] = response.json()
    return data


async def agree(
    client: httpx.AsyncClient, member: Member, pid: str, version: int
) -> httpx.Response:
    return await client.post(
        f"/api/protocols/{pid}/agree", json={"version": version}, headers=member.headers
    )


async def active_protocol(
    client: httpx.AsyncClient,
    proposer: Member,
    partner: Member,
    dynamic_id: str,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Proposed by ``proposer`` (``terms(proposer)`` unless a body is given) and agreed by
    ``partner``: the protocol, in force."""
    created = await propose(client, proposer, dynamic_id, body or terms(proposer))
    response = await agree(client, partner, created["id"], created["version"])
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    assert data["status"] == "active"
    return data


async def complete(
    client: httpx.AsyncClient,
    member: Member,
    pid: str,
    occurred_at: datetime | str | None = None,
    note: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """A completion of the protocol by ``member`` (now unless ``occurred_at``), as answered."""
    body: dict[str, Any] = {}
    if occurred_at is not None:
        body["occurred_at"] = (
            occurred_at.isoformat() if isinstance(occurred_at, datetime) else occurred_at
        )
    if note is not None:
        body["note"] = note
    return await client.post(
        f"/api/protocols/{pid}/completions", json=body, headers=headers or member.headers
    )
