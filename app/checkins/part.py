"""Check-ins as a part: check-ins and the answers to them in the feed and the export; a deleted
member's check-ins go with them (tombstones), their answers to the partner keep no note."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.repository import account
from app.checkins import service
from app.checkins.models import CHECKIN, CHECKIN_RESPONSE, CheckIn, CheckInResponse
from app.checkins.router import router
from app.checkins.schemas import NEEDS, CheckInPublic, NeedEnvelope, ResponsePublic
from app.core.declaration import Export, Part, SyncEntity, Words
from app.core.envelopes import NoteEnvelope
from app.dynamics import repository as dynamics_repository
from app.sync import record as sync


class ExportedCheckIn(CheckInPublic):
    responses: list[ResponsePublic]


async def _load_checkins(
    session: AsyncSession, _reader: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, CheckInPublic]:
    found = await session.execute(select(CheckIn).where(col(CheckIn.id).in_(ids)))
    return {c.id: CheckInPublic.model_validate(c) for c in found.scalars()}


async def _load_responses(
    session: AsyncSession, _reader: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, ResponsePublic]:
    found = await session.execute(select(CheckInResponse).where(col(CheckInResponse.id).in_(ids)))
    return {r.id: ResponsePublic.model_validate(r) for r in found.scalars()}


async def _checkins_of(
    session: AsyncSession, dynamic_id: uuid.UUID, user_id: uuid.UUID
) -> list[uuid.UUID]:
    found = await session.execute(
        select(CheckIn.id)
        .where(col(CheckIn.dynamic_id) == dynamic_id, col(CheckIn.user_id) == user_id)
        .order_by(col(CheckIn.id))
    )
    return list(found.scalars())


async def _responses_changed(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Answers to the user's check-ins go with them (ON DELETE CASCADE): tombstones; the user's
    answers to the partner's check-ins stay, without their note."""
    for dynamic_id in await dynamics_repository.dynamic_ids_of(session, user_id):
        gone = set(await _checkins_of(session, dynamic_id, user_id))
        responses = await session.execute(
            select(CheckInResponse.id, CheckInResponse.checkin_id)
            .where(
                col(CheckInResponse.dynamic_id) == dynamic_id,
                (col(CheckInResponse.checkin_id).in_(gone))
                | (col(CheckInResponse.user_id) == user_id),
            )
            .order_by(col(CheckInResponse.id))
        )
        for response_id, checkin_id in responses.all():
            op: sync.Op = "delete" if checkin_id in gone else "upsert"
            await sync.in_dynamic(session, dynamic_id, CHECKIN_RESPONSE, response_id, op)


async def _checkins_gone(session: AsyncSession, user_id: uuid.UUID) -> None:
    """The user's check-ins go with them (ON DELETE CASCADE): tombstones."""
    for dynamic_id in await dynamics_repository.dynamic_ids_of(session, user_id):
        for checkin_id in await _checkins_of(session, dynamic_id, user_id):
            await sync.in_dynamic(session, dynamic_id, CHECKIN, checkin_id, "delete")


async def _erase_notes(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(
        update(CheckInResponse).where(col(CheckInResponse.user_id) == user_id).values(note=None)
    )


async def _export(session: AsyncSession, user_id: uuid.UUID) -> dict[str, object]:
    return dict(await service.export_for(session, await account(session, user_id)))


PART = Part(
    name="checkins",
    routers=(router,),
    models=(CheckIn, CheckInResponse),
    # The feed hears of a deleted member's answers before the check-ins they answered.
    sync=(
        SyncEntity(CHECKIN_RESPONSE, _load_responses, account_deleted=_responses_changed),
        SyncEntity(CHECKIN, _load_checkins, account_deleted=_checkins_gone),
    ),
    export=Export(
        {"checkins": list[ExportedCheckIn], "responses_given": list[ResponsePublic]}, _export
    ),
    erase=_erase_notes,
    words=(
        Words("checkin", "note", CheckIn.note, CHECKIN, NoteEnvelope),
        Words("checkin", "needs", CheckIn.needs, CHECKIN, NeedEnvelope, keep=NEEDS.__contains__),
        Words("checkin_response", "note", CheckInResponse.note, CHECKIN_RESPONSE, NoteEnvelope),
    ),
)
