"""The balance of equity and importance.

Three layers:

- properties of the pure ``app.balance.compute.compute`` with hypothesis (no database): swapping
  the members swaps the answer, every gap is in [-1, 1], means stay on their scales, shares add
  up, too little data is said so, facts outside the window or of others are ignored;
- worked examples with exact numbers: the same numbers as ``docs/balance.md``, so the document
  and the code cannot drift apart;
- the API on both databases: the same JSON for both members, the ``days`` bounds, the outsider,
  an imbalanced scenario naming the right members, completions and acknowledgements counted.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.balance.compute import (
    DRIFTING,
    IMBALANCED,
    LOW_MOOD,
    MIN_CHECKINS,
    Balance,
    CheckInFact,
    CompletionFact,
    Gap,
    NextStep,
    compute,
    trend,
)
from tests.helpers import Member, error_code

# Fixed ids, so that the canonical order (by id) is known: A sorts before B, B before C.
A = uuid.UUID("00000000-0000-4000-8000-00000000000a")
B = uuid.UUID("00000000-0000-4000-8000-00000000000b")
C = uuid.UUID("00000000-0000-4000-8000-00000000000c")  # someone else: never counted
NAMES = {A: "Alice", B: "Bob", C: "Carol"}
START = datetime(2026, 1, 5, tzinfo=UTC)
END = START + timedelta(days=28)


def run(
    checkins: list[CheckInFact],
    completions: list[CompletionFact] | None = None,
    *,
    members: tuple[uuid.UUID, uuid.UUID] = (A, B),
    start: datetime = START,
    end: datetime = END,
) -> Balance:
    return compute(members, checkins, completions or [], start=start, end=end, names=NAMES)


# --- properties ---------------------------------------------------------------------------------

SCALE = st.integers(1, 5)


@st.composite
def instants(draw: st.DrawFn, *, inside: bool = True) -> datetime:
    if inside:
        offset = draw(st.integers(0, int((END - START).total_seconds() * 1000) - 1))
        return START + timedelta(milliseconds=offset)
    before = draw(st.booleans())
    offset = draw(st.integers(0, 40 * 24 * 3600 * 1000))
    if before:
        return START - timedelta(milliseconds=offset + 1)
    return END + timedelta(milliseconds=offset)


@st.composite
def checkin_facts(
    draw: st.DrawFn, *, users: tuple[uuid.UUID, ...] = (A, B), inside: bool = True
) -> CheckInFact:
    needs = draw(st.integers(0, 5))
    return CheckInFact(
        user_id=draw(st.sampled_from(users)),
        occurred_at=draw(instants(inside=inside)),
        mood=draw(SCALE),
        energy=draw(st.none() | SCALE),
        gave=draw(st.none() | SCALE),
        received=draw(st.none() | SCALE),
        deal=draw(st.none() | st.integers(-3, 3)),
        needs=needs,
        answered=draw(st.booleans()) if needs else False,
    )


@st.composite
def completion_facts(
    draw: st.DrawFn, *, users: tuple[uuid.UUID, ...] = (A, B), inside: bool = True
) -> CompletionFact:
    return CompletionFact(
        user_id=draw(st.sampled_from(users)),
        occurred_at=draw(instants(inside=inside)),
        acknowledged=draw(st.booleans()),
    )


@st.composite
def calm_facts(draw: st.DrawFn) -> CheckInFact:
    """Answers close to each other, so that balanced, drifting and the thresholds between them
    come up as often as the extremes."""
    needs = draw(st.integers(0, 2))
    return CheckInFact(
        user_id=draw(st.sampled_from((A, B))),
        occurred_at=draw(instants()),
        mood=draw(st.integers(2, 5)),
        gave=draw(st.none() | st.integers(3, 4)),
        received=draw(st.none() | st.integers(3, 4)),
        deal=draw(st.none() | st.integers(-1, 1)),
        needs=needs,
        answered=draw(st.booleans()) if needs else False,
    )


# Any answers, or close ones; mostly enough data for a verdict, sometimes not.
CHECKINS = st.lists(checkin_facts(), max_size=30) | st.lists(calm_facts(), max_size=20)
COMPLETIONS = st.lists(completion_facts(), max_size=10)
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def negated(value: float | None) -> float | None:
    return None if value is None else -value


def assert_mirrored(gap: Gap, mirror: Gap) -> None:
    assert mirror.value == negated(gap.value)
    assert mirror.parts.keys() == gap.parts.keys()
    for name, value in gap.parts.items():
        assert mirror.parts[name] == negated(value), name


@PROPERTY
@given(checkins=CHECKINS, completions=COMPLETIONS)
def test_swapping_the_members_swaps_the_result(
    checkins: list[CheckInFact], completions: list[CompletionFact]
) -> None:
    ab = run(checkins, completions, members=(A, B))
    ba = run(checkins, completions, members=(B, A))
    assert ba.members == (ab.members[1], ab.members[0])
    assert_mirrored(ab.equity, ba.equity)
    assert_mirrored(ab.importance, ba.importance)
    assert ba.under_benefited == ab.under_benefited
    assert ba.over_benefited == ab.over_benefited
    assert ba.verdict == ab.verdict
    assert ba.reasons == ab.reasons
    assert ba.next_step == ab.next_step
    assert [d.date for d in ba.series] == [d.date for d in ab.series]
    for mine, theirs in zip(ab.series, ba.series, strict=True):
        assert theirs.members == (mine.members[1], mine.members[0])


@PROPERTY
@given(checkins=CHECKINS, completions=COMPLETIONS)
def test_values_stay_in_their_ranges(
    checkins: list[CheckInFact], completions: list[CompletionFact]
) -> None:
    result = run(checkins, completions)
    for gap in (result.equity, result.importance):
        values = [gap.value, *gap.parts.values()]
        for value in values:
            assert value is None or -1.0 <= value <= 1.0
    for m in result.members:
        for mean in (m.mean_mood, m.mean_energy, m.mean_gave, m.mean_received):
            assert mean is None or 1.0 <= mean <= 5.0
        assert m.mean_deal is None or -3.0 <= m.mean_deal <= 3.0
        assert 0 <= m.needs_answered <= m.needs_raised
        assert 0 <= m.completions_acknowledged <= m.completions_performed
        assert m.checkin_share is None or 0.0 <= m.checkin_share <= 1.0
    for day in result.series:
        for s in day.members:
            assert 0 <= s.needs_answered <= s.needs_raised
            for mean in (s.mean_mood, s.mean_gave, s.mean_received):
                assert mean is None or 1.0 <= mean <= 5.0


@PROPERTY
@given(checkins=CHECKINS)
def test_counts_add_up(checkins: list[CheckInFact]) -> None:
    result = run(checkins)
    a, b = result.members
    assert a.checkins + b.checkins == len(checkins)
    if checkins:
        assert a.checkin_share is not None and b.checkin_share is not None
        # Each share is rounded to 3 places on its own.
        assert a.checkin_share + b.checkin_share == pytest.approx(1.0, abs=0.0011)
    else:
        assert a.checkin_share is None and b.checkin_share is None
    # The daily series adds up to the totals.
    for index, member in enumerate(result.members):
        days = [d.members[index] for d in result.series]
        assert all(s.user_id == member.user_id for s in days)
        assert sum(s.checkins for s in days) == member.checkins
        assert sum(s.needs_raised for s in days) == member.needs_raised
        assert sum(s.needs_answered for s in days) == member.needs_answered
    assert [d.date for d in result.series] == [START.date() + timedelta(days=n) for n in range(28)]


@PROPERTY
@given(checkins=CHECKINS, completions=COMPLETIONS)
def test_verdict_follows_from_the_data(
    checkins: list[CheckInFact], completions: list[CompletionFact]
) -> None:
    result = run(checkins, completions)
    assert result.verdict in {"balanced", "drifting", "imbalanced", "not_enough_data"}
    assert result.reasons, "every verdict says why"
    too_few = any(m.checkins < MIN_CHECKINS for m in result.members)
    assert (result.verdict == "not_enough_data") == too_few
    if too_few:
        assert result.under_benefited is None and result.over_benefited is None
    named = {result.under_benefited, result.over_benefited}
    if result.under_benefited is None:
        assert result.over_benefited is None
    else:
        assert named == {A, B}
        assert result.equity.value is not None
        assert abs(result.equity.value) >= DRIFTING
        # Equity > 0: the first member (A) receives more for what they give.
        assert result.over_benefited == (A if result.equity.value > 0 else B)
        assert result.verdict in {"drifting", "imbalanced"}
        if abs(result.equity.value) >= IMBALANCED:
            assert result.verdict == "imbalanced"
    if result.verdict == "balanced":
        assert result.equity.value is None or abs(result.equity.value) < DRIFTING
        for part in result.importance.parts.values():
            assert part is None or abs(part) < DRIFTING
        for m in result.members:
            assert m.mean_mood is not None and m.mean_mood > LOW_MOOD


@PROPERTY
@given(completions=COMPLETIONS)
def test_no_check_ins_is_not_enough_data(completions: list[CompletionFact]) -> None:
    result = run([], completions)
    assert result.verdict == "not_enough_data"
    assert result.equity == Gap(None, {"ratio": None, "received": None, "deal": None})
    assert result.importance == Gap(None, {"checkin_share": None, "needs_answered": None})
    assert result.under_benefited is None and result.over_benefited is None
    assert result.reasons == (
        f"Too early to tell: Alice and Bob need at least {MIN_CHECKINS} check-ins in these "
        "four weeks.",
    )
    assert all(s.checkins == 0 for d in result.series for s in d.members)


@PROPERTY
@given(
    many=st.lists(checkin_facts(users=(A,)), min_size=MIN_CHECKINS, max_size=15),
    few=st.lists(checkin_facts(users=(B,)), max_size=MIN_CHECKINS - 1),
    swap=st.booleans(),
)
def test_fewer_than_two_check_ins_for_a_member_is_not_enough_data(
    many: list[CheckInFact], few: list[CheckInFact], swap: bool
) -> None:
    result = run(many + few, members=(B, A) if swap else (A, B))
    assert result.verdict == "not_enough_data"
    assert result.reasons == (
        f"Too early to tell: Bob needs at least {MIN_CHECKINS} check-ins in these four weeks.",
    )
    assert result.under_benefited is None and result.over_benefited is None


@PROPERTY
@given(
    checkins=CHECKINS,
    completions=COMPLETIONS,
    outside=st.lists(checkin_facts(users=(A, B, C), inside=False), max_size=10),
    strangers=st.lists(checkin_facts(users=(C,)), max_size=5),
    outside_done=st.lists(completion_facts(users=(A, B, C), inside=False), max_size=5),
    strangers_done=st.lists(completion_facts(users=(C,)), max_size=5),
)
def test_facts_outside_the_window_or_of_others_are_ignored(
    checkins: list[CheckInFact],
    completions: list[CompletionFact],
    outside: list[CheckInFact],
    strangers: list[CheckInFact],
    outside_done: list[CompletionFact],
    strangers_done: list[CompletionFact],
) -> None:
    plain = run(checkins, completions)
    noisy = run(
        outside + checkins + strangers,
        strangers_done + completions + outside_done,
    )
    assert noisy == plain


@PROPERTY
@given(checkins=CHECKINS)
def test_the_window_is_half_open(checkins: list[CheckInFact]) -> None:
    at_start = CheckInFact(user_id=A, occurred_at=START, mood=1)
    at_end = CheckInFact(user_id=A, occurred_at=END, mood=1)
    with_start = run([*checkins, at_start])
    assert with_start.members[0].checkins == run(checkins).members[0].checkins + 1
    assert run([*checkins, at_end]) == run(checkins)


@PROPERTY
@given(checkins=CHECKINS, completions=COMPLETIONS)
def test_the_order_of_the_facts_does_not_matter(
    checkins: list[CheckInFact], completions: list[CompletionFact]
) -> None:
    assert run(list(reversed(checkins)), list(reversed(completions))) == run(checkins, completions)


def test_series_days_are_utc_days_of_the_window() -> None:
    start = datetime(2026, 3, 1, tzinfo=UTC)
    late = CheckInFact(user_id=A, occurred_at=datetime(2026, 3, 1, 23, 59, tzinfo=UTC), mood=4)
    # The same instant written with another offset is still the first of March in UTC.
    plus_two = late.occurred_at.astimezone(timezone(timedelta(hours=2)))
    early = CheckInFact(user_id=B, occurred_at=datetime(2026, 3, 2, 0, 0, tzinfo=UTC), mood=2)
    result = run(
        [CheckInFact(user_id=A, occurred_at=plus_two, mood=4), early],
        start=start,
        end=start + timedelta(days=3),
    )
    assert [d.date for d in result.series] == [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
    assert [(d.members[0].checkins, d.members[1].checkins) for d in result.series] == [
        (1, 0),
        (0, 1),
        (0, 0),
    ]


# --- worked examples (the numbers in docs/balance.md) -------------------------------------------


def facts(user: uuid.UUID, *rows: dict[str, Any]) -> list[CheckInFact]:
    """One check-in per row, a day apart from the window's start."""
    return [
        CheckInFact(user_id=user, occurred_at=START + timedelta(days=n, hours=9), **row)
        for n, row in enumerate(rows)
    ]


