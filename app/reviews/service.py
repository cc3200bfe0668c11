"""The review ritual: a cadence, private answers, a reveal together, an agenda, a summary.

Sealed until both submit: a member's answers leave the server only to that member until both
members submitted. The review's view is always built *for* a reader (``view_for``), by every
route that shows it (the review routes, the sync feed, the export), so no route can show the
partner's answers early. While open, saving answers is recorded in the author's own stream
only: the partner's feed does not even learn that an answer was edited. Notifications carry the
review's id, never an answer.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.models import User
from app.balance.service import balance_of
from app.core.db import utcnow
from app.core.envelopes import Envelope, check_words, stored_words, to_column, to_items
from app.core.errors import AppError, conflict
from app.dynamics import repository as dynamics_repository
from app.dynamics.models import Dynamic, Membership
from app.dynamics.repository import readable
from app.dynamics.service import FORMER_MEMBER, ensure_open
from app.keys import repository as keys_repository
from app.notifications.models import NotificationKind
from app.notifications.service import notify
from app.protocols import service as protocols_service
from app.protocols.models import Protocol, ProtocolVersion
from app.reviews import repository, rules
from app.reviews.models import REVIEW, REVIEW_SCHEDULE, Review, ReviewAnswer, ReviewSchedule
from app.reviews.schemas import (
    AgendaItem,
    AnswersIn,
    AnswersPublic,
    Outcome,
    ReviewPublic,
    ReviewState,
    ScheduleIn,
    SchedulePublic,
    Vote,
)
from app.sync import record as sync

WINDOW = timedelta(days=28)  # the agenda looks back to the last review, four weeks at most
IN_FORCE = ("active", "suspended")


def local_today(user: User, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(user.timezone))


# --- the cadence ------------------------------------------------------------------------------


def schedule_public(dynamic_id: uuid.UUID, schedule: ReviewSchedule | None) -> SchedulePublic:
    return SchedulePublic(
        dynamic_id=dynamic_id,
        every_days=schedule.every_days if schedule else None,
        next_on=schedule.next_on if schedule else None,
        updated_by=schedule.updated_by if schedule else None,
        updated_at=schedule.updated_at if schedule else None,
    )


# How the agenda names a need written in the member's own words and encrypted (docs/e2ee.md).
OWN_WORDS = "something in their own words"


async def get_schedule(session: AsyncSession, dynamic_id: uuid.UUID, user: User) -> SchedulePublic:
    await dynamics_repository.member_dynamic(session, dynamic_id, user.id)
    return schedule_public(dynamic_id, await repository.schedule_of(session, dynamic_id))


async def set_schedule(
    session: AsyncSession, dynamic_id: uuid.UUID, user: User, data: ScheduleIn
) -> SchedulePublic:
    dynamic, _ = await dynamics_repository.member_dynamic(
        session, dynamic_id, user.id, for_update=True
    )
    ensure_open(dynamic)
    now = utcnow()
    today = local_today(user, now).date()
    next_on = data.next_on or rules.next_review(today, data.every_days)
    if next_on is not None and not today <= next_on <= today + timedelta(days=366):
        raise AppError(
            422, "next_on_out_of_range", "next_on must be between today and a year from now"
        )
    schedule = await repository.schedule_of(session, dynamic.id) or ReviewSchedule(
        dynamic_id=dynamic.id
    )
    schedule.every_days = data.every_days
    schedule.next_on = next_on
    schedule.updated_by = user.id
    schedule.updated_at = now
    session.add(schedule)
    await session.flush()
    await sync.in_dynamic(session, dynamic.id, REVIEW_SCHEDULE, dynamic.id)
    return schedule_public(dynamic.id, schedule)


# --- a review's life --------------------------------------------------------------------------


async def start(session: AsyncSession, dynamic_id: uuid.UUID, user: User) -> Review:
    """Either member starts a review at any time (a red does not stop the two of them from
    talking); at most one is in progress (open or revealed) per dynamic."""
    dynamic, _ = await dynamics_repository.member_dynamic(
        session, dynamic_id, user.id, for_update=True
    )
    ensure_open(dynamic)
    if await repository.in_progress(session, dynamic.id) is not None:
        raise _in_progress()
    now = utcnow()
    today = local_today(user, now).date()
    last = await repository.last_revealed(session, dynamic.id)
    review = Review(
        dynamic_id=dynamic.id,
        due_on=today,
        opened_by=user.id,
        opened_at=now,
        since=max(last, now - WINDOW) if last else now - WINDOW,
        updated_at=now,
    )
    session.add(review)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        # SQLite has no row lock on the dynamic: the unique index settles a race.
        raise _in_progress() from None
    schedule = await repository.schedule_of(session, dynamic.id)
    if schedule is not None and schedule.every_days:
        schedule.next_on = rules.next_review(today, schedule.every_days)
        schedule.updated_at = now
        session.add(schedule)
        await session.flush()
        await sync.in_dynamic(session, dynamic.id, REVIEW_SCHEDULE, dynamic.id)
    await sync.in_dynamic(session, dynamic.id, REVIEW, review.id)
    await _tell_partner(session, review, user, NotificationKind.review_started)
    return review


def _in_progress() -> AppError:
    return conflict(
        "review_in_progress", "a review is already in progress; answer or close it first"
    )


def answers_etag(answer: ReviewAnswer) -> str:
    return f'"a{answer.revision}"'


def _etag_matches(header: str, current: str) -> bool:
    candidates = [part.strip() for part in header.split(",")]
    return "*" in candidates or current in candidates or f"W/{current}" in candidates


async def save_answers(
    session: AsyncSession,
    review_id: uuid.UUID,
    user: User,
    data: AnswersIn,
    *,
    if_match: str | None,
) -> Review:
    review, dynamic = await repository.member_review(session, review_id, user.id, for_update=True)
    ensure_open(dynamic)
    _ensure_state(review, ReviewState.open)
    answer = await repository.answer_of(session, review.id, user.id)
    if answer is not None and answer.submitted_at is not None:
        raise conflict("already_submitted", "you submitted your answers; they are final")
    if if_match is not None and (
        answer is None or not _etag_matches(if_match, answers_etag(answer))
    ):
        raise AppError(412, "etag_mismatch", "your answers changed since you read them; read again")
    titles = await _titles_in_force(session, dynamic.id)
    for index, vote in enumerate(data.protocols):
        if vote.protocol_id not in titles:
            raise AppError(
                422,
                "protocol_not_in_force",
                f"protocols[{index}].protocol_id is not a protocol in force in this dynamic",
            )
    # The words are bound to the author's answers: review_answer:<review id>.<user id>:<field>.
    check_words(
        private=await keys_repository.has_pair_key(session, dynamic.id),
        entity_id=review.id,
        fields={
            "went_well": data.went_well,
            "wish": data.wish,
            "note": data.note,
            "protocols": [v.comment for v in data.protocols if v.comment],
        },
    )
    now = utcnow()
    if answer is None:
        answer = ReviewAnswer(
            review_id=review.id, dynamic_id=dynamic.id, user_id=user.id, revision=0
        )
    answer.deal = data.deal
    answer.heard = data.heard
    answer.areas = (
        {name: area.model_dump() for name, area in data.areas if area is not None}
        if data.areas
        else {}
    )
    answer.protocols = [
        {
            "protocol_id": str(v.protocol_id),
            # The words as stored, an envelope as an object with the version it names.
            "title": _as_stored(titles[v.protocol_id][1]),
            "version_id": str(titles[v.protocol_id][0]),
            "vote": str(v.vote),
            "comment": to_items([v.comment])[0] if v.comment else None,
        }
        for v in data.protocols
    ]
    answer.went_well = to_column(data.went_well)
    answer.wish = to_column(data.wish)
    answer.note = to_column(data.note)
    answer.revision += 1
    answer.updated_at = now
    session.add(answer)
    await session.flush()
    # Sealed: only the author's own devices hear of an edit.
    await sync.record(session, sync.user_stream(user.id), REVIEW, review.id)
    return review


async def submit(session: AsyncSession, review_id: uuid.UUID, user: User) -> Review:
    review, dynamic = await repository.member_review(session, review_id, user.id, for_update=True)
    ensure_open(dynamic)
    answer = await repository.answer_of(session, review.id, user.id)
    if answer is not None and answer.submitted_at is not None:
        return review  # submitted already (a retry, a second tap)
    _ensure_state(review, ReviewState.open)
    if answer is None:
        raise conflict("nothing_to_submit", "answer at least one question before submitting")
    now = utcnow()
    answer.submitted_at = now
    session.add(answer)
    await session.flush()
    answers = (await repository.answers_to(session, [review.id]))[review.id]
    done = {a.user_id for a in answers if a.submitted_at is not None}
    members = await repository.member_ids(session, dynamic.id)
    revealed = len(members) == 2 and done >= set(members)
    if revealed:
        await _reveal(session, review, dynamic, answers, now)
    review.updated_at = now
    session.add(review)
    await session.flush()
    await sync.in_dynamic(session, dynamic.id, REVIEW, review.id)
    await _tell_partner(
        session,
        review,
        user,
        NotificationKind.review_revealed if revealed else NotificationKind.review_answered,
    )
    return review


async def _reveal(
    session: AsyncSession,
    review: Review,
    dynamic: Dynamic,
    answers: list[ReviewAnswer],
    now: datetime,
) -> None:
    """Both submitted: the answers show side by side, and the agenda is built from the data
    as it stands now (it does not change afterwards, so both read the same one)."""
    members = await repository.member_ids(session, dynamic.id)
    balance = await balance_of(session, dynamic, days=28)
    names = {m.user_id: m.display_name for m in balance.members}
    for member in members:
        names.setdefault(member, FORMER_MEMBER)
    in_force = list(
        (
            await session.execute(
                select(Protocol)
                .where(col(Protocol.dynamic_id) == dynamic.id, col(Protocol.status).in_(IN_FORCE))
                .order_by(col(Protocol.created_at), col(Protocol.id))
            )
        ).scalars()
    )
    protocols = [
        rules.ProtocolFact(
            id=p.id,
            title=_clear(p.in_force.title if p.in_force else p.title),
            status=str(p.status),
            scheduled=p.adherence.scheduled if p.adherence else 0,
            done=p.adherence.done if p.adherence else 0,
        )
        for p in await protocols_service.views(session, dynamic.id, in_force)
    ]
    votes = [
        rules.VoteFact(
            protocol_id=uuid.UUID(v["protocol_id"]), user_id=a.user_id, vote=Vote(v["vote"])
        )
        for a in answers
        if a.user_id in members
        for v in a.protocols
    ]
    waiting: dict[uuid.UUID, list[str]] = {}
    counted: dict[uuid.UUID, int] = {}
    for checkin in await repository.waiting_needs(session, dynamic.id, review.since, now):
        # A need in the member's own words is an envelope the server cannot read: named so.
        waiting.setdefault(checkin.user_id, []).extend(
            need if isinstance(need, str) else OWN_WORDS for need in checkin.needs
        )
        counted[checkin.user_id] = counted.get(checkin.user_id, 0) + 1
    facts = rules.Facts(
        members=members,
        names=names,
        verdict=str(balance.verdict),
        reasons=balance.reasons,
        heard={a.user_id: a.heard for a in answers},
        protocols=protocols,
        votes=votes,
        waiting=[
            rules.WaitingNeeds(user_id=m, needs=waiting[m], checkins=counted[m])
            for m in members
            if m in waiting
        ],
        limits_changed=await repository.limits_changed(session, dynamic.id, review.since),
    )
    review.agenda = rules.agenda(facts)
    review.state = ReviewState.revealed
    review.revealed_at = now


async def close(
    session: AsyncSession, review_id: uuid.UUID, user: User, summary: str | Envelope | None
) -> Review:
    review, dynamic = await repository.member_review(session, review_id, user.id, for_update=True)
    ensure_open(dynamic)
    _ensure_state(review, ReviewState.revealed)
    check_words(
        private=await keys_repository.has_pair_key(session, dynamic.id),
        entity_id=review.id,
        fields={"summary": summary},
    )
    now = utcnow()
    review.state = ReviewState.closed
    review.closed_at = now
    review.closed_by = user.id
    review.summary = to_column(summary)
    review.updated_at = now
    session.add(review)
    await session.flush()
    await sync.in_dynamic(session, dynamic.id, REVIEW, review.id)
    await _tell_partner(session, review, user, NotificationKind.review_closed)
    return review


def _ensure_state(review: Review, wanted: ReviewState) -> None:
    if review.state == wanted:
        return
    if review.state == ReviewState.open:
        raise conflict("review_not_revealed", "both of you answer first; then it can be closed")
    if review.state == ReviewState.revealed:
        raise conflict("review_revealed", "both answered already; the answers are final")
    raise conflict("review_closed", "this review is closed")


async def _titles_in_force(
    session: AsyncSession, dynamic_id: uuid.UUID
) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """Each protocol in force: its version's id and title as stored (maybe an envelope's JSON)."""
    rows = await session.execute(
        select(Protocol.id, ProtocolVersion.id, ProtocolVersion.title)
        .join(
            ProtocolVersion,
            (col(ProtocolVersion.protocol_id) == col(Protocol.id))
            & (col(ProtocolVersion.number) == col(Protocol.in_force_version)),
        )
        .where(col(Protocol.dynamic_id) == dynamic_id, col(Protocol.status).in_(IN_FORCE))
    )
    return {pid: (vid, title) for pid, vid, title in rows.all()}


def _clear(title: object) -> str | None:
    """A title the server can read, or None where it is sealed."""
    return title if isinstance(title, str) else None


def _as_stored(title: str) -> object:
    envelope = stored_words(title)
    return envelope if envelope is not None else title


async def _tell_partner(
    session: AsyncSession, review: Review, user: User, kind: NotificationKind
) -> None:
    # The review's id only: the inbox may be pushed to a lock screen.
    await notify(
        session,
        recipients=await dynamics_repository.partner_ids(session, review.dynamic_id, user.id),
        kind=kind,
        dynamic_id=review.dynamic_id,
        actor_id=user.id,
        data={"review_id": str(review.id)},
    )


# --- reading: always for one reader ----------------------------------------------------------


def _answers_public(answer: ReviewAnswer) -> AnswersPublic:
    return AnswersPublic(
        user_id=answer.user_id,
        deal=answer.deal,
        heard=answer.heard,
        areas=answer.areas or {},
        protocols=answer.protocols or [],
        went_well=answer.went_well,
        wish=answer.wish,
        note=answer.note,
        submitted_at=answer.submitted_at,
        updated_at=answer.updated_at,
        etag=answers_etag(answer),
    )


def view_for(review: Review, answers: list[ReviewAnswer], reader: uuid.UUID) -> ReviewPublic:
    """The review as ``reader`` may see it: the partner's answers only once revealed."""
    mine = next((a for a in answers if a.user_id == reader), None)
    theirs = next((a for a in answers if a.user_id != reader), None)
    sealed = review.state == ReviewState.open
    return ReviewPublic(
        id=review.id,
        dynamic_id=review.dynamic_id,
        state=ReviewState(review.state),
        due_on=review.due_on,
        opened_by=review.opened_by,
        opened_at=review.opened_at,
        since=review.since,
        submitted_by=sorted((a.user_id for a in answers if a.submitted_at is not None), key=str),
        mine=_answers_public(mine) if mine else None,
        partner=_answers_public(theirs) if theirs and not sealed else None,
        revealed_at=review.revealed_at,
        agenda=[AgendaItem.model_validate(item) for item in review.agenda or []],
        outcome=Outcome(
            summary=review.summary, closed_by=review.closed_by, closed_at=review.closed_at
        )
        if review.closed_at is not None
        else None,
    )


