"""Dynamics as a part: pairing and the life of a dynamic, the dynamic in the feed and the streams
its members read, its sections of the export, and what a member's deletion ends."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.repository import account
from app.core.declaration import Export, Part, SyncEntity, Words
from app.dynamics import repository, service
from app.dynamics.models import DYNAMIC, Dynamic, DynamicPause, Invite, Membership
from app.dynamics.router import invites_router, router
from app.dynamics.schemas import DynamicPublic, SignalNoteEnvelope
from app.sync import record as sync


class ExportedInvite(BaseModel):
    code: str
    created_at: datetime
    expires_at: datetime
    state: str
    dynamic_id: uuid.UUID | None


async def _load(
    session: AsyncSession, _reader: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, DynamicPublic]:
    dynamics = (await session.execute(select(Dynamic).where(col(Dynamic.id).in_(ids)))).scalars()
    return {dynamic.id: await service.view(session, dynamic) for dynamic in dynamics}


async def _member_streams(session: AsyncSession, user_id: uuid.UUID) -> list[str]:
    """A member reads the stream of every dynamic they are or were in (an ended one stops
    growing, since it is read-only)."""
    return [sync.dynamic_stream(d) for d in await repository.dynamic_ids_of(session, user_id)]


async def _every_dynamic_changed(session: AsyncSession, user_id: uuid.UUID) -> None:
    """A member's name, pronouns and flags are part of every dynamic they are in."""
    for dynamic_id in await repository.dynamic_ids_of(session, user_id):
        await service.dynamic_changed(session, dynamic_id)


async def _end_every_dynamic(session: AsyncSession, user_id: uuid.UUID) -> None:
    await service.on_account_deleted(session, await account(session, user_id))


async def _export(session: AsyncSession, user_id: uuid.UUID) -> dict[str, object]:
    return await service.export_for(session, await account(session, user_id))


PART = Part(
    name="dynamics",
    routers=(invites_router, router),
    models=(Dynamic, Membership, Invite, DynamicPause),
    sync=(SyncEntity(DYNAMIC, _load, account_deleted=_every_dynamic_changed),),
    streams=_member_streams,
    export=Export({"dynamics": list[DynamicPublic], "invites": list[ExportedInvite]}, _export),
    erase=_end_every_dynamic,
    profile_changed=_every_dynamic_changed,
    # A member's red, yellow and "I see you" notes, named by the member: member:<user id>:<field>.
    words=tuple(
        Words(
            "member",
            field,
            getattr(Membership, field),
            DYNAMIC,
            SignalNoteEnvelope,
            feed_id=Membership.dynamic_id,
            record=(Membership.user_id,),
        )
        for field in ("red_note", "yellow_note", "saw_note")
    ),
)
