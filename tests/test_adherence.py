"""Property tests of the adherence rate: scheduled occurrences across time zones and DST, pauses
and in-force spans, completions counted on the performer's local day.

Pure functions, no database. The oracle for a wall time on a day is computed from UTC offsets
alone (no ``fold``), so it does not share the code under test's reading of PEP 495.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.protocols.adherence import (
    Interval,
    VersionInForce,
    across_versions,
    adherence,
    in_force_spans,
    occurrences,
)

ZONES = (
    "UTC",
    "Europe/Paris",
    "America/New_York",
    "Australia/Lord_Howe",  # a 30-minute DST shift
    "Asia/Kolkata",  # +05:30, no DST
    "Pacific/Chatham",  # +12:45 / +13:45, shifts at 02:45
    "America/Sao_Paulo",  # DST until 2019, shifting at midnight
    "Asia/Kathmandu",  # +05:45
    "America/St_Johns",  # -03:30 / -02:30
    "Europe/Dublin",  # "negative" DST in the tz database
)
YEARS = range(2015, 2027)
EVERY_DAY = list(range(7))
A = uuid.UUID(int=1)
B = uuid.UUID(int=2)
C = uuid.UUID(int=3)  # not a performer


def at(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall time in a zone (first reading if repeated), as UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


# --- the oracle ----------------------------------------------------------------------------------


def wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def expected_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The instant a wall time stands for: the earliest instant that reads it, or, when the
    clocks skip it, the same wall time read on the clock from before the shift (so it falls
    after the shift, later by the size of the jump)."""
    naive = datetime.combine(day, clock)
    around = naive.replace(tzinfo=UTC)
    offsets = {
        (around + timedelta(minutes=15 * k)).astimezone(zone).utcoffset() for k in range(-96, 97)
    }
    readings = sorted(
        naive.replace(tzinfo=UTC) - off
        for off in offsets
        if off is not None and wall(naive.replace(tzinfo=UTC) - off, zone) == naive
    )
    if readings:
        return readings[0]
    # A gap: find the transition T, the first second whose wall time is past ``naive``.
    low, high = -30 * 3600, 30 * 3600
    while high - low > 1:
        mid = (low + high) // 2
        if wall(around + timedelta(seconds=mid), zone) > naive:
            high = mid
        else:
            low = mid
    shift = around + timedelta(seconds=high)
    before = (shift - timedelta(seconds=1)).astimezone(zone).utcoffset()
    assert before is not None
    moment = around - before
    assert moment >= shift
    return moment


@cache
def transitions(name: str) -> tuple[datetime, ...]:
    """The UTC instants at which the zone's offset changed, over YEARS (to the minute)."""
    zone = ZoneInfo(name)
    found = []
    step = datetime(YEARS[0], 1, 1, tzinfo=UTC)
    stop = datetime(YEARS[-1] + 1, 1, 1, tzinfo=UTC)
    while step < stop:
        nxt = step + timedelta(hours=12)
        if step.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
            # Bisect over whole minutes: high is the first minute with the new offset.
            low, high = 0, 12 * 60
            while high - low > 1:
                mid = (low + high) // 2
                moved = step + timedelta(minutes=mid)
                if moved.astimezone(zone).utcoffset() == step.astimezone(zone).utcoffset():
                    low = mid
                else:
                    high = mid
            found.append(step + timedelta(minutes=high))
        step = nxt
    return tuple(found)


def test_the_oracle_knows_the_transitions() -> None:
    assert transitions("UTC") == transitions("Asia/Kolkata") == ()
    # Sao Paulo dropped DST in 2019; Lord Howe and Chatham shift twice a year.
    assert all(t < datetime(2019, 3, 1, tzinfo=UTC) for t in transitions("America/Sao_Paulo"))
    assert len(transitions("Australia/Lord_Howe")) == 2 * len(YEARS)
    paris = ZoneInfo("Europe/Paris")
    assert datetime(2024, 3, 31, 1, tzinfo=UTC) in transitions("Europe/Paris")
    assert expected_instant(date(2024, 3, 31), time(2, 30), paris) == at("UTC", 2024, 3, 31, 1, 30)
    assert expected_instant(date(2024, 10, 27), time(2, 30), paris) == at(
        "UTC", 2024, 10, 27, 0, 30
    )


