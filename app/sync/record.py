"""Writing the change feed: every service that changes synced data calls ``record``.

``record`` bumps the stream's counter with one atomic upsert (``INSERT … ON CONFLICT (stream)
DO UPDATE SET seq = seq + 1 RETURNING seq``) and stores the change under that number, in the
writing request's own transaction. The counter row stays locked until that transaction ends, so
writes to one stream are serialised and commit in the order of their numbers: a reader that
sees number 11 has seen 10.

Only the fact of a change is stored, never its content: the feed reads each entity's current
representation when it is asked for, so what a reader sees is what the REST routes show them
then (the limits view, for one, is computed for the reader).

To keep lock order consistent (and PostgreSQL free of deadlocks between two requests), a
request records the dynamic's stream (``d:``) before any user's stream (``u:``), and several
user streams in sorted order.
"""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.checkins.models import CheckIn, CheckInResponse
from app.core import changes
from app.core.db import utcnow
from app.dynamics.models import Membership
from app.limits import repository as limits_repository
from app.notifications.models import Notification
from app.protocols.models import Completion, Protocol
from app.reviews.models import Review  # part: reviews
from app.sync.models import Change, ChangeStream

Op = Literal["upsert", "delete"]

DYNAMIC = "dynamic"
PROTOCOL = "protocol"
COMPLETION = "completion"
CHECKIN = "checkin"
CHECKIN_RESPONSE = "checkin_response"
LIMITS = "limits"
NOTIFICATION = "notification"
# part: reviews. A review is in the dynamic stream (its state) and, while sealed, in its
# author's stream (their own answers); the schedule is keyed by the dynamic's id.
REVIEW = "review"
REVIEW_SCHEDULE = "review_schedule"


def dynamic_stream(dynamic_id: uuid.UUID) -> str:
    return f"d:{dynamic_id}"


def user_stream(user_id: uuid.UUID) -> str:
    return f"u:{user_id}"


async def record(
    session: AsyncSession, stream: str, entity: str, entity_id: uuid.UUID, op: Op = "upsert"
) -> int:
    """Append one change to ``stream`` and return its number."""
    table = ChangeStream.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        pg_stmt = pg_insert(table).values(stream=stream, seq=1)
        bump = pg_stmt.on_conflict_do_update(
            index_elements=["stream"], set_={"seq": table.c.seq + 1}
        ).returning(table.c.seq)
        seq = (await session.execute(bump)).scalar_one()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite_stmt = sqlite_insert(table).values(stream=stream, seq=1)
        lite_bump = lite_stmt.on_conflict_do_update(
            index_elements=["stream"], set_={"seq": table.c.seq + 1}
        ).returning(table.c.seq)
        seq = (await session.execute(lite_bump)).scalar_one()
    await session.execute(
        insert(Change).values(
            id=uuid.uuid4(),
            stream=stream,
            seq=int(seq),
            entity=entity,
            entity_id=entity_id,
            op=op,
            at=utcnow(),
        )
    )
    # Open streams (app.live) hear of it once this transaction commits.
    changes.announce(session, stream, int(seq))
    return int(seq)


async def in_dynamic(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    entity: str,
    entity_id: uuid.UUID,
    op: Op = "upsert",
) -> int:
    """A change of a dynamic's shared data (anything but limits and notifications)."""
    return await record(session, dynamic_stream(dynamic_id), entity, entity_id, op)


async def dynamic_changed(session: AsyncSession, dynamic_id: uuid.UUID) -> int:
    return await in_dynamic(session, dynamic_id, DYNAMIC, dynamic_id)


async def limits_changed_for(
    session: AsyncSession, dynamic_id: uuid.UUID, viewer_ids: list[uuid.UUID]
) -> None:
    """The limits view of a dynamic changed for these viewers (and only for them: a partner's
    private answer changing is not a change of what the viewer may see, and saying there was
    a change would give it away)."""
    for viewer in sorted(set(viewer_ids), key=str):
        await record(session, user_stream(viewer), LIMITS, dynamic_id)


async def notification_created(
    session: AsyncSession, recipient_id: uuid.UUID, notification_id: uuid.UUID
) -> int:
    return await record(session, user_stream(recipient_id), NOTIFICATION, notification_id)