def test_example_1_balanced() -> None:
    checkins = facts(
        A,
        {"mood": 4, "gave": 4, "received": 4, "needs": 1, "answered": True},
        {"mood": 4, "gave": 4, "received": 3, "needs": 1, "answered": True},
    ) + facts(
        B,
        {"mood": 3, "gave": 3, "received": 4},
        {"mood": 5, "gave": 4, "received": 4, "needs": 2, "answered": True},
    )
    result = run(checkins)
    a, b = result.members
    assert (a.mean_mood, a.mean_gave, a.mean_received) == (4.0, 4.0, 3.5)
    assert (b.mean_mood, b.mean_gave, b.mean_received) == (4.0, 3.5, 4.0)
    assert (a.needs_raised, a.needs_answered, b.needs_raised, b.needs_answered) == (2, 2, 2, 2)
    # ratio: ln(3.5/4) - ln(4/3.5) = 2 ln(0.875) = -0.26706; / ln 25 = -0.08297
    # received: (3.5 - 4.0) / 4 = -0.125; deal: nobody answered it.
    assert result.equity.parts == {"ratio": -0.083, "received": -0.125, "deal": None}
    assert result.equity.value == -0.104  # (-0.083 - 0.125) / 2
    assert result.importance.parts == {"checkin_share": 0.0, "needs_answered": 0.0}
    assert result.importance.value == 0.0
    assert (a.checkin_share, b.checkin_share) == (0.5, 0.5)
    assert result.verdict == "balanced"
    assert (result.under_benefited, result.over_benefited) == (None, None)
    assert result.reasons == (
        "What each of you gives and receives is in proportion, and both of you are heard.",
    )