# --- strategies ----------------------------------------------------------------------------------


@st.composite
def scenes(draw: st.DrawFn) -> tuple[str, date, list[time]]:
    """A zone, a day (usually at or next to one of its DST transitions), and wall times (usually
    close to that transition's wall time, so gaps and folds come up often)."""
    name = draw(st.sampled_from(ZONES))
    zone = ZoneInfo(name)
    shifts = transitions(name)
    near_a_shift = draw(st.booleans())
    if shifts and near_a_shift:
        shift = draw(st.sampled_from(shifts))
        local = (shift - timedelta(minutes=1)).astimezone(zone)
        day = local.date() + timedelta(days=draw(st.integers(-2, 1)))
        centre = local.hour * 60 + local.minute + 1
        near = st.integers(centre - 90, centre + 90).map(lambda m: m % 1440)
        minutes = st.one_of(near, near, st.integers(0, 1439))
    else:
        day = draw(st.dates(date(YEARS[0], 1, 1), date(YEARS[-1], 12, 31)))
        minutes = st.integers(0, 1439)
    picked = draw(st.lists(minutes, min_size=1, max_size=4, unique=True))
    return name, day, [time(m // 60, m % 60) for m in picked]


def hhmm(clocks: list[time]) -> list[str]:
    return [c.strftime("%H:%M") for c in clocks]


weekday_sets = st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True)


# --- occurrences ---------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(
    scene=scenes(),
    weekdays=weekday_sets,
    span_days=st.integers(1, 6),
    start_shift=st.integers(-36 * 60, 36 * 60),
    end_shift=st.integers(-36 * 60, 36 * 60),
)
def test_occurrences_match_the_oracle(
    scene: tuple[str, date, list[time]],
    weekdays: list[int],
    span_days: int,
    start_shift: int,
    end_shift: int,
) -> None:
    name, day, clocks = scene
    zone = ZoneInfo(name)
    start = at("UTC", day.year, day.month, day.day) + timedelta(minutes=start_shift)
    end = start + timedelta(days=span_days, minutes=end_shift)

    found = occurrences(hhmm(clocks), weekdays, zone, start, end)

    assert found == sorted(found)
    assert len(found) == len(set(found))
    assert all(m.tzinfo is not None and m.utcoffset() == timedelta(0) for m in found)
    assert all(start <= m < end for m in found)
    local_days = {
        start.astimezone(zone).date() + timedelta(days=k) for k in range(-1, (end - start).days + 3)
    }
    expected = sorted(
        {
            moment
            for d in local_days
            if d.weekday() in weekdays
            for c in clocks
            if start <= (moment := expected_instant(d, c, zone)) < end
        }
    )
    assert found == expected


@settings(max_examples=200, deadline=None)
@given(scene=scenes(), weekdays=weekday_sets)
@example(scene=("America/Sao_Paulo", date(2015, 10, 17), [time(0, 0), time(1, 0)]), weekdays=[6])
def test_each_scheduled_local_day_has_each_time_exactly_once(
    scene: tuple[str, date, list[time]], weekdays: list[int]
) -> None:
    name, day, clocks = scene
    zone = ZoneInfo(name)
    # Whole local days from day-1 to day+2, so the transition day is well inside.
    first, last = day - timedelta(days=1), day + timedelta(days=2)
    start = datetime.combine(first, time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)

    found = occurrences(hhmm(clocks), weekdays, zone, start, end)

    d = first
    while d <= last:
        for clock in clocks:
            naive = datetime.combine(d, clock)
            hits = [m for m in found if m == expected_instant(d, clock, zone)]
            if d.weekday() not in weekdays:
                assert not [m for m in found if wall(m, zone) == naive]
                continue
            assert len(hits) == 1, (name, d, clock, found)
            (moment,) = hits
            readings = [m for m in found if wall(m, zone) == naive]
            if readings:
                # The wall time exists: it is read once, at its first instant.
                assert readings == [moment]
            else:
                # A gap: one occurrence, later on the clock than asked by exactly the jump, so
                # after the shift.
                jump = wall(moment, zone) - naive
                assert timedelta(0) < jump <= timedelta(hours=1)
                now_offset = moment.astimezone(zone).utcoffset()
                earlier_offset = (moment - timedelta(hours=2)).astimezone(zone).utcoffset()
                assert now_offset is not None and earlier_offset is not None
                assert now_offset - earlier_offset == jump
        d += timedelta(days=1)
    # Nothing else: one occurrence per instant the scheduled (day, time) pairs stand for. Two
    # times can stand for one instant: where the clocks skip midnight to 01:00 (São Paulo,
    # 2015-10-18), 00:00 is read after the shift, at 01:00, as 01:00 itself is; one occurrence
    # then, since nobody can do a thing twice at one moment (hypothesis found it).
    scheduled = {
        expected_instant(first + timedelta(days=k), clock, zone)
        for k in range((last - first).days + 1)
        if (first + timedelta(days=k)).weekday() in weekdays
        for clock in clocks
    }
    assert len(found) == len(scheduled)


