"""Follow-through as a rate over scheduled occurrences, never a streak.

Pure functions: given a schedule, the performers' time zones, when the protocol was in force,
when the dynamic was paused and when it was done, how many of the due occurrences were done.
An occurrence counts as done when the performer recorded a completion on the same local day
(up to as many completions as there were occurrences that day). Occurrences while the protocol
was not in force, or while a red stood, are not due: a pause freezes the rate.

A protocol's terms change when both agree to a renegotiation, so each occurrence is due by the
version in force at its time (``in_force_spans`` reads those times from the protocol's history)
and done by the completions recorded under that version (``across_versions``).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime | None]  # [start, end), end None = still open

# The events of a protocol's history that start a version's time in force (both agreed to it,
# first or again), and those that end it; an agreed renegotiation's activation does both.
STARTS = frozenset({"activated", "reactivated"})
SPAN_EVENTS = STARTS | {"suspended", "retired"}


@dataclass(frozen=True)
class Result:
    scheduled: int
    done: int

    @property
    def rate(self) -> float | None:
        return round(self.done / self.scheduled, 4) if self.scheduled else None

    def __add__(self, other: Result) -> Result:
        return Result(scheduled=self.scheduled + other.scheduled, done=self.done + other.done)


@dataclass(frozen=True)
class VersionInForce:
    """One version's terms, when it was in force, and the completions recorded under it."""

    times: Sequence[str]
    weekdays: Sequence[int]
    performers: dict[uuid.UUID, ZoneInfo]
    in_force: Sequence[Interval]
    completions: Sequence[tuple[uuid.UUID, datetime]]


def in_force_spans(history: Iterable[tuple[str, int, datetime]]) -> dict[int, list[Interval]]:
    """When each version of one protocol was in force, from its history in order as
    (action, version, at): an activation starts its version's span, and the next activation,
    suspension or retirement ends it. A span still running ends None. Other actions (a
    proposal, a single agreement, a declined change) leave the spans as they are."""
    spans: dict[int, list[Interval]] = {}
    running: tuple[int, datetime] | None = None
    for action, number, at in history:
        if action not in SPAN_EVENTS:
            continue
        if running is not None:
            spans.setdefault(running[0], []).append((running[1], at))
            running = None
        if action in STARTS:
            running = (number, at)
    if running is not None:
        spans.setdefault(running[0], []).append((running[1], None))
    return spans


def occurrences(
    times: Sequence[str],
    weekdays: Iterable[int],
    zone: ZoneInfo,
    start: datetime,
    end: datetime,
) -> list[datetime]:
    """The scheduled moments in [start, end), in UTC, each local wall time once a day.

    A wall time that does not exist (a DST gap) is taken as the same wall time after the shift,
    and a repeated one (a DST fold) as its first occurrence, so each day has each time once.
    """
    days = set(weekdays)
    clock = [time(int(t[:2]), int(t[3:])) for t in times]
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    found: set[datetime] = set()
    day = first
    while day <= last:
        if day.weekday() in days:
            for at in clock:
                moment = local_instant(day, at, zone)
                if start <= moment < end:
                    found.add(moment)
        day += timedelta(days=1)
    # A set: where a zone skipped a whole local day (Pacific/Apia, 2011-12-30), that day's wall
    # times resolve to the next day's instants, which must not count twice.
    return sorted(found)


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time on a local day (see below for gaps and folds)."""
    # fold=0 reads the wall time with the offset in force before a transition (PEP 495). In a
    # fold that is the first of the two instants; in a gap it is the instant after the clocks
    # moved forward (02:30 on a spring-forward night is 03:30 new time). fold=1 would put a
    # gap's occurrence *before* the shift (01:30 old time).
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def _inside(moment: datetime, intervals: Sequence[Interval], now: datetime) -> bool:
    return any(start <= moment < (end or now) for start, end in intervals)


def adherence(
    *,
    times: Sequence[str],
    weekdays: Iterable[int],
    performers: dict[uuid.UUID, ZoneInfo],
    in_force: Sequence[Interval],
    paused: Sequence[Interval],
    completions: Iterable[tuple[uuid.UUID, datetime]],
    window_start: datetime,
    now: datetime,
) -> Result:
    weekdays = list(weekdays)
    done_by_day: Counter[tuple[uuid.UUID, date]] = Counter()
    for performer, occurred_at in completions:
        zone = performers.get(performer)
        if zone is not None:
            done_by_day[(performer, occurred_at.astimezone(zone).date())] += 1
    scheduled = 0
    done = 0
    for performer, zone in performers.items():
        due_by_day: Counter[date] = Counter()
        for moment in occurrences(times, weekdays, zone, window_start, now):
            if _inside(moment, in_force, now) and not _inside(moment, paused, now):
                due_by_day[moment.astimezone(zone).date()] += 1
        for day, due in due_by_day.items():
            scheduled += due
            done += min(due, done_by_day[(performer, day)])
    return Result(scheduled=scheduled, done=done)


def across_versions(
    versions: Iterable[VersionInForce],
    *,
    paused: Sequence[Interval],
    window_start: datetime,
    now: datetime,
) -> Result | None:
    """A protocol's adherence over all the versions that were in force with a schedule, or
    None when there were none (then it has no rate at all)."""
    total: Result | None = None
    for version in versions:
        part = adherence(
            times=version.times,
            weekdays=version.weekdays,
            performers=version.performers,
            in_force=version.in_force,
            paused=paused,
            completions=version.completions,
            window_start=window_start,
            now=now,
        )
        total = part if total is None else total + part
    return total