def test_example_2_imbalanced_equity() -> None:
    alice = {"mood": 3, "gave": 5, "received": 2, "deal": -2}
    bob = {"mood": 4, "gave": 2, "received": 5, "deal": 2}
    result = run(facts(A, alice, alice, alice) + facts(B, bob, bob, bob))
    # ratio: ln(2/5) - ln(5/2) = -1.83258; / ln 25 (3.21888) = -0.56932
    # received: (2 - 5) / 4 = -0.75; deal: (-2 - 2) / 6 = -0.66667
    assert result.equity.parts == {"ratio": -0.569, "received": -0.75, "deal": -0.667}
    assert result.equity.value == -0.662  # (-0.569 - 0.75 - 0.667) / 3 = -0.66200
    assert result.importance.parts == {"checkin_share": 0.0, "needs_answered": None}
    assert result.verdict == "imbalanced"
    assert result.under_benefited == A
    assert result.over_benefited == B
    assert result.reasons == (
        "Alice has been giving more than receiving these four weeks.",
        "Bob has been receiving more than giving these four weeks.",
    )


def test_example_3_drifting_importance() -> None:
    steady = {"mood": 4, "gave": 3, "received": 3}
    checkins = facts(
        A,
        {**steady, "needs": 2, "answered": True},
        {**steady, "needs": 1, "answered": True},
        {**steady, "needs": 1},
    ) + facts(
        B,
        {**steady, "needs": 1, "answered": True},
        {**steady, "needs": 1, "answered": True},
    )
    result = run(checkins)
    a, b = result.members
    assert (a.checkins, b.checkins) == (3, 2)
    assert (a.checkin_share, b.checkin_share) == (0.6, 0.4)
    assert (a.needs_raised, a.needs_answered, b.needs_raised, b.needs_answered) == (4, 3, 2, 2)
    # checkin_share: (3 - 2) / 5 = 0.2; needs_answered: 3/4 - 2/2 = -0.25
    assert result.importance.parts == {"checkin_share": 0.2, "needs_answered": -0.25}
    assert result.importance.value == -0.025
    assert result.equity.parts == {"ratio": 0.0, "received": 0.0, "deal": None}
    assert result.equity.value == 0.0
    assert result.verdict == "drifting"  # the largest signal is 0.25: >= 0.15, < 0.30
    assert (result.under_benefited, result.over_benefited) == (None, None)
    assert result.reasons == (
        "Most check-ins these four weeks came from Alice (3 of 5): hearing from both of you keeps "
        "the picture true.",
        "3 of Alice's 4 needs were answered; both of Bob's needs were answered.",
    )


