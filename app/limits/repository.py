"""The mutual reveal is enforced here, in the query: a partner's yes or maybe is never even
loaded unless the caller answered yes or maybe to the same item, in a direction that fits
(see ``matching.fits``)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import and_, exists, or_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from app.core.db import utcnow
from app.dynamics.models import Membership
from app.limits.models import LimitAnswer, LimitReveal
from app.limits.schemas import ALWAYS_SHARED, BOTH, DESIRES


async def mine(
    session: AsyncSession, dynamic_id: uuid.UUID, user_id: uuid.UUID
) -> list[LimitAnswer]:
    result = await session.execute(
        select(LimitAnswer)
        .where(col(LimitAnswer.dynamic_id) == dynamic_id, col(LimitAnswer.user_id) == user_id)
        .order_by(col(LimitAnswer.item), col(LimitAnswer.role))
    )
    return list(result.scalars())


async def revealed_to(
    session: AsyncSession, dynamic_id: uuid.UUID, viewer_id: uuid.UUID
) -> list[LimitAnswer]:
    """The partner's answers that ``viewer_id`` may see."""
    own = aliased(LimitAnswer)
    viewer_desires = exists().where(
        col(own.dynamic_id) == col(LimitAnswer.dynamic_id),
        col(own.user_id) == viewer_id,
        col(own.item) == col(LimitAnswer.item),
        col(own.answer).in_([a.value for a in DESIRES]),
        # Directions that fit: either side is "either way", or one gives and one receives.
        or_(
            col(own.role) == BOTH,
            col(LimitAnswer.role) == BOTH,
            col(own.role) != col(LimitAnswer.role),
        ),
    )
    result = await session.execute(
        select(LimitAnswer)
        .where(
            col(LimitAnswer.dynamic_id) == dynamic_id,
            col(LimitAnswer.user_id) != viewer_id,
            or_(
                col(LimitAnswer.answer).in_([a.value for a in ALWAYS_SHARED]),
                and_(col(LimitAnswer.answer).in_([a.value for a in DESIRES]), viewer_desires),
            ),
        )
        .order_by(col(LimitAnswer.item), col(LimitAnswer.role))
    )
    return list(result.scalars())


async def reveals(session: AsyncSession, dynamic_id: uuid.UUID) -> list[LimitReveal]:
    """Every reveal of a dynamic, newest first (both members see all of them)."""
    result = await session.execute(
        select(LimitReveal)
        .where(col(LimitReveal.dynamic_id) == dynamic_id)
        .order_by(col(LimitReveal.revealed_at).desc(), col(LimitReveal.item))
    )
    return list(result.scalars())


async def reveals_of_user(session: AsyncSession, user_id: uuid.UUID) -> list[LimitReveal]:
    """The reveals the user took part in, in every dynamic (the export's)."""
    result = await session.execute(
        select(LimitReveal)
        .where(
            col(LimitReveal.dynamic_id).in_(
                select(Membership.dynamic_id).where(col(Membership.user_id) == user_id)
            )
        )
        .order_by(col(LimitReveal.dynamic_id), col(LimitReveal.revealed_at))
    )
    return list(result.scalars())


async def withdraw_all_reveals(
    session: AsyncSession, dynamic_ids: list[uuid.UUID], user_id: uuid.UUID
) -> None:
    """Every reveal still standing in these dynamics, withdrawn by ``user_id`` now."""
    if not dynamic_ids:
        return
    await session.execute(
        update(LimitReveal)
        .where(
            col(LimitReveal.dynamic_id).in_(dynamic_ids), col(LimitReveal.withdrawn_at).is_(None)
        )
        .values(withdrawn_at=utcnow(), withdrawn_by=user_id)
    )


async def rekey(
    session: AsyncSession,
    dynamic_id: uuid.UUID,
    item: str,
    to: str,
    label: str,
    *,
    owner: uuid.UUID,
    visible: set[uuid.UUID],
) -> None:
    """The dynamic's reveals, ``owner``'s answers and the partner's answers of ``visible`` that
    name ``item`` name ``to`` now, with its sealed words ``label``. Where one that names ``to``
    already stands in the same place (the same member and direction, the same giver and
    receiver), the one in clear goes if it is the owner's or a reveal, and a partner's stays
    as it is: nothing the partner said is ever taken away by the other's phone."""
    answers = await session.execute(
        select(LimitAnswer).where(
            col(LimitAnswer.dynamic_id) == dynamic_id, col(LimitAnswer.item).in_([item, to])
        )
    )
    reveals = await session.execute(
        select(LimitReveal).where(
            col(LimitReveal.dynamic_id) == dynamic_id, col(LimitReveal.item).in_([item, to])
        )
    )
    mine_or_seen = [r for r in answers.scalars() if r.user_id == owner or r.id in visible]
    renamed: list[tuple[list[LimitAnswer] | list[LimitReveal], Any]] = [
        (mine_or_seen, lambda r: (r.user_id, r.role)),
        (list(reveals.scalars()), lambda r: (r.giver_id, r.receiver_id)),
    ]
    for rows, place in renamed:
        taken = {place(r) for r in rows if r.item == to}
        for row in rows:
            if row.item != item:
                continue
            if place(row) not in taken:
                row.item, row.label = to, label
            elif not isinstance(row, LimitAnswer) or row.user_id == owner:
                await session.delete(row)
    await session.flush()
