"""The balance of equity and importance, as a pure function (formulas in docs/balance.md).

Given both members' check-ins and completions over a window, it answers for the pair, the same
for both members: what each gave and received, whether each one's needs were answered, the
equity gap and the importance gap, a verdict and its reasons in plain language, and daily series
for charts. Swapping the members swaps the result; nothing here depends on who is asking.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Sequence
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
class NextStep:
    """The one step the balance suggests: `check_in`, `answer_needs`, `start_review` or
    `raise_yellow`; `member` is whom it is about (whose check-ins or needs), if anyone."""

    kind: str
    member: uuid.UUID | None = None


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
    next_step: NextStep | None = None


@dataclass(frozen=True)
class Week:
    start: datetime
    end: datetime
    balance: Balance


def _mean(values: Sequence[float]) -> float | None:
    return round(fmean(values), 2) if values else None


def _clamp(value: float) -> float:
    return max(-1.0, min(1.0, value))


def _average(parts: dict[str, float | None]) -> float | None:
    present = [v for v in parts.values() if v is not None]
    return round(_clamp(fmean(present)), 3) if present else None


def span_words(days: int) -> str:
    """The window in words: 'this week', 'these four weeks', 'these 90 days'."""
    return {7: "this week", 14: "these two weeks", 28: "these four weeks"}.get(
        days, "today" if days == 1 else f"these {days} days"
    )


def _answered(name: str, answered: int, raised: int) -> str:
    """How many of a member's needs were answered, in words a person would use."""
    if raised == 1:
        return f"{name}'s one need was {'answered' if answered else 'not answered'}"
    if answered == raised:
        return f"{'both' if raised == 2 else f'all {raised}'} of {name}'s needs were answered"
    if answered == 0:
        return f"none of {name}'s {raised} needs were answered"
    return f"{answered} of {name}'s {raised} needs were answered"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _what_happened(member: MemberStats, other: str, name: str, span: str, *, less: bool) -> str:
    """An under-benefited (`less`) or over-benefited member, named by what happened rather than
    by what they may come to feel: their own gave and received, else their deal answer."""
    gave, received, deal = member.mean_gave, member.mean_received, member.mean_deal
    if gave is not None and received is not None and (gave > received if less else gave < received):
        done = "giving more than receiving" if less else "receiving more than giving"
        return f"{name} has been {done} {span}."
    if deal is not None and (deal < 0 if less else deal > 0):
        if less:
            return f"{name} feels {other} has been getting the better deal {span}."
        return f"{name} feels the better deal has been on their side {span}."
    back = "less" if less else "more"
    return f"{name} has been getting {back} back for what they give than {other} {span}."


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