def test_example_4_low_mood_and_unanswered_needs() -> None:
    checkins = facts(
        A,
        {"mood": 2, "gave": 3, "received": 3, "needs": 2},
        {"mood": 2, "gave": 3, "received": 3, "needs": 1},
    ) + facts(
        B,
        {"mood": 4, "gave": 3, "received": 3},
        {"mood": 5, "gave": 3, "received": 3},
    )
    result = run(checkins)
    a, _ = result.members
    assert a.mean_mood == LOW_MOOD
    assert (a.needs_raised, a.needs_answered) == (3, 0)
    # Bob raised no needs, so there is no needs_answered comparison: the rule of "3 or more needs,
    # fewer than half answered" speaks instead.
    assert result.importance.parts == {"checkin_share": 0.0, "needs_answered": None}
    assert result.equity.value == 0.0
    assert result.verdict == "drifting"
    assert result.reasons == (
        "None of Alice's 3 needs were answered.",
        "Alice has been feeling low these four weeks.",
    )


def test_example_5_not_enough_data() -> None:
    checkins = facts(A, {"mood": 1}, {"mood": 1}, {"mood": 1}) + facts(B, {"mood": 5})
    result = run(checkins)
    assert result.verdict == "not_enough_data"
    assert result.reasons == (
        "Too early to tell: Bob needs at least 2 check-ins in these four weeks.",
    )
    # The numbers are still given.
    assert result.importance.parts == {"checkin_share": 0.5, "needs_answered": None}
    assert (result.members[0].checkin_share, result.members[1].checkin_share) == (0.75, 0.25)


