"""Polling is cheap: reads carry an ETag of their content, and a client that sends it back gets
an empty 304 until something changed."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import Member

POLLED = [
    "/api/dynamics/{d}/today",
    "/api/dynamics/{d}/balance",
    "/api/dynamics",
    "/api/dynamics/{d}",
    "/api/dynamics/{d}/checkins",
    "/api/dynamics/{d}/protocols",
    "/api/dynamics/{d}/limits",
    "/api/notifications",
    "/api/me",
]


@pytest.mark.parametrize("template", POLLED)
async def test_unchanged_reads_are_304_until_something_changes(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str, template: str
) -> None:
    path = template.format(d=dynamic_id)
    first = await client.get(path, headers=alice.headers)
    assert first.status_code == 200, first.text
    tag = first.headers["etag"]
    assert tag.startswith('W/"')
    same = await client.get(path, headers={**alice.headers, "If-None-Match": tag})
    assert same.status_code == 304
    assert same.content == b"" and same.headers["etag"] == tag
    other = await client.get(path, headers={**alice.headers, "If-None-Match": 'W/"nope", "x"'})
    assert other.status_code == 200 and other.json() == first.json()

    # Something changes that every one of these views shows.
    checked = await client.post(
        f"/api/dynamics/{dynamic_id}/checkins",
        json={"mood": 2, "needs": ["rest"]},
        headers=bob.headers,
    )
    assert checked.status_code == 201
    await client.patch("/api/me", json={"pronouns": "she/her"}, headers=alice.headers)
    await client.put(
        f"/api/dynamics/{dynamic_id}/limits/mine",
        json={"items": [{"item": "care.praise", "answer": "no"}]},
        headers=bob.headers,
    )
    await client.post(
        f"/api/dynamics/{dynamic_id}/protocols",
        json={"title": "Tea", "kind": "care", "performer_ids": [bob.id]},
        headers=bob.headers,
    )
    await client.post(f"/api/dynamics/{dynamic_id}/yellow", json={}, headers=bob.headers)
    changed = await client.get(path, headers={**alice.headers, "If-None-Match": tag})
    assert changed.status_code == 200, path
    assert changed.headers["etag"] != tag


async def test_a_protocol_keeps_its_own_etag_for_edits(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    proposed = await client.post(
        f"/api/dynamics/{dynamic_id}/protocols",
        json={"title": "Tea", "kind": "care", "performer_ids": [bob.id]},
        headers=alice.headers,
    )
    pid = proposed.json()["id"]
    read = await client.get(f"/api/protocols/{pid}", headers=alice.headers)
    assert read.headers["etag"] == read.json()["etag"]
    again = await client.get(
        f"/api/protocols/{pid}", headers={**alice.headers, "If-None-Match": read.headers["etag"]}
    )
    assert again.status_code == 200  # its ETag is for If-Match; reads of it are always full