@pytest.mark.parametrize(
    ("zone", "day", "clock", "utc", "local"),
    [
        # Spring forward 02:00 → 03:00: 02:30 does not exist, it is 03:30 that day.
        ("Europe/Paris", date(2024, 3, 31), "02:30", (2024, 3, 31, 1, 30), (3, 30)),
        # Fall back 03:00 → 02:00: 02:30 happens twice, counted once, the first (summer time).
        ("Europe/Paris", date(2024, 10, 27), "02:30", (2024, 10, 27, 0, 30), (2, 30)),
        ("America/New_York", date(2024, 3, 10), "02:15", (2024, 3, 10, 7, 15), (3, 15)),
        ("America/New_York", date(2024, 11, 3), "01:30", (2024, 11, 3, 5, 30), (1, 30)),
        # Lord Howe moves by 30 minutes: 02:00 → 02:30 in October, 02:00 → 01:30 in April.
        ("Australia/Lord_Howe", date(2024, 10, 6), "02:15", (2024, 10, 5, 15, 45), (2, 45)),
        ("Australia/Lord_Howe", date(2024, 4, 7), "01:45", (2024, 4, 6, 14, 45), (1, 45)),
        # Chatham shifts at 02:45 → 03:45.
        ("Pacific/Chatham", date(2024, 9, 29), "03:00", (2024, 9, 28, 14, 15), (4, 0)),
        # Sao Paulo shifted at midnight: 00:30 did not exist on 2018-11-04.
        ("America/Sao_Paulo", date(2018, 11, 4), "00:30", (2018, 11, 4, 3, 30), (1, 30)),
        ("Asia/Kolkata", date(2024, 3, 31), "08:00", (2024, 3, 31, 2, 30), (8, 0)),
    ],
)
def test_dst_worked_examples(
    zone: str, day: date, clock: str, utc: tuple[int, int, int, int, int], local: tuple[int, int]
) -> None:
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    (found,) = occurrences([clock], EVERY_DAY, tz, start, end)
    assert found == at("UTC", *utc)
    assert found.astimezone(tz).date() == day
    assert (found.astimezone(tz).hour, found.astimezone(tz).minute) == local


def test_a_skipped_local_day_adds_no_occurrence() -> None:
    # Samoa jumped over 2011-12-30; the days around it still have one 08:00 each.
    apia = ZoneInfo("Pacific/Apia")
    start = at("Pacific/Apia", 2011, 12, 28)
    end = at("Pacific/Apia", 2012, 1, 2)
    found = occurrences(["08:00"], EVERY_DAY, apia, start, end)
    days = [m.astimezone(apia).date() for m in found]
    assert days == [date(2011, 12, d) for d in (28, 29, 31)] + [date(2012, 1, 1)]


def test_the_window_is_half_open() -> None:
    paris = ZoneInfo("Europe/Paris")
    eight = at("Europe/Paris", 2024, 6, 3, 8)
    assert occurrences(["08:00"], EVERY_DAY, paris, eight, eight + timedelta(days=1)) == [eight]
    assert occurrences(["08:00"], EVERY_DAY, paris, eight - timedelta(days=1), eight) == [
        eight - timedelta(days=1)
    ]
    assert occurrences(["08:00"], EVERY_DAY, paris, eight, eight) == []