def test_both_unanswered_alike_is_still_said() -> None:
    """Both members' needs unanswered at the same rate: no gap between them, but a reason."""
    row = {"mood": 4, "gave": 3, "received": 3, "needs": 2}
    result = run(facts(A, row, row) + facts(B, row, row))
    assert result.importance.parts == {"checkin_share": 0.0, "needs_answered": 0.0}
    assert result.verdict == "drifting"
    assert result.reasons == (
        "None of Alice's 4 needs were answered.",
        "None of Bob's 4 needs were answered.",
    )


def test_example_6_the_deal_alone() -> None:
    result = run(
        facts(A, {"mood": 4, "deal": 3}, {"mood": 4, "deal": 1})
        + facts(B, {"mood": 4, "deal": -1}, {"mood": 4})
    )
    # Deal means: A 2.0, B -1.0 → (2 - (-1)) / 6 = 0.5: A says A gets the better deal.
    assert result.equity.parts == {"ratio": None, "received": None, "deal": 0.5}
    assert result.equity.value == 0.5
    assert result.verdict == "imbalanced"
    assert (result.over_benefited, result.under_benefited) == (A, B)
    assert result.reasons == (
        "Bob feels Alice has been getting the better deal these four weeks.",
        "Alice feels the better deal has been on their side these four weeks.",
    )


def test_one_need_is_said_as_one_need() -> None:
    """Not "answered 0 of 1 times": a single need is one need, answered or not."""
    steady = {"mood": 4, "gave": 3, "received": 3}
    result = run(
        facts(A, {**steady, "needs": 1}, steady)
        + facts(B, {**steady, "needs": 2, "answered": True}, steady)
    )
    assert result.reasons == (
        "Alice's one need was not answered; both of Bob's needs were answered.",
    )
    assert result.next_step == NextStep("answer_needs", A)


@PROPERTY
@given(checkins=CHECKINS, completions=COMPLETIONS)
def test_reasons_name_what_happened_without_labels_or_decimals(
    checkins: list[CheckInFact], completions: list[CompletionFact]
) -> None:
    """On screen the reasons are words: the theory's labels stay in docs/balance.md, and the
    numbers (with their decimals) are in the details, so they cannot disagree with a chart."""
    result = run(checkins, completions)
    for reason in result.reasons:
        assert "resentment" not in reason and "guilt" not in reason, reason
        assert not re.search(r"\d\.\d", reason), reason
        assert " times" not in reason, reason


def test_the_next_step_follows_the_verdict() -> None:
    steady = {"mood": 4, "gave": 3, "received": 3}
    assert run(facts(A, steady, steady) + facts(B, steady, steady)).next_step is None
    assert run(facts(A, steady) + facts(B, steady, steady)).next_step == NextStep("check_in", A)
    assert run(facts(A, steady)).next_step == NextStep("check_in", None)
    alice = {"mood": 3, "gave": 5, "received": 2, "deal": -2}
    bob = {"mood": 4, "gave": 2, "received": 5, "deal": 2}
    imbalanced = run(facts(A, alice, alice, alice) + facts(B, bob, bob, bob))
    assert imbalanced.next_step == NextStep("raise_yellow")
    a3 = {**steady, "needs": 1, "answered": True}
    drifting = run(facts(A, a3, a3, a3) + facts(B, a3, a3))
    assert drifting.verdict == "drifting"
    assert drifting.next_step == NextStep("start_review")