async def views_for(
    session: AsyncSession, reviews: list[Review], reader: uuid.UUID
) -> list[ReviewPublic]:
    answers = await repository.answers_to(session, [r.id for r in reviews])
    return [view_for(r, answers[r.id], reader) for r in reviews]


async def get(session: AsyncSession, review_id: uuid.UUID, user: User) -> ReviewPublic:
    review, _ = await repository.member_review(session, review_id, user.id)
    return (await views_for(session, [review], user.id))[0]


async def view(session: AsyncSession, review: Review, user: User) -> ReviewPublic:
    return (await views_for(session, [review], user.id))[0]


async def list_page(
    session: AsyncSession, dynamic_id: uuid.UUID, user: User, *, cursor: str | None, limit: int
) -> tuple[list[ReviewPublic], str | None, SchedulePublic]:
    await dynamics_repository.member_dynamic(session, dynamic_id, user.id)
    reviews, next_cursor = await repository.page(
        session, dynamic_id, user.id, cursor=cursor, limit=limit
    )
    schedule = schedule_public(dynamic_id, await repository.schedule_of(session, dynamic_id))
    return await views_for(session, reviews, user.id), next_cursor, schedule


# --- the sync feed, the export, account deletion ----------------------------------------------


async def sync_views(
    session: AsyncSession, reader: uuid.UUID, ids: set[uuid.UUID]
) -> list[ReviewPublic]:
    """For the feed: the reviews named, of dynamics the reader is in, as the reader may see
    them (a review id in the reader's own stream is still checked against membership)."""
    reviews = list(
        (await session.execute(readable(Review, reader).where(col(Review.id).in_(ids)))).scalars()
    )
    return await views_for(session, reviews, reader)