def _drift(
    a: MemberStats,
    b: MemberStats,
    equity: Gap,
    importance: Gap,
    total: int,
    span: str,
    name: Callable[[uuid.UUID], str],
    reasons: list[str],
) -> tuple[float, MemberStats | None, MemberStats | None]:
    """How far the two drifted apart (the largest gap found), who is over- and who is
    under-benefited, with what happened appended to ``reasons`` in an order that does not depend
    on the order of the members."""
    by_id = {a.user_id: a, b.user_id: b}
    canonical = sorted(by_id, key=str)
    severity = 0.0
    over = under = None
    if equity.value is not None and abs(equity.value) >= DRIFTING:
        over, under = (a, b) if equity.value > 0 else (b, a)
        severity = max(severity, abs(equity.value))
        # "Less for what they give", not "gives more than they receive": the gap compares the
        # two members, so the under-benefited one may well receive more than they give.
        reasons.append(
            _what_happened(under, name(over.user_id), name(under.user_id), span, less=True)
        )
        reasons.append(
            _what_happened(over, name(under.user_id), name(over.user_id), span, less=False)
        )
    share = importance.parts.get("checkin_share")
    if share is not None and abs(share) >= DRIFTING:
        severity = max(severity, abs(share))
        more = a if share > 0 else b
        reasons.append(
            f"Most check-ins {span} came from {name(more.user_id)} ({more.checkins} of "
            f"{total}): hearing from both of you keeps the picture true."
        )
    answered = importance.parts.get("needs_answered")
    if answered is not None and abs(answered) >= DRIFTING:
        severity = max(severity, abs(answered))
        lines = [
            _answered(name(m), by_id[m].needs_answered, by_id[m].needs_raised) for m in canonical
        ]
        reasons.append(_sentence("; ".join(lines)))
    answered_told = answered is not None and abs(answered) >= DRIFTING
    for m in canonical:
        stats = by_id[m]
        if stats.needs_raised >= 3 and stats.needs_answered / stats.needs_raised < 0.5:
            severity = max(severity, DRIFTING)
            # Unless the comparison above already said it: both members can be unanswered alike.
            if not answered_told:
                reasons.append(
                    _sentence(_answered(name(m), stats.needs_answered, stats.needs_raised))
                )
        if stats.mean_mood is not None and stats.mean_mood <= LOW_MOOD:
            severity = max(severity, DRIFTING)
            reasons.append(f"{name(m)} has been feeling low {span}.")

    return severity, over, under


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

    # Reasons name what happened, in plain words and without decimals (those are in the
    # numbers): the theory's words for how it may feel stay in docs/balance.md.
    span = span_words(round((end - start) / timedelta(days=1)))

    # Reasons are built in an order that does not depend on the order of the members.
    canonical = sorted(members, key=str)
    reasons: list[str] = []
    short = [m for m in canonical if by_id[m].checkins < MIN_CHECKINS]
    if short:
        who = " and ".join(name(m) for m in short)
        reasons.append(
            f"Too early to tell: {who} {'need' if len(short) > 1 else 'needs'} at least "
            f"{MIN_CHECKINS} check-ins in {span}."
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
            next_step=NextStep("check_in", short[0] if len(short) == 1 else None),
        )

    severity, over, under = _drift(a, b, equity, importance, total, span, name, reasons)
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
        next_step=_next_step(verdict, [by_id[m] for m in canonical]),
    )


def _next_step(verdict: str, members: Sequence[MemberStats]) -> NextStep | None:
    """One step, the most concrete first: needs left waiting can be answered today; a large
    gap is worth saying out loud (yellow); a drift is what a review is for."""
    if verdict == "balanced":
        return None
    waiting = [m for m in members if m.needs_raised and m.needs_answered / m.needs_raised < 0.5]
    if waiting:
        most = max(waiting, key=lambda m: m.needs_raised - m.needs_answered)
        return NextStep("answer_needs", most.user_id)
    return NextStep("raise_yellow" if verdict == "imbalanced" else "start_review")


WEEK = timedelta(days=7)


def trend(
    members: tuple[uuid.UUID, uuid.UUID],
    checkins: Sequence[CheckInFact],
    completions: Sequence[CompletionFact],
    *,
    end: datetime,
    weeks: int,
    names: dict[uuid.UUID, str],
) -> tuple[Week, ...]:
    """The balance of each of the `weeks` weeks ending at `end`, oldest first: the same
    computation as `compute` over each week, so a week of the trend reads like a 7-day balance."""
    first = end - weeks * WEEK
    checkins_by_week: list[list[CheckInFact]] = [[] for _ in range(weeks)]
    completions_by_week: list[list[CompletionFact]] = [[] for _ in range(weeks)]
    for fact in checkins:
        if first <= fact.occurred_at < end:
            checkins_by_week[(fact.occurred_at - first) // WEEK].append(fact)
    for done in completions:
        if first <= done.occurred_at < end:
            completions_by_week[(done.occurred_at - first) // WEEK].append(done)
    result = []
    for index in range(weeks):
        start = first + index * WEEK
        result.append(
            Week(
                start=start,
                end=start + WEEK,
                balance=compute(
                    members,
                    checkins_by_week[index],
                    completions_by_week[index],
                    start=start,
                    end=start + WEEK,
                    names=names,
                ),
            )
        )
    return tuple(result)