# --- the trend: the same computation, week by week ----------------------------------------------

TREND_END = datetime(2026, 3, 2, tzinfo=UTC)


@st.composite
def trend_facts(draw: st.DrawFn) -> CheckInFact:
    needs = draw(st.integers(0, 3))
    return CheckInFact(
        user_id=draw(st.sampled_from((A, B))),
        occurred_at=TREND_END - timedelta(seconds=draw(st.integers(1, 14 * 7 * 24 * 3600))),
        mood=draw(SCALE),
        gave=draw(st.none() | SCALE),
        received=draw(st.none() | SCALE),
        deal=draw(st.none() | st.integers(-3, 3)),
        needs=needs,
        answered=draw(st.booleans()) if needs else False,
    )


@PROPERTY
@given(checkins=st.lists(trend_facts(), max_size=60), weeks=st.integers(1, 14))
def test_swapping_the_members_swaps_the_trend(checkins: list[CheckInFact], weeks: int) -> None:
    ab = trend((A, B), checkins, [], end=TREND_END, weeks=weeks, names=NAMES)
    ba = trend((B, A), checkins, [], end=TREND_END, weeks=weeks, names=NAMES)
    assert len(ab) == len(ba) == weeks
    for mine, theirs in zip(ab, ba, strict=True):
        assert (theirs.start, theirs.end) == (mine.start, mine.end)
        assert theirs.balance.members == (mine.balance.members[1], mine.balance.members[0])
        assert_mirrored(mine.balance.equity, theirs.balance.equity)
        assert_mirrored(mine.balance.importance, theirs.balance.importance)
        assert theirs.balance.verdict == mine.balance.verdict
        assert theirs.balance.reasons == mine.balance.reasons


@PROPERTY
@given(checkins=st.lists(trend_facts(), max_size=60), weeks=st.integers(1, 14))
def test_each_week_of_the_trend_is_that_weeks_balance(
    checkins: list[CheckInFact], weeks: int
) -> None:
    weekly = trend((A, B), checkins, [], end=TREND_END, weeks=weeks, names=NAMES)
    assert weekly[-1].end == TREND_END
    assert weekly[0].start == TREND_END - timedelta(weeks=weeks)
    for week in weekly:
        assert week.end - week.start == timedelta(days=7)
        assert week.balance == run(checkins, start=week.start, end=week.end)
    inside = [c for c in checkins if c.occurred_at >= weekly[0].start]
    assert sum(m.checkins for w in weekly for m in w.balance.members) == len(inside)


def test_completions_are_counted_per_member() -> None:
    at = START + timedelta(days=1)
    result = run(
        [],
        [
            CompletionFact(user_id=A, occurred_at=at, acknowledged=True),
            CompletionFact(user_id=A, occurred_at=at, acknowledged=False),
            CompletionFact(user_id=B, occurred_at=at, acknowledged=True),
            CompletionFact(user_id=B, occurred_at=END, acknowledged=True),
        ],
    )
    a, b = result.members
    assert (a.completions_performed, a.completions_acknowledged) == (2, 1)
    assert (b.completions_performed, b.completions_acknowledged) == (1, 1)


# --- the API ------------------------------------------------------------------------------------


def balance_url(dynamic_id: str) -> str:
    return f"/api/dynamics/{dynamic_id}/balance"


