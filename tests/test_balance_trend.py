"""The balance week by week: GET /api/dynamics/{id}/balance/trend, on both databases.

Identical for both members (byte for byte), built from one read of the span (the number of
queries does not grow with the weeks asked), each week the same computation as a 7-day balance,
and the usual bounds and 404 for an outsider. The pure function's properties (swapping the
members swaps the trend) are in tests/test_balance.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

from tests.helpers import Member, check_in, error_code


def trend_url(dynamic_id: str) -> str:
    return f"/api/dynamics/{dynamic_id}/balance/trend"


@contextmanager
def counted(app: FastAPI) -> Iterator[list[str]]:
    """The SQL statements the app runs meanwhile."""
    statements: list[str] = []
    engine = app.state.db.engine.sync_engine

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_the_trend_is_the_same_for_both_and_reads_week_by_week(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    now = datetime.now(UTC)
    # Three weeks ago Alice gave much and received little; this week both are even.
    for hours in (1, 2):
        long_ago = (now - timedelta(days=17, hours=hours)).isoformat()
        await check_in(client, alice, dynamic_id, mood=2, gave=5, received=1, occurred_at=long_ago)
        await check_in(client, bob, dynamic_id, mood=4, gave=1, received=5, occurred_at=long_ago)
        recent = (now - timedelta(hours=hours)).isoformat()
        await check_in(client, alice, dynamic_id, mood=4, gave=3, received=3, occurred_at=recent)
        await check_in(client, bob, dynamic_id, mood=5, gave=3, received=3, occurred_at=recent)
    for_alice = await client.get(trend_url(dynamic_id), headers=alice.headers)
    for_bob = await client.get(trend_url(dynamic_id), headers=bob.headers)
    assert for_alice.status_code == for_bob.status_code == 200, for_alice.text
    assert for_alice.content == for_bob.content
    body = for_alice.json()
    assert body["dynamic_id"] == dynamic_id
    ids = sorted([alice.id, bob.id], key=uuid.UUID)
    assert [m["user_id"] for m in body["members"]] == ids
    weeks = body["weeks"]
    assert len(weeks) == 12  # the default
    ends = [datetime.fromisoformat(w["end"]) for w in weeks]
    starts = [datetime.fromisoformat(w["start"]) for w in weeks]
    assert ends[-1] == datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    assert all(e - s == timedelta(days=7) for s, e in zip(starts, ends, strict=True))
    assert starts[1:] == ends[:-1]
    by_week = {
        i: {m["user_id"]: m for m in w["members"]} for i, w in enumerate(weeks) if w["members"]
    }
    this_week, three_ago = (
        weeks[-1],
        next(w for w in weeks if any(m["checkins"] for m in w["members"]) and w is not weeks[-1]),
    )
    assert this_week["verdict"] == "balanced"
    assert this_week["equity_gap"] == 0.0
    assert three_ago["verdict"] == "imbalanced"
    alice_first = ids[0] == alice.id
    assert (three_ago["equity_gap"] < 0) == alice_first  # Alice got less back for what she gave
    moods = {m["user_id"]: m["mean_mood"] for m in three_ago["members"]}
    assert moods == {alice.id: 2.0, bob.id: 4.0}
    assert by_week[11][alice.id]["checkins"] == 2
    quiet = [w for w in weeks if not any(m["checkins"] for m in w["members"])]
    assert len(quiet) == 10
    assert all(w["verdict"] == "not_enough_data" and w["equity_gap"] is None for w in quiet)


async def test_the_trend_costs_the_same_few_queries_for_any_number_of_weeks(
    client: httpx.AsyncClient, app: FastAPI, alice: Member, bob: Member, dynamic_id: str
) -> None:
    now = datetime.now(UTC)
    for days in range(0, 28, 3):
        at = (now - timedelta(days=days, hours=1)).isoformat()
        await check_in(client, alice, dynamic_id, mood=3, gave=3, received=2, occurred_at=at)
        await check_in(client, bob, dynamic_id, mood=4, gave=2, received=3, occurred_at=at)
    counts = {}
    for weeks in (1, 12, 52, 104):
        with counted(app) as statements:
            response = await client.get(
                trend_url(dynamic_id), params={"weeks": weeks}, headers=alice.headers
            )
        assert response.status_code == 200, response.text
        assert len(response.json()["weeks"]) == weeks
        counts[weeks] = len(statements)
    # O(weeks) at most, and in fact constant: one read of the span, then pure arithmetic.
    assert len(set(counts.values())) == 1, counts
    assert counts[104] <= 12, counts


@pytest.mark.parametrize("weeks", ["0", "105", "-1", "x", "1.5", ""])
async def test_weeks_out_of_bounds(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str, weeks: str
) -> None:
    response = await client.get(
        trend_url(dynamic_id), params={"weeks": weeks}, headers=alice.headers
    )
    assert response.status_code == 422, response.text
    assert "weeks" in response.text


async def test_the_outsider_and_the_stranger_get_nothing(
    client: httpx.AsyncClient, alice: Member, eve: Member, dynamic_id: str
) -> None:
    foreign = await client.get(trend_url(dynamic_id), headers=eve.headers)
    assert foreign.status_code == 404
    missing = await client.get(trend_url(str(uuid.uuid4())), headers=alice.headers)
    assert missing.status_code == 404
    assert error_code(foreign) == error_code(missing)
    anonymous = await client.get(trend_url(dynamic_id))
    assert anonymous.status_code == 401
