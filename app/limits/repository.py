"""The mutual reveal is enforced here, in the query: a partner's yes or maybe is never even
loaded unless the caller answered yes or maybe to the same item, in a direction that fits
(see ``matching.fits``)."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, exists, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col, select

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
