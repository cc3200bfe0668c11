"""When a reminder is due: a pure function of a schedule, a time zone and quiet hours.

Occurrences are local wall times (``app.protocols.adherence.occurrences``: a DST gap moves a
time to just after the shift, a fold takes its first instant, so each scheduled local time
happens exactly once a day). A time inside the recipient's quiet hours is deferred to the end
of the quiet period. Each reminder carries its local wall time as its identity, so it can be
stored once (a unique key) and never sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.protocols.adherence import local_instant


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    @classmethod
    def parse(cls, start: str | None, end: str | None) -> QuietHours | None:
        if not start or not end:
            return None
        quiet = cls(_clock(start), _clock(end))
        return None if quiet.start == quiet.end else quiet  # "07:00" and "07:00:00" are equal

    def contains(self, at: time) -> bool:
        if self.start == self.end:
            return False  # an empty window, never all day (nothing could ever be sent)
        if self.start < self.end:
            return self.start <= at < self.end
        return at >= self.start or at < self.end  # wraps midnight, e.g. 22:00-07:00


def _clock(text: str) -> time:
    return time(int(text[:2]), int(text[3:5]))


@dataclass(frozen=True)
class Due:
    local: datetime  # the scheduled local wall time (naive), the reminder's identity
    scheduled: datetime  # its instant, UTC
    at: datetime  # when to send it, UTC (after quiet hours)

    @property
    def key(self) -> str:
        return self.local.strftime("%Y-%m-%dT%H:%M")


def defer_for_quiet(moment: datetime, zone: ZoneInfo, quiet: QuietHours | None) -> datetime:
    """The first instant at or after ``moment`` that is outside quiet hours.

    That is the quiet-hours end on the local clock, unless the clocks change first: when they
    jump over the end (quiet until 02:30 on a night that goes from 02:00 to 03:00), quiet hours
    are over at the jump (03:00 new time), and when they are turned back out of the window, at
    that instant. The result is never inside quiet hours, so deferring twice changes nothing.
    """
    if quiet is None or not quiet.contains(_minute(moment.astimezone(zone))):
        return moment
    at = moment.astimezone(UTC)
    while True:  # once per change of the clocks before the end of quiet hours (rarely any)
        local = at.astimezone(zone)
        if not quiet.contains(_minute(local)):
            return at
        wall = local.replace(tzinfo=None)
        end = datetime.combine(wall.date(), quiet.end)
        if end <= wall:
            end += timedelta(days=1)  # in the evening part of 22:00-07:00: tomorrow morning
        then = at + (end - wall)  # where the local clock reads the end, if it does not change
        if then.astimezone(zone).utcoffset() == local.utcoffset():
            return then
        at = _next_change(at, then, zone)  # the clocks change first: look again from there


def _minute(local: datetime) -> time:
    return local.time().replace(second=0, microsecond=0)


_TICK = timedelta(microseconds=1)


def _next_change(after: datetime, before: datetime, zone: ZoneInfo) -> datetime:
    """The instant in (after, before] when the zone's UTC offset changes (one is known to)."""
    offset = after.astimezone(zone).utcoffset()
    low, high = 0, (before - after) // _TICK
    while high - low > 1:
        middle = (low + high) // 2
        if (after + middle * _TICK).astimezone(zone).utcoffset() == offset:
            low = middle
        else:
            high = middle
    return after + high * _TICK


def scheduled(
    times: list[str],
    weekdays: list[int],
    zone: ZoneInfo,
    quiet: QuietHours | None,
    start: datetime,
    end: datetime,
) -> list[Due]:
    """Every scheduled occurrence whose instant falls in [start, end), with its send time.

    Each (local day, scheduled time) gives exactly one occurrence; where two of them land on
    one instant, the first is kept: a time the clocks skipped is read after the shift and may
    meet a later time of that night (01:00 and 02:00 in London on 2010-03-28), and a zone may
    skip a whole day (Apia, 2011-12-30).
    """
    days = set(weekdays)
    clock = sorted({_clock(t) for t in times})
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    found: dict[datetime, Due] = {}
    day = first
    while day <= last:
        if day.weekday() in days:
            for at in clock:
                moment = local_instant(day, at, zone)
                if start <= moment < end and moment not in found:
                    found[moment] = Due(
                        local=datetime.combine(day, at),
                        scheduled=moment,
                        at=defer_for_quiet(moment, zone, quiet),
                    )
        day += timedelta(days=1)
    return [found[m] for m in sorted(found)]


def daily(
    at: str, zone: ZoneInfo, quiet: QuietHours | None, start: datetime, end: datetime
) -> list[Due]:
    return scheduled([at], list(range(7)), zone, quiet, start, end)


def on_date(day: date, at: str, zone: ZoneInfo, quiet: QuietHours | None) -> Due:
    moment = local_instant(day, _clock(at), zone)
    return Due(
        local=datetime.combine(day, _clock(at)),
        scheduled=moment,
        at=defer_for_quiet(moment, zone, quiet),
    )