async def sync_schedules(
    session: AsyncSession, reader: uuid.UUID, dynamic_ids: set[uuid.UUID]
) -> list[SchedulePublic]:
    member_of = (
        await session.execute(
            select(Membership.dynamic_id).where(
                col(Membership.user_id) == reader, col(Membership.dynamic_id).in_(dynamic_ids)
            )
        )
    ).scalars()
    return [
        schedule_public(d, await repository.schedule_of(session, d))
        for d in sorted(set(member_of), key=str)
    ]


async def export_for(session: AsyncSession, user: User) -> list[dict[str, object]]:
    """Every review of the user's dynamics, as the user may see it: their own answers, the
    partner's only where both submitted."""
    reviews = list(
        (
            await session.execute(
                readable(Review, user.id).order_by(col(Review.opened_at), col(Review.id))
            )
        ).scalars()
    )
    return [v.model_dump(mode="json") for v in await views_for(session, reviews, user.id)]


async def erase_for(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Before an account goes: its answers go by ON DELETE CASCADE; a summary it wrote goes
    with it, and its name leaves the agendas (the partner keeps the rest of the shared
    history). The feed is told by ``app.sync.record.account_deleted``."""
    user = await session.get(User, user_id)
    if user is None:
        return
    reviews = list((await session.execute(readable(Review, user.id))).scalars())
    for review in reviews:
        if review.closed_by == user.id:
            review.summary = None
        if review.agenda:
            review.agenda = [
                {
                    **item,
                    "text": item["text"].replace(user.display_name, FORMER_MEMBER),
                    "user_id": None if item.get("user_id") == str(user.id) else item.get("user_id"),
                }
                for item in review.agenda
            ]
        session.add(review)
    await session.flush()