# --- adherence: properties -----------------------------------------------------------------------

BASE = datetime(2024, 3, 25, tzinfo=UTC)  # a week with the European spring-forward in it
HORIZON = 16 * 24 * 60  # minutes after BASE that the scenarios use


def instants() -> st.SearchStrategy[datetime]:
    return st.integers(0, HORIZON).map(lambda m: BASE + timedelta(minutes=m))


@st.composite
def intervals(draw: st.DrawFn, max_size: int = 3) -> list[Interval]:
    spans: list[Interval] = []
    for a, b in draw(st.lists(st.tuples(instants(), instants()), max_size=max_size)):
        low, high = min(a, b), max(a, b)
        spans.append((low, None if draw(st.integers(0, 4)) == 0 else high))
    return spans


@dataclass(frozen=True)
class Case:
    times: list[str]
    weekdays: list[int]
    performers: dict[uuid.UUID, ZoneInfo]
    in_force: list[Interval]
    paused: list[Interval]
    completions: list[tuple[uuid.UUID, datetime]]
    window_start: datetime
    now: datetime

    def run(self, **changes: Any) -> tuple[int, int, float | None]:
        result = adherence(**{**vars(self), **changes})
        return result.scheduled, result.done, result.rate

    def due(self, zone: ZoneInfo) -> list[datetime]:
        """The oracle for what is due: in the window, inside an in-force span, outside every
        pause, in the performer's own zone."""
        return [
            m
            for m in occurrences(self.times, self.weekdays, zone, self.window_start, self.now)
            if inside(m, self.in_force, self.now) and not inside(m, self.paused, self.now)
        ]


