"""Limits as a part: each member's view of a dynamic's limits in the feed (computed for them,
so a partner's private answer never shows), and their own answers in the export."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.repository import account
from app.core.declaration import Export, Part, SyncEntity
from app.dynamics import repository as dynamics_repository
from app.dynamics.models import Membership
from app.limits import repository, service
from app.limits.models import LimitAnswer, LimitReveal
from app.limits.router import router
from app.limits.schemas import ExportedLimit, ExportedReveal, LimitsView
from app.sync import record as sync


async def _load(
    session: AsyncSession, reader: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, LimitsView]:
    """Only in the reader's own stream, for dynamics they are a member of; computed for them."""
    member_of = set(
        (
            await session.execute(
                select(Membership.dynamic_id).where(
                    col(Membership.user_id) == reader, col(Membership.dynamic_id).in_(ids)
                )
            )
        ).scalars()
    )
    return {
        dynamic_id: await service.view_for(session, dynamic_id, reader)
        for dynamic_id in sorted(member_of, key=str)
    }


async def _answers_gone(session: AsyncSession, user_id: uuid.UUID) -> None:
    """The partner's view loses what it showed of the user's answers (and only then is there a
    change to tell: private answers going must not be given away)."""
    for dynamic_id in await dynamics_repository.dynamic_ids_of(session, user_id):
        partners = await dynamics_repository.partner_ids(session, dynamic_id, user_id)
        shown_to = [p for p in partners if await repository.revealed_to(session, dynamic_id, p)]
        await sync.limits_changed_for(session, dynamic_id, shown_to)


async def _withdraw_reveals(session: AsyncSession, user_id: uuid.UUID) -> None:
    """A member who deletes their account takes every answer back: what was shown to both stays
    in the partner's history as withdrawn (by a former member), never as a standing desire."""
    await repository.withdraw_all_reveals(
        session, await dynamics_repository.dynamic_ids_of(session, user_id), user_id
    )


async def _export(session: AsyncSession, user_id: uuid.UUID) -> dict[str, object]:
    return {**await service.export_for(session, await account(session, user_id))}


PART = Part(
    name="limits",
    routers=(router,),
    models=(LimitAnswer, LimitReveal),
    sync=(SyncEntity(sync.LIMITS, _load, account_deleted=_answers_gone),),
    erase=_withdraw_reveals,
    export=Export({"limits": list[ExportedLimit], "limit_reveals": list[ExportedReveal]}, _export),
)
