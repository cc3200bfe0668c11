"""Check-ins and the partner's answers to them.

Check-ins are allowed while a red stands (that is when they matter most) and refused once the
dynamic has ended. Only the partner answers a check-in; its latest answer is kept on it, except
that "done" is final (a need answered stays answered). Notes and needs go to the partner in the
app, never into a notification's data, a push or a log.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.models import User
from app.checkins import repository
from app.checkins.models import CHECKIN, CHECKIN_RESPONSE, CheckIn, CheckInResponse
from app.checkins.schemas import (
    NEEDS_EXPIRE_DAYS,
    CheckInCreate,
    CheckInPublic,
    CloseReason,
    RespondIn,
    ResponseKind,
    ResponsePublic,
    custom_needs,
)
from app.core.db import utcnow
from app.core.envelopes import check_words, to_column, to_items
from app.core.errors import AppError, forbidden
from app.core.validation import ClientTimeError, check_client_time
from app.dynamics import repository as dynamics_repository
from app.dynamics.service import ensure_open
from app.keys import repository as keys_repository
from app.notifications.models import NotificationKind
from app.notifications.service import notify
from app.sync import record as sync

_FIRST = datetime.min.replace(tzinfo=UTC)
_LAST = datetime.max.replace(tzinfo=UTC)


async def check_in(
    session: AsyncSession, dynamic_id: uuid.UUID, user: User, data: CheckInCreate
) -> CheckIn:
    dynamic, private, partners = await repository.dynamic_to_check_in(session, dynamic_id, user.id)
    ensure_open(dynamic)
    try:
        occurred_at = check_client_time(data.occurred_at, utcnow())
    except ClientTimeError as error:
        raise AppError(422, "occurred_at_out_of_range", str(error)) from None
    words = {"note": data.note, "needs": custom_needs(data.needs)}
    check_words(private=private, entity_id=data.id, fields=words)
    checkin = CheckIn(
        id=data.id or uuid.uuid4(),
        dynamic_id=dynamic.id,
        user_id=user.id,
        occurred_at=occurred_at,
        mood=data.mood,
        energy=data.energy,
        needs=to_items(data.needs),
        gave=data.gave,
        received=data.received,
        deal=data.deal,
        note=to_column(data.note),
    )
    session.add(checkin)
    await session.flush()
    await sync.in_dynamic(session, dynamic.id, CHECKIN, checkin.id)
    await notify(
        session,
        recipients=partners,
        kind=NotificationKind.partner_checked_in,
        dynamic_id=dynamic.id,
        actor_id=user.id,
        data={"checkin_id": str(checkin.id), "has_needs": bool(checkin.needs)},
    )
    return checkin


async def _check_words(
    session: AsyncSession, dynamic_id: uuid.UUID, entity_id: uuid.UUID | None, **fields: object
) -> None:
    """The words of a dynamic with a pair key are envelopes (docs/e2ee.md)."""
    private = await keys_repository.has_pair_key(session, dynamic_id)
    check_words(private=private, entity_id=entity_id, fields=fields)


async def respond(
    session: AsyncSession, checkin_id: uuid.UUID, user: User, data: RespondIn
) -> CheckInResponse:
    checkin, dynamic = await repository.member_checkin(
        session, checkin_id, user.id, for_update=True
    )
    ensure_open(dynamic)
    if checkin.user_id == user.id:
        raise forbidden("own_checkin", "the answer to a check-in comes from your partner")
    await _check_words(session, checkin.dynamic_id, data.id, note=data.note)
    kind = data.kind
    response = CheckInResponse(
        id=data.id or uuid.uuid4(),
        checkin_id=checkin.id,
        dynamic_id=checkin.dynamic_id,
        user_id=user.id,
        kind=kind,
        note=to_column(data.note),
    )
    session.add(response)
    # "done" is final: a later "seen" or "on_it" (an offline tap arriving late, say) is kept in
    # the history but does not reopen a need that was answered.
    if checkin.response_kind != ResponseKind.done:
        checkin.response_kind = kind
        checkin.response_at = response.created_at
        session.add(checkin)
    await session.flush()
    await sync.in_dynamic(session, checkin.dynamic_id, CHECKIN_RESPONSE, response.id)
    await sync.in_dynamic(session, checkin.dynamic_id, CHECKIN, checkin.id)
    await notify(
        session,
        recipients=[checkin.user_id],
        kind=NotificationKind.checkin_answered,
        dynamic_id=checkin.dynamic_id,
        actor_id=user.id,
        data={"checkin_id": str(checkin.id), "response": str(kind)},
    )
    return response


async def close_needs(
    session: AsyncSession,
    checkin_id: uuid.UUID,
    user: User,
    reason: CloseReason,
    *,
    now: datetime,
) -> CheckIn:
    """The asker ends their own open needs: met, or no longer needed. Only open needs close:
    answered, closed and expired ones are already settled (409, naming which)."""
    checkin, dynamic = await repository.member_checkin(
        session, checkin_id, user.id, for_update=True
    )
    ensure_open(dynamic)
    if checkin.user_id != user.id:
        raise forbidden("not_your_need", "only the partner who asked can close these needs")
    if not checkin.needs:
        raise AppError(409, "no_needs", "this check-in asked for nothing to close")
    if checkin.response_kind == ResponseKind.done:
        raise AppError(409, "needs_answered", "these needs were already answered")
    if checkin.needs_closed_at is not None:
        raise AppError(409, "needs_closed", "these needs were already closed")
    if now >= checkin.occurred_at + timedelta(days=NEEDS_EXPIRE_DAYS):
        raise AppError(409, "needs_expired", "these needs expired after 7 days")
    checkin.needs_closed_at = now
    checkin.needs_closed_reason = reason
    session.add(checkin)
    await session.flush()
    await sync.in_dynamic(session, checkin.dynamic_id, CHECKIN, checkin.id)
    return checkin


async def get(session: AsyncSession, checkin_id: uuid.UUID, user: User) -> CheckIn:
    checkin, _ = await repository.member_checkin(session, checkin_id, user.id)
    return checkin


async def list_page(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    user: User,
    *,
    member: uuid.UUID | None,
    since: datetime | None,
    until: datetime | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[CheckIn], str | None]:
    await dynamics_repository.member_dynamic(session, dynamic_id, user.id)
    if since is not None and until is not None and since >= until:
        raise AppError(422, "empty_range", "since must be before until")
    # A bound beyond what a timestamp holds in UTC (year 1 at +01:00, say) cannot be converted,
    # but it still means something: before every check-in, or after every one.
    if since is not None and since <= _FIRST:
        since = None
    if until is not None and until > _LAST:
        until = None
    if (since is not None and since > _LAST) or (until is not None and until <= _FIRST):
        return [], None
    return await repository.page(
        session,
        dynamic_id,
        user.id,
        member=member,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )


async def responses_of(session: AsyncSession, checkin: CheckIn) -> list[CheckInResponse]:
    result = await session.execute(
        select(CheckInResponse)
        .where(col(CheckInResponse.checkin_id) == checkin.id)
        .order_by(col(CheckInResponse.created_at), col(CheckInResponse.id))
    )
    return list(result.scalars())


async def export_for(session: AsyncSession, user: User) -> dict[str, list[dict[str, object]]]:
    """The user's own check-ins (with the answers they got) and their answers to the partner."""
    mine = (
        await session.execute(
            select(CheckIn)
            .where(col(CheckIn.user_id) == user.id)
            .order_by(col(CheckIn.occurred_at), col(CheckIn.id))
        )
    ).scalars()
    checkins = []
    for checkin in list(mine):
        checkins.append(
            {
                **CheckInPublic.model_validate(checkin).model_dump(mode="json"),
                "responses": [
                    ResponsePublic.model_validate(r).model_dump(mode="json")
                    for r in await responses_of(session, checkin)
                ],
            }
        )
    given = (
        await session.execute(
            select(CheckInResponse)
            .where(col(CheckInResponse.user_id) == user.id)
            .order_by(col(CheckInResponse.created_at), col(CheckInResponse.id))
        )
    ).scalars()
    return {
        "checkins": checkins,
        "responses_given": [
            ResponsePublic.model_validate(r).model_dump(mode="json") for r in given
        ],
    }