def inside(moment: datetime, spans: list[Interval], now: datetime) -> bool:
    return any(low <= moment < (high or now) for low, high in spans)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    zones = st.sampled_from(ZONES).map(ZoneInfo)
    performers = {A: draw(zones)}
    if draw(st.booleans()):
        performers[B] = draw(zones)
    window_start = draw(instants())
    clocks = draw(st.lists(st.integers(0, 1439), min_size=1, max_size=3, unique=True))
    return Case(
        times=hhmm([time(m // 60, m % 60) for m in clocks]),
        weekdays=draw(weekday_sets),
        performers=performers,
        in_force=draw(intervals()),
        paused=draw(intervals()),
        completions=draw(st.lists(st.tuples(st.sampled_from([A, B, C]), instants()), max_size=25)),
        window_start=window_start,
        now=window_start + timedelta(minutes=draw(st.integers(0, 10 * 24 * 60))),
    )


@settings(max_examples=300, deadline=None)
@given(case=cases())
def test_the_rate_is_done_over_scheduled(case: Case) -> None:
    scheduled, done, rate = case.run()
    assert 0 <= done <= scheduled
    if scheduled == 0:
        assert rate is None
    else:
        assert rate is not None and 0 <= rate <= 1
        assert rate == pytest.approx(done / scheduled, abs=5e-5)


@settings(max_examples=300, deadline=None)
@given(case=cases())
def test_scheduled_counts_exactly_the_due_occurrences(case: Case) -> None:
    assert case.run()[0] == sum(len(case.due(zone)) for zone in case.performers.values())


@settings(max_examples=300, deadline=None)
@given(case=cases(), who=st.sampled_from([A, B]), when=instants())
def test_a_completion_never_lowers_done(case: Case, who: uuid.UUID, when: datetime) -> None:
    before = case.run()
    after = case.run(completions=[*case.completions, (who, when)])
    assert after[0] == before[0]
    assert before[1] <= after[1] <= before[1] + 1


@settings(max_examples=300, deadline=None)
@given(case=cases(), pause=intervals(max_size=1))
def test_a_pause_never_raises_scheduled_or_done(case: Case, pause: list[Interval]) -> None:
    scheduled, done, _ = case.run()
    more_scheduled, more_done, _ = case.run(paused=[*case.paused, *pause])
    assert more_scheduled <= scheduled
    assert more_done <= done


@settings(max_examples=200, deadline=None)
@given(case=cases())
def test_nothing_is_due_outside_the_in_force_spans(case: Case) -> None:
    assert case.run(in_force=[])[:2] == (0, 0)
    # Spans wholly before the window or from now on count nothing either.
    start, now = case.window_start, case.now
    outside = [(start - timedelta(days=30), start), (now, now + timedelta(days=30))]
    assert case.run(in_force=outside)[:2] == (0, 0)
    # A red standing over the whole window freezes everything.
    assert case.run(paused=[(start - timedelta(days=1), None)])[:2] == (0, 0)


@settings(max_examples=200, deadline=None)
@given(case=cases())
def test_each_performer_has_their_own_occurrences(case: Case) -> None:
    together = case.run()
    alone = [
        case.run(
            performers={who: zone},
            completions=[(w, t) for w, t in case.completions if w == who],
        )
        for who, zone in case.performers.items()
    ]
    assert together[0] == sum(r[0] for r in alone)
    assert together[1] == sum(r[1] for r in alone)
    # Someone who is not a performer never adds to done.
    strangers = [(C, t) for _, t in case.completions]
    assert case.run(completions=[*case.completions, *strangers])[1] == together[1]


@settings(max_examples=200, deadline=None)
@given(case=cases())
def test_a_completion_on_another_local_day_does_not_count(case: Case) -> None:
    zone = case.performers[A]
    due_days = {m.astimezone(zone).date() for m in case.due(zone)}
    elsewhere = [
        (w, t) for w, t in case.completions if w == A and t.astimezone(zone).date() not in due_days
    ]
    assert case.run(performers={A: zone}, completions=elsewhere)[1] == 0
    # The same completions moved onto due days count, up to what is due.
    if due_days and elsewhere:
        day = min(due_days)
        moved = [(A, datetime.combine(day, time(12), tzinfo=zone)) for _ in elsewhere]
        due_that_day = sum(1 for m in case.due(zone) if m.astimezone(zone).date() == day)
        done = case.run(performers={A: zone}, completions=moved)[1]
        assert done == min(len(moved), due_that_day)


# --- versions in force: properties --------------------------------------------------------------

# What a protocol's history may hold; only activations, suspensions and retirements move spans.
HISTORY_ACTIONS = (
    "proposed",
    "agreed",
    "renegotiated",
    "declined",
    "withdrawn",
    "activated",
    "reactivated",
    "suspended",
    "retired",
)
STARTING = ("activated", "reactivated")  # the oracle's own words, not the module's
ENDING = ("suspended", "retired")
LATER = BASE + timedelta(days=365)  # "now" for spans still running: after every history
History = list[tuple[str, int, datetime]]


@st.composite
def histories(draw: st.DrawFn) -> History:
    """A protocol's history in order: times never go back, and several events may share one
    (an agreement and the activation it brings are stored together)."""
    steps = draw(
        st.lists(
            st.tuples(
                st.sampled_from(HISTORY_ACTIONS),
                st.integers(1, 4),
                st.one_of(st.just(0), st.integers(1, 3 * 24 * 60)),
            ),
            max_size=20,
        )
    )
    history: History = []
    moment = BASE
    for action, number, gap in steps:
        moment += timedelta(minutes=gap)
        history.append((action, number, moment))
    return history


def in_force_at(history: History, moment: datetime) -> int | None:
    """The oracle: the version whose activation is the last word on the spans at ``moment``."""
    latest = [(a, n) for a, n, t in history if t <= moment and a in STARTING + ENDING]
    if not latest or latest[-1][0] not in STARTING:
        return None
    return latest[-1][1]


@settings(max_examples=400, deadline=None)
@given(history=histories(), probes=st.lists(instants(), max_size=10))
def test_a_version_is_in_force_exactly_while_its_activation_stands(
    history: History, probes: list[datetime]
) -> None:
    spans = in_force_spans(history)
    # Every event's own moment too: that is where a span starts or ends.
    for moment in [*probes, *(t for _, _, t in history)]:
        holding = {n for n, found in spans.items() if inside(moment, found, LATER)}
        expected = in_force_at(history, moment)
        assert holding == (set() if expected is None else {expected}), (moment, spans)


@settings(max_examples=400, deadline=None)
@given(history=histories())
def test_spans_follow_one_another_one_per_activation(history: History) -> None:
    spans = in_force_spans(history)
    flat = sorted(
        (span for found in spans.values() for span in found), key=lambda s: (s[0], s[1] or LATER)
    )
    starts = [a for a, _, _ in history if a in STARTING]
    assert len(flat) == len(starts)
    for (_, end), (next_start, _) in itertools.pairwise(flat):
        assert end is not None and end <= next_start
    running = [span for span in flat if span[1] is None]
    last_word = [a for a, _, _ in history if a in STARTING + ENDING][-1:]
    assert len(running) == (1 if last_word and last_word[0] in STARTING else 0)
    # Only the events that start or end a span matter.
    assert in_force_spans([e for e in history if e[0] in STARTING + ENDING]) == spans


@settings(max_examples=200, deadline=None)
@given(case=cases(), history=histories())
def test_versions_in_force_one_after_another_are_due_as_one(case: Case, history: History) -> None:
    """With the same terms in every version, splitting the time in force between versions
    changes nothing that is due: no occurrence is due twice, none is lost. A completion counts
    only for the version it was recorded under, so splitting them never adds to done."""
    spans = in_force_spans(history)
    numbers = sorted(spans)
    whole = case.run(in_force=[span for found in spans.values() for span in found])

    def version(number: int) -> VersionInForce:
        mine = [(w, t) for w, t in case.completions if in_force_at(history, t) == number]
        return VersionInForce(
            times=case.times,
            weekdays=case.weekdays,
            performers=case.performers,
            in_force=spans[number],
            completions=mine,
        )

    total = across_versions(
        [version(n) for n in numbers],
        paused=case.paused,
        window_start=case.window_start,
        now=case.now,
    )
    if not numbers:
        assert total is None
        return
    assert total is not None
    assert total.scheduled == whole[0]
    assert total.done <= whole[1]


# --- adherence: worked examples ------------------------------------------------------------------

PARIS = ZoneInfo("Europe/Paris")
WEEK_START = at("Europe/Paris", 2024, 6, 3)  # a Monday
WEEK_END = WEEK_START + timedelta(days=7)


def paris_day(k: int, hour: int = 8, minute: int = 0) -> datetime:
    return at("Europe/Paris", 2024, 6, 3 + k, hour, minute)


def daily_eight(**changes: Any) -> tuple[int, int, float | None]:
    """A daily 08:00 in Paris over one June week, done on the first five days."""
    case = Case(
        times=["08:00"],
        weekdays=EVERY_DAY,
        performers={A: PARIS},
        in_force=[(WEEK_START - timedelta(days=10), None)],
        paused=[],
        completions=[(A, paris_day(k, 8, 5)) for k in range(5)],
        window_start=WEEK_START,
        now=WEEK_END,
    )
    return case.run(**changes)


def test_a_week_of_daily_eight_oclock_with_five_completions() -> None:
    assert daily_eight() == (7, 5, 0.7143)


def test_a_two_day_pause_removes_two_occurrences() -> None:
    pause = [(paris_day(5, 0), paris_day(7, 0))]  # Saturday and Sunday
    assert daily_eight(paused=pause) == (5, 5, 1.0)
    # Paused on days that were done: those completions no longer count either.
    assert daily_eight(paused=[(paris_day(1, 0), paris_day(3, 0))]) == (5, 3, 0.6)
    # A red still standing (open pause) freezes the rest of the window.
    assert daily_eight(paused=[(paris_day(4, 0), None)]) == (4, 4, 1.0)


def test_completions_on_one_day_count_once_per_occurrence() -> None:
    twice_on_monday = [(A, paris_day(0, 7)), (A, paris_day(0, 21))]
    assert daily_eight(completions=twice_on_monday) == (7, 1, 0.1429)
    two_times = daily_eight(times=["08:00", "20:00"], completions=twice_on_monday)
    assert two_times == (14, 2, 0.1429)


def test_only_occurrences_already_past_are_due() -> None:
    # At Wednesday 07:59, Monday's and Tuesday's are due, Wednesday's is not yet.
    assert daily_eight(now=paris_day(2, 7, 59), completions=[]) == (2, 0, 0.0)
    assert daily_eight(now=paris_day(2, 8, 0), completions=[]) == (2, 0, 0.0)
    assert daily_eight(now=paris_day(2, 8, 1), completions=[]) == (3, 0, 0.0)


def test_in_force_from_midweek_and_weekdays_only() -> None:
    assert daily_eight(in_force=[(paris_day(3, 9), None)]) == (3, 1, 0.3333)
    assert daily_eight(weekdays=[0, 1, 2, 3, 4]) == (5, 5, 1.0)
    assert daily_eight(in_force=[]) == (0, 0, None)


def test_a_late_night_completion_counts_on_the_performers_local_day() -> None:
    # Monday 23:30 and Tuesday 00:30 in Paris are both Monday by a UTC calendar (21:30 and
    # 22:30): counted by the performer's local day, they answer Monday's and Tuesday's.
    late_monday = paris_day(0, 23, 30)
    early_tuesday = paris_day(1, 0, 30)
    assert late_monday.date() == early_tuesday.date() == date(2024, 6, 3)
    tuesday_noon = paris_day(1, 12)
    assert daily_eight(completions=[(A, late_monday)], now=tuesday_noon) == (2, 1, 0.5)
    assert daily_eight(completions=[(A, early_tuesday)], now=tuesday_noon) == (2, 1, 0.5)
    both = [(A, late_monday), (A, early_tuesday)]
    assert daily_eight(completions=both, now=tuesday_noon) == (2, 2, 1.0)
    # A completion the day before the first occurrence does not count.
    assert daily_eight(completions=[(A, paris_day(-1, 20))], now=tuesday_noon) == (2, 0, 0.0)


def test_two_performers_in_different_zones() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    # Both perform a daily 08:00 over the same three UTC days: each in their own zone.
    start = datetime(2024, 6, 3, 12, tzinfo=UTC)
    now = start + timedelta(days=3)
    case = Case(
        times=["08:00"],
        weekdays=EVERY_DAY,
        performers={A: PARIS, B: tokyo},
        in_force=[(start - timedelta(days=1), None)],
        paused=[],
        completions=[],
        window_start=start,
        now=now,
    )
    # Paris 08:00 = 06:00 UTC: 4th, 5th, 6th. Tokyo 08:00 = 23:00 UTC the day before: 3rd (for
    # the 4th), 4th, 5th: all three inside [3rd 12:00, 6th 12:00).
    assert case.run()[:2] == (6, 0)
    # Bob's completion at 20:00 UTC on the 4th is the 5th in Tokyo (due): it counts for Bob.
    # The same instant by Alice is the 4th in Paris (also due): it counts for Alice.
    evening = datetime(2024, 6, 4, 20, tzinfo=UTC)
    assert case.run(completions=[(B, evening)]) == (6, 1, 0.1667)
    assert case.run(completions=[(A, evening), (B, evening)]) == (6, 2, 0.3333)
    # Three completions by Alice never answer Bob's occurrences.
    alice_three = [(A, datetime(2024, 6, d, 9, tzinfo=UTC)) for d in (4, 5, 6)]
    assert case.run(completions=alice_three)[:2] == (6, 3)
    assert case.run(completions=[*alice_three, *alice_three])[:2] == (6, 3)


def test_the_spring_forward_week_in_paris() -> None:
    # A daily 02:30 over the week of 2024-03-31: still seven occurrences, one on the 31st at
    # 03:30 local time.
    start = at("Europe/Paris", 2024, 3, 25)
    end = at("Europe/Paris", 2024, 4, 1)
    found = occurrences(["02:30"], EVERY_DAY, PARIS, start, end)
    assert len(found) == 7
    assert [m.astimezone(PARIS).hour for m in found] == [2, 2, 2, 2, 2, 2, 3]
    case = Case(
        times=["02:30"],
        weekdays=EVERY_DAY,
        performers={A: PARIS},
        in_force=[(start, None)],
        paused=[],
        completions=[(A, at("Europe/Paris", 2024, 3, 31, 3, 45))],
        window_start=start,
        now=end,
    )
    assert case.run() == (7, 1, 0.1429)
