"""Reviews as a part: a review and a dynamic's review schedule in the feed, each read for its
reader (the partner's answers only once both submitted); the reviews in the export, read the
same way; on an account's deletion every review of its dynamics changes for the partner (the
user's answers go with them) and the user's summaries and name leave what stays. A review
waiting for a member's answers is in home's "waiting for you" list."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.repository import account
from app.core.declaration import Export, Part, SyncEntity, Words
from app.core.envelopes import NoteEnvelope
from app.dynamics import repository as dynamics_repository
from app.dynamics.models import Dynamic
from app.reviews import copies, repository, service
from app.reviews.models import REVIEW, REVIEW_SCHEDULE, Review, ReviewAnswer, ReviewSchedule
from app.reviews.router import router
from app.reviews.schemas import CommentEnvelope, ReviewPublic, ReviewState, SchedulePublic
from app.sync import record as sync
from app.today.waiting import EXTRA_SOURCES, WaitingItem


async def _load_reviews(
    session: AsyncSession, reader: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, ReviewPublic]:
    return {review.id: review for review in await service.sync_views(session, reader, ids)}


async def _load_schedules(
    session: AsyncSession, reader: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, SchedulePublic]:
    return {s.dynamic_id: s for s in await service.sync_schedules(session, reader, ids)}


async def _reviews_changed(session: AsyncSession, user_id: uuid.UUID) -> None:
    """The user's answers go with them (ON DELETE CASCADE): what the partner sees of each
    review of their dynamics changes."""
    for dynamic_id in await dynamics_repository.dynamic_ids_of(session, user_id):
        review_ids = await session.execute(
            select(Review.id).where(col(Review.dynamic_id) == dynamic_id).order_by(col(Review.id))
        )
        for review_id in list(review_ids.scalars()):
            await sync.in_dynamic(session, dynamic_id, REVIEW, review_id)


async def _export(session: AsyncSession, user_id: uuid.UUID) -> dict[str, object]:
    return {"reviews": await service.export_for(session, await account(session, user_id))}


async def _to_answer(
    session: AsyncSession, dynamic: Dynamic, me: uuid.UUID, _now: datetime
) -> list[WaitingItem]:
    """The review in progress, while it waits for this member's answers."""
    review = await repository.in_progress(session, dynamic.id)
    if review is None or review.state != ReviewState.open:
        return []
    mine = await repository.answer_of(session, review.id, me)
    if mine is not None and mine.submitted_at is not None:
        return []
    return [
        WaitingItem(
            kind="review",
            at=review.opened_at,
            from_user_id=review.opened_by if review.opened_by != me else None,
            review_id=review.id,
        )
    ]


EXTRA_SOURCES.append(_to_answer)
ANSWER_RECORD = (ReviewAnswer.review_id, ReviewAnswer.user_id)

PART = Part(
    name="reviews",
    routers=(router,),
    models=(ReviewSchedule, Review, ReviewAnswer),
    sync=(
        SyncEntity(REVIEW, _load_reviews, account_deleted=_reviews_changed),
        SyncEntity(REVIEW_SCHEDULE, _load_schedules),
    ),
    export=Export({"reviews": list[ReviewPublic]}, _export),
    erase=service.erase_for,
    # A member's answers are named by the review and their author: review_answer:<review
    # id>.<user id>:<field>, a vote's comment protocols.<protocol id>.comment; the summary is
    # the review's own. Either changes the review.
    words=(
        *(
            Words(
                "review_answer",
                field,
                getattr(ReviewAnswer, field),
                REVIEW,
                NoteEnvelope,
                feed_id=ReviewAnswer.review_id,
                record=ANSWER_RECORD,
            )
            for field in ("went_well", "wish", "note")
        ),
        Words(
            "review_answer",
            "protocols.{protocol_id}.comment",
            ReviewAnswer.protocols,
            REVIEW,
            CommentEnvelope,
            feed_id=ReviewAnswer.review_id,
            record=ANSWER_RECORD,
            within="comment",
        ),
        Words("review", "summary", Review.summary, REVIEW, NoteEnvelope),
    ),
    words_sealed=copies.scrub,
)