async def profile_changed(session: AsyncSession, user_id: uuid.UUID) -> None:
    """A member's name or pronouns are part of every dynamic they are in."""
    for dynamic_id in await _dynamics_of(session, user_id):
        await dynamic_changed(session, dynamic_id)


async def _dynamics_of(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(
        select(Membership.dynamic_id).where(col(Membership.user_id) == user_id)
    )
    return sorted(set(rows.scalars()), key=str)


async def account_deleted(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Record, before the account goes, what its deletion changes in each of its dynamics.

    Its check-ins (and the answers to them) and its limit answers go by ON DELETE CASCADE, so
    they are tombstoned here; what stays loses the user's name and words (the dynamic's
    members, the protocols' agreements and authors, completions, answers the user gave).
    """
    for dynamic_id in await _dynamics_of(session, user_id):
        await dynamic_changed(session, dynamic_id)
        checkin_ids = list(
            (
                await session.execute(
                    select(CheckIn.id)
                    .where(col(CheckIn.dynamic_id) == dynamic_id, col(CheckIn.user_id) == user_id)
                    .order_by(col(CheckIn.id))
                )
            ).scalars()
        )
        responses = (
            await session.execute(
                select(CheckInResponse.id, CheckInResponse.checkin_id)
                .where(
                    col(CheckInResponse.dynamic_id) == dynamic_id,
                    (col(CheckInResponse.checkin_id).in_(checkin_ids))
                    | (col(CheckInResponse.user_id) == user_id),
                )
                .order_by(col(CheckInResponse.id))
            )
        ).all()
        gone = set(checkin_ids)
        for response_id, checkin_id in responses:
            op: Op = "delete" if checkin_id in gone else "upsert"
            await in_dynamic(session, dynamic_id, CHECKIN_RESPONSE, response_id, op)
        for checkin_id in checkin_ids:
            await in_dynamic(session, dynamic_id, CHECKIN, checkin_id, "delete")
        protocol_ids = (
            await session.execute(
                select(Protocol.id)
                .where(col(Protocol.dynamic_id) == dynamic_id)
                .order_by(col(Protocol.id))
            )
        ).scalars()
        for protocol_id in list(protocol_ids):
            await in_dynamic(session, dynamic_id, PROTOCOL, protocol_id)
        completion_ids = (
            await session.execute(
                select(Completion.id)
                .where(
                    col(Completion.dynamic_id) == dynamic_id,
                    (col(Completion.user_id) == user_id)
                    | (col(Completion.acknowledged_by) == user_id),
                )
                .order_by(col(Completion.id))
            )
        ).scalars()
        for completion_id in list(completion_ids):
            await in_dynamic(session, dynamic_id, COMPLETION, completion_id)
        # part: reviews. The user's answers go; what the partner sees of each review changes.
        review_ids = (
            await session.execute(
                select(Review.id)
                .where(col(Review.dynamic_id) == dynamic_id)
                .order_by(col(Review.id))
            )
        ).scalars()
        for review_id in list(review_ids):
            await in_dynamic(session, dynamic_id, REVIEW, review_id)
        # The partner's view loses what it showed of the user's answers (and only then is
        # there a change to tell: private answers going must not be given away).
        partners = (
            await session.execute(
                select(Membership.user_id).where(
                    col(Membership.dynamic_id) == dynamic_id,
                    col(Membership.user_id).is_not(None),
                    col(Membership.user_id) != user_id,
                )
            )
        ).scalars()
        shown_to = [
            p
            for p in list(partners)
            if p is not None and await limits_repository.revealed_to(session, dynamic_id, p)
        ]
        await limits_changed_for(session, dynamic_id, shown_to)
    # The partners' notifications about what the user did lose their actor.
    told = (
        await session.execute(
            select(Notification.user_id, Notification.id)
            .where(col(Notification.actor_id) == user_id, col(Notification.user_id) != user_id)
            .order_by(col(Notification.user_id), col(Notification.id))
        )
    ).all()
    for recipient_id, notification_id in told:
        await notification_created(session, recipient_id, notification_id)