async def read_balance(
    client: httpx.AsyncClient, member: Member, dynamic_id: str, **params: Any
) -> dict[str, Any]:
    response = await client.get(balance_url(dynamic_id), params=params, headers=member.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def check_in(
    client: httpx.AsyncClient, member: Member, dynamic_id: str, **body: Any
) -> dict[str, Any]:
    body.setdefault("mood", 3)
    response = await client.post(
        f"/api/dynamics/{dynamic_id}/checkins", json=body, headers=member.headers
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_both_members_see_the_same_balance(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    await check_in(client, alice, dynamic_id, mood=4, gave=4, received=3, needs=["praise"])
    await check_in(client, bob, dynamic_id, mood=3, gave=2, received=4, deal=1)
    for_alice = await client.get(balance_url(dynamic_id), headers=alice.headers)
    for_bob = await client.get(balance_url(dynamic_id), headers=bob.headers)
    assert for_alice.status_code == for_bob.status_code == 200
    assert for_alice.content == for_bob.content
    body = for_alice.json()
    assert body["dynamic_id"] == dynamic_id
    assert body["days"] == 28
    # Members in id order, whoever asks.
    ids = sorted([alice.id, bob.id], key=lambda i: uuid.UUID(i))
    assert [m["user_id"] for m in body["members"]] == ids
    names = {alice.id: "Alice", bob.id: "Bob"}
    assert [m["display_name"] for m in body["members"]] == [names[i] for i in ids]
    # Whole UTC days ending with today.
    start, end = datetime.fromisoformat(body["start"]), datetime.fromisoformat(body["end"])
    assert end - start == timedelta(days=28)
    assert end.utcoffset() == timedelta(0)
    assert (end.hour, end.minute, end.second, end.microsecond) == (0, 0, 0, 0)
    assert end.date() == datetime.now(UTC).date() + timedelta(days=1)
    assert len(body["series"]) == 28
    assert body["series"][-1]["date"] == datetime.now(UTC).date().isoformat()
    assert body["verdict"] == "not_enough_data"
    assert body["reasons"]
    # And for another window.
    week_a = await client.get(balance_url(dynamic_id), params={"days": 7}, headers=alice.headers)
    week_b = await client.get(balance_url(dynamic_id), params={"days": 7}, headers=bob.headers)
    assert week_a.content == week_b.content
    assert len(week_a.json()["series"]) == 7


@pytest.mark.parametrize("days", ["0", "366", "-1", "x", "1.5", ""])
async def test_days_out_of_bounds(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str, days: str
) -> None:
    response = await client.get(
        balance_url(dynamic_id), params={"days": days}, headers=alice.headers
    )
    assert response.status_code == 422, response.text
    assert error_code(response) == "validation_error"
    assert "days" in response.json()["detail"]


@pytest.mark.parametrize("days", [1, 365])
async def test_days_at_the_bounds(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str, days: int
) -> None:
    body = await read_balance(client, alice, dynamic_id, days=days)
    assert body["days"] == days
    assert len(body["series"]) == days


async def test_the_outsider_gets_a_404(
    client: httpx.AsyncClient, alice: Member, eve: Member, dynamic_id: str
) -> None:
    await check_in(client, alice, dynamic_id)
    for params in ({}, {"days": 7}, {"days": 0}):
        response = await client.get(balance_url(dynamic_id), params=params, headers=eve.headers)
        # A bad window for a dynamic that is not yours is still a 422 (validation comes first,
        # and says nothing about the dynamic); a good one is a 404.
        if params.get("days") == 0:
            assert response.status_code == 422
            continue
        assert response.status_code == 404, response.text
        assert error_code(response) == "not_found"
    missing = await client.get(balance_url(str(uuid.uuid4())), headers=alice.headers)
    assert missing.status_code == 404
    assert (await client.get(balance_url(dynamic_id))).status_code == 401


async def test_an_imbalanced_dynamic_names_both_members(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    """Alice gives much and receives little, Bob the reverse: Alice is under-benefited."""
    for hours in (30, 20, 10):
        at = (datetime.now(UTC) - timedelta(hours=hours)).isoformat()
        await check_in(
            client, alice, dynamic_id, mood=3, gave=5, received=2, deal=-2, occurred_at=at
        )
        await check_in(client, bob, dynamic_id, mood=4, gave=2, received=5, deal=2, occurred_at=at)
    body = await read_balance(client, alice, dynamic_id)
    assert body == await read_balance(client, bob, dynamic_id)
    assert body["verdict"] == "imbalanced"
    assert body["under_benefited"] == alice.id
    assert body["over_benefited"] == bob.id
    # The gap is signed from the first member's side: same numbers as worked example 2.
    alice_first = uuid.UUID(alice.id) < uuid.UUID(bob.id)
    sign = 1 if alice_first else -1
    assert body["equity_gap"]["value"] == sign * -0.662
    assert body["equity_gap"]["parts"] == {
        "ratio": sign * -0.569,
        "received": sign * -0.75,
        "deal": sign * -0.667,
    }
    assert body["reasons"] == [
        "Alice has been giving more than receiving these four weeks.",
        "Bob has been receiving more than giving these four weeks.",
    ]
    by_id = {m["user_id"]: m for m in body["members"]}
    assert by_id[alice.id]["checkins"] == by_id[bob.id]["checkins"] == 3
    assert by_id[alice.id]["mean_gave"] == 5.0
    assert by_id[bob.id]["mean_received"] == 5.0


async def test_needs_answered_and_series(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    yesterday = (datetime.now(UTC) - timedelta(days=1)).replace(hour=12, minute=0)
    first = await check_in(
        client, alice, dynamic_id, needs=["rest", "talk"], occurred_at=yesterday.isoformat()
    )
    await check_in(client, alice, dynamic_id, needs=["play"])
    seen = await client.post(
        f"/api/checkins/{first['id']}/responses", json={"kind": "seen"}, headers=bob.headers
    )
    assert seen.status_code == 201
    body = await read_balance(client, bob, dynamic_id)
    by_id = {m["user_id"]: m for m in body["members"]}
    assert (by_id[alice.id]["needs_raised"], by_id[alice.id]["needs_answered"]) == (3, 0)
    done = await client.post(
        f"/api/checkins/{first['id']}/responses", json={"kind": "done"}, headers=bob.headers
    )
    assert done.status_code == 201
    body = await read_balance(client, bob, dynamic_id)
    by_id = {m["user_id"]: m for m in body["members"]}
    assert (by_id[alice.id]["needs_raised"], by_id[alice.id]["needs_answered"]) == (3, 2)
    index = [m["user_id"] for m in body["members"]].index(alice.id)
    days = {d["date"]: d["members"][index] for d in body["series"]}
    assert days[yesterday.date().isoformat()]["needs_answered"] == 2
    assert days[yesterday.date().isoformat()]["checkins"] == 1
    assert days[datetime.now(UTC).date().isoformat()]["needs_raised"] == 1


async def test_check_ins_outside_the_window_are_not_counted(
    client: httpx.AsyncClient, alice: Member, dynamic_id: str
) -> None:
    old = (datetime.now(UTC) - timedelta(days=20)).isoformat()
    await check_in(client, alice, dynamic_id, occurred_at=old)
    await check_in(client, alice, dynamic_id)
    week = await read_balance(client, alice, dynamic_id, days=7)
    month = await read_balance(client, alice, dynamic_id, days=28)
    count = {m["user_id"]: m["checkins"] for m in week["members"]}
    assert count[alice.id] == 1
    count = {m["user_id"]: m["checkins"] for m in month["members"]}
    assert count[alice.id] == 2


async def test_completions_performed_and_acknowledged(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    proposed = await client.post(
        f"/api/dynamics/{dynamic_id}/protocols",
        json={
            "title": "Evening tea",
            "description": "",
            "kind": "care",
            "performer_ids": [bob.id],
            "schedule": None,
            "review_on": None,
        },
        headers=alice.headers,
    )
    assert proposed.status_code == 201, proposed.text
    pid = proposed.json()["id"]
    agreed = await client.post(
        f"/api/protocols/{pid}/agree",
        json={"version": proposed.json()["version"]},
        headers=bob.headers,
    )
    assert agreed.status_code == 200, agreed.text
    made = []
    for _ in range(3):
        response = await client.post(
            f"/api/protocols/{pid}/completions", json={}, headers=bob.headers
        )
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
    for cid in made[:2]:
        response = await client.post(
            f"/api/completions/{cid}/acknowledge", json={"note": "thank you"}, headers=alice.headers
        )
        assert response.status_code == 201, response.text
    body = await read_balance(client, alice, dynamic_id)
    assert body == await read_balance(client, bob, dynamic_id)
    by_id = {m["user_id"]: m for m in body["members"]}
    assert (by_id[bob.id]["completions_performed"], by_id[bob.id]["completions_acknowledged"]) == (
        3,
        2,
    )
    assert (
        by_id[alice.id]["completions_performed"],
        by_id[alice.id]["completions_acknowledged"],
    ) == (0, 0)


async def test_an_ended_dynamic_keeps_its_balance(
    client: httpx.AsyncClient, alice: Member, bob: Member, dynamic_id: str
) -> None:
    await check_in(client, alice, dynamic_id, gave=3, received=3)
    await check_in(client, bob, dynamic_id, gave=3, received=3)
    left = await client.post(f"/api/dynamics/{dynamic_id}/leave", json={}, headers=alice.headers)
    assert left.status_code == 200
    body = await read_balance(client, bob, dynamic_id)
    assert body == await read_balance(client, alice, dynamic_id)
    assert sum(m["checkins"] for m in body["members"]) == 2
