"""The balance of equity and importance, as a pure function (formulas in docs/balance.md).

Given both members' check-ins and completions over a window, it answers for the pair, the same
for both members: what each gave and received, whether each one's needs were answered, the
equity gap and the importance gap, a verdict and its reasons in plain language, and daily series
for charts. Swapping the members swaps the result; nothing here depends on who is asking.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from statistics import fmean

MIN_CHECKINS = 2  # per member in the window, for any verdict but not_enough_data
DRIFTING = 0.15
IMBALANCED = 0.30
LOW_MOOD = 2.0
_RATIO_SPAN = math.log(25)  # received/gave ratios lie in [1/5, 5]: their log ratio in ±ln 25


@dataclass(frozen=True)
class CheckInFact:
    user_id: uuid.UUID
    occurred_at: datetime
    mood: int
    energy: int | None = None
    gave: int | None = None
    received: int | None = None
    deal: int | None = None
    needs: int = 0
    answered: bool = False  # the partner answered "done"


@dataclass(frozen=True)
class CompletionFact:
    user_id: uuid.UUID
    occurred_at: datetime
    acknowledged: bool


@dataclass(frozen=True)
class MemberStats:
    user_id: uuid.UUID
    checkins: int
    checkin_share: float | None
    mean_mood: float | None
    mean_energy: float | None
    mean_gave: float | None
    mean_received: float | None
    mean_deal: float | None
    needs_raised: int
    needs_answered: int
    completions_performed: int
    completions_acknowledged: int


@dataclass(frozen=True)
class DayStats:
    user_id: uuid.UUID
    checkins: int
    mean_mood: float | None
    mean_gave: float | None
    mean_received: float | None
    needs_raised: int
    needs_answered: int


@dataclass(frozen=True)
class Day:
    date: date
    members: tuple[DayStats, DayStats]


@dataclass(frozen=True)
class Gap:
    """A signed gap in [-1, 1] from the first member's side, and the parts it averages."""

    value: float | None
    parts: dict[str, float | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Balance:
    members: tuple[MemberStats, MemberStats]
    equity: Gap  # > 0: the first member receives more for what they give
    importance: Gap  # > 0: the first member is more heard
    under_benefited: uuid.UUID | None
    over_benefited: uuid.UUID | None
    verdict: str
    reasons: tuple[str, ...]
    series: tuple[Day, ...]


def _mean(values: Sequence[float]) -> float | None:
    return round(fmean(values), 2) if values else None


def _clamp(value: float) -> float:
    return max(-1.0, min(1.0, value))


def _average(parts: dict[str, float | None]) -> float | None:
    present = [v for v in parts.values() if v is not None]
    return round(_clamp(fmean(present)), 3) if present else None


def _averages(m: MemberStats) -> str:
    """What this member answered on average, as ' (gave 4.5, received 2.0, deal -1.5 on
    average)', or '' if they answered none of the three."""
    values = [
        f"{label} {value}"
        for label, value in (
            ("gave", m.mean_gave),
            ("received", m.mean_received),
            ("deal", m.mean_deal),
        )
        if value is not None
    ]
    return f" ({', '.join(values)} on average)" if values else ""


def _stats(
    member: uuid.UUID,
    checkins: Sequence[CheckInFact],
    completions: Sequence[CompletionFact],
    total_checkins: int,
) -> MemberStats:
    own = [c for c in checkins if c.user_id == member]
    done = [c for c in completions if c.user_id == member]
    return MemberStats(
        user_id=member,
        checkins=len(own),
        checkin_share=round(len(own) / total_checkins, 3) if total_checkins else None,
        mean_mood=_mean([c.mood for c in own]),
        mean_energy=_mean([c.energy for c in own if c.energy is not None]),
        mean_gave=_mean([c.gave for c in own if c.gave is not None]),
        mean_received=_mean([c.received for c in own if c.received is not None]),
        mean_deal=_mean([c.deal for c in own if c.deal is not None]),
        needs_raised=sum(c.needs for c in own),
        needs_answered=sum(c.needs for c in own if c.answered),
        completions_performed=len(done),
        completions_acknowledged=sum(1 for c in done if c.acknowledged),
    )


def _equity(a: MemberStats, b: MemberStats) -> Gap:
    def ratio(m: MemberStats) -> float | None:
        if m.mean_gave is None or m.mean_received is None:
            return None
        return m.mean_received / m.mean_gave

    ra, rb = ratio(a), ratio(b)
    parts: dict[str, float | None] = {
        # log(ra) - log(rb) rather than log(ra / rb): exactly antisymmetric in floating point.
        "ratio": None
        if ra is None or rb is None
        else round(_clamp((math.log(ra) - math.log(rb)) / _RATIO_SPAN), 3),
        "received": None
        if a.mean_received is None or b.mean_received is None
        else round((a.mean_received - b.mean_received) / 4, 3),
        "deal": None
        if a.mean_deal is None or b.mean_deal is None
        else round((a.mean_deal - b.mean_deal) / 6, 3),
    }
    return Gap(_average(parts), parts)


def _importance(a: MemberStats, b: MemberStats) -> Gap:
    total = a.checkins + b.checkins
    answered: float | None = None
    if a.needs_raised and b.needs_raised:
        answered = round(a.needs_answered / a.needs_raised - b.needs_answered / b.needs_raised, 3)
    parts: dict[str, float | None] = {
        "checkin_share": round((a.checkins - b.checkins) / total, 3) if total else None,
        "needs_answered": answered,
    }
    return Gap(_average(parts), parts)


def _utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def _series(
    members: tuple[uuid.UUID, uuid.UUID], checkins: Sequence[CheckInFact], first: date, last: date
) -> tuple[Day, ...]:
    by_day: dict[date, list[CheckInFact]] = {}
    for c in checkins:
        by_day.setdefault(_utc_day(c.occurred_at), []).append(c)
    days = []
    day = first
    while day <= last:
        todays = by_day.get(day, [])
        stats = []
        for member in members:
            own = [c for c in todays if c.user_id == member]
            stats.append(
                DayStats(
                    user_id=member,
                    checkins=len(own),
                    mean_mood=_mean([c.mood for c in own]),
                    mean_gave=_mean([c.gave for c in own if c.gave is not None]),
                    mean_received=_mean([c.received for c in own if c.received is not None]),
                    needs_raised=sum(c.needs for c in own),
                    needs_answered=sum(c.needs for c in own if c.answered),
                )
            )
        days.append(Day(date=day, members=(stats[0], stats[1])))
        day += timedelta(days=1)
    return tuple(days)


def compute(
    members: tuple[uuid.UUID, uuid.UUID],
    checkins: Sequence[CheckInFact],
    completions: Sequence[CompletionFact],
    *,
    start: datetime,
    end: datetime,
    names: dict[uuid.UUID, str],
) -> Balance:
    """The balance over [start, end). Facts outside the window or of others are ignored."""
    inside = [c for c in checkins if start <= c.occurred_at < end and c.user_id in members]
    done = [c for c in completions if start <= c.occurred_at < end and c.user_id in members]
    total = len(inside)
    a, b = (_stats(m, inside, done, total) for m in members)
    equity = _equity(a, b)
    importance = _importance(a, b)
    series = _series(members, inside, _utc_day(start), _utc_day(end - timedelta(microseconds=1)))
    by_id = {a.user_id: a, b.user_id: b}

    def name(member: uuid.UUID) -> str:
        return names.get(member, "A member")

    # Reasons are built in an order that does not depend on the order of the members.
    canonical = sorted(members, key=str)
    reasons: list[str] = []
    short = [m for m in canonical if by_id[m].checkins < MIN_CHECKINS]
    if short:
        who = " and ".join(name(m) for m in short)
        reasons.append(
            f"Not enough check-ins yet: {who} "
            f"{'need' if len(short) > 1 else 'needs'} at least {MIN_CHECKINS} in these days."
        )
        return Balance(
            members=(a, b),
            equity=equity,
            importance=importance,
            under_benefited=None,
            over_benefited=None,
            verdict="not_enough_data",
            reasons=tuple(reasons),
            series=series,
        )

    severity = 0.0
    over = under = None
    if equity.value is not None and abs(equity.value) >= DRIFTING:
        over, under = (a, b) if equity.value > 0 else (b, a)
        severity = max(severity, abs(equity.value))
        # "Less for what they give", not "gives more than they receive": the gap compares the
        # two members, so the under-benefited one may well receive more than they give.
        reasons.append(
            f"{name(under.user_id)} receives less for what they give than "
            f"{name(over.user_id)}{_averages(under)} and may come to feel resentment."
        )
        reasons.append(
            f"{name(over.user_id)} receives more for what they give than "
            f"{name(under.user_id)}{_averages(over)} and may come to feel guilt."
        )
    share = importance.parts.get("checkin_share")
    if share is not None and abs(share) >= DRIFTING:
        severity = max(severity, abs(share))
        more = a if share > 0 else b
        reasons.append(
            f"{name(more.user_id)} made {more.checkins} of the {total} check-ins: "
            "both voices should be heard."
        )
    answered = importance.parts.get("needs_answered")
    if answered is not None and abs(answered) >= DRIFTING:
        severity = max(severity, abs(answered))
        lines = [
            f"{name(m)}'s needs were answered {by_id[m].needs_answered} of "
            f"{by_id[m].needs_raised} times"
            for m in canonical
        ]
        reasons.append("; ".join(lines) + ".")
    answered_told = answered is not None and abs(answered) >= DRIFTING
    for m in canonical:
        stats = by_id[m]
        if stats.needs_raised >= 3 and stats.needs_answered / stats.needs_raised < 0.5:
            severity = max(severity, DRIFTING)
            # Unless the comparison above already said it: both members can be unanswered alike.
            if not answered_told:
                reasons.append(
                    f"{name(m)}'s needs were answered {stats.needs_answered} of "
                    f"{stats.needs_raised} times."
                )
        if stats.mean_mood is not None and stats.mean_mood <= LOW_MOOD:
            severity = max(severity, DRIFTING)
            reasons.append(f"{name(m)}'s mood has been low ({stats.mean_mood} on average).")

    if severity >= IMBALANCED:
        verdict = "imbalanced"
    elif severity >= DRIFTING:
        verdict = "drifting"
    else:
        verdict = "balanced"
        reasons.append(
            "What each of you gives and receives is in proportion, and both of you are heard."
        )
    return Balance(
        members=(a, b),
        equity=equity,
        importance=importance,
        under_benefited=under.user_id if under else None,
        over_benefited=over.user_id if over else None,
        verdict=verdict,
        reasons=tuple(reasons),
        series=series,
    )
