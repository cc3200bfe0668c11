from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.models import User
from app.core.db import utcnow
from app.core.errors import AppError
from app.dynamics import repository as dynamics_repository
from app.dynamics.service import ensure_open
from app.limits import repository
from app.limits.catalogue import CATALOGUE
from app.limits.models import LimitAnswer
from app.limits.schemas import (
    DESIRES,
    Answer,
    CatalogueItem,
    ItemAnswer,
    LimitsView,
)
from app.notifications.models import NotificationKind
from app.notifications.service import notify
from app.sync import record as sync

_CATALOGUE = [CatalogueItem(key=k, category=c, label=label) for k, c, label in CATALOGUE]


def _answers(rows: list[LimitAnswer]) -> list[ItemAnswer]:
    return [ItemAnswer(item=r.item, answer=Answer(r.answer)) for r in rows]


async def _view(session: AsyncSession, dynamic_id: uuid.UUID, user_id: uuid.UUID) -> LimitsView:
    mine = await repository.mine(session, dynamic_id, user_id)
    partner = await repository.revealed_to(session, dynamic_id, user_id)
    return LimitsView(
        catalogue=_CATALOGUE,
        mine=_answers(mine),
        partner=_answers(partner),
        matches=sorted(r.item for r in partner if Answer(r.answer) in DESIRES),
    )


async def view_for(
    session: AsyncSession, dynamic_id: uuid.UUID, viewer_id: uuid.UUID
) -> LimitsView:
    """The view of a member already known to be in the dynamic (the change feed's)."""
    return await _view(session, dynamic_id, viewer_id)


async def view(session: AsyncSession, dynamic_id: uuid.UUID, user: User) -> LimitsView:
    await dynamics_repository.member_dynamic(session, dynamic_id, user.id)
    return await _view(session, dynamic_id, user.id)


async def replace_mine(
    session: AsyncSession, dynamic_id: uuid.UUID, user: User, items: list[ItemAnswer]
) -> LimitsView:
    """Replace all of the caller's answers in this dynamic (a PUT)."""
    dynamic, _ = await dynamics_repository.member_dynamic(
        session, dynamic_id, user.id, for_update=True
    )
    ensure_open(dynamic)
    seen: dict[str, Answer] = {}
    for entry in items:
        # ``entry.item`` is already the item's one name (see ``item_key``), so case variants of
        # one item collide here.
        if entry.item in seen:
            raise AppError(422, "duplicate_item", f"{entry.item!r} is answered twice")
        seen[entry.item] = entry.answer
    partner_ids = await dynamics_repository.partner_ids(session, dynamic.id, user.id)
    before = {
        pid: {(a.item, a.answer) for a in await repository.revealed_to(session, dynamic.id, pid)}
        for pid in partner_ids
    }
    await session.execute(
        delete(LimitAnswer).where(
            col(LimitAnswer.dynamic_id) == dynamic.id, col(LimitAnswer.user_id) == user.id
        )
    )
    now = utcnow()
    session.add_all(
        LimitAnswer(dynamic_id=dynamic.id, user_id=user.id, item=key, answer=answer, updated_at=now)
        for key, answer in seen.items()
    )
    await session.flush()
    told = []
    for pid in partner_ids:
        after = {(a.item, a.answer) for a in await repository.revealed_to(session, dynamic.id, pid)}
        # Tell the partner only when what they may see changed: a private answer changing
        # must not be given away by a notification (nor by the change feed).
        if after != before[pid]:
            told.append(pid)
    await sync.limits_changed_for(session, dynamic.id, [user.id, *told])
    for pid in told:
        await notify(
            session,
            recipients=[pid],
            kind=NotificationKind.limits_updated,
            dynamic_id=dynamic.id,
            actor_id=user.id,
        )
    return await _view(session, dynamic.id, user.id)


async def export_for(session: AsyncSession, user: User) -> list[dict[str, object]]:
    """The user's own answers in every dynamic (never the partner's private ones)."""
    rows = (
        await session.execute(
            select(LimitAnswer)
            .where(col(LimitAnswer.user_id) == user.id)
            .order_by(col(LimitAnswer.dynamic_id), col(LimitAnswer.item))
        )
    ).scalars()
    return [{"dynamic_id": str(r.dynamic_id), "item": r.item, "answer": r.answer} for r in rows]
