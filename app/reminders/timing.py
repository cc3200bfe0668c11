"""When a reminder is due: a pure function of a schedule, a time zone and quiet hours.

Occurrences are local wall times (``app.protocols.adherence.occurrences``: a DST gap moves a
time to just after the shift, a fold takes its first instant, so each scheduled local time
happens exactly once a day). A time inside the recipient's quiet hours is deferred to the end
of the quiet period. Each reminder carries its local wall time as its identity, so it can be
stored once (a unique key) and never sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.protocols.adherence import local_instant


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time

    @classmethod
    def parse(cls, start: str | None, end: str | None) -> QuietHours | None:
        if not start or not end or start == end:
            return None
        return cls(_clock(start), _clock(end))

    def contains(self, at: time) -> bool:
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
    """The first instant at or after ``moment`` that is outside quiet hours."""
    if quiet is None:
        return moment
    local = moment.astimezone(zone)
    if not quiet.contains(local.time().replace(second=0, microsecond=0)):
        return moment
    day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        day += timedelta(days=1)  # in the evening part: quiet ends tomorrow morning
    return local_instant(day, quiet.end, zone)


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
    one instant (a zone that skipped a whole day), the first is kept.
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
