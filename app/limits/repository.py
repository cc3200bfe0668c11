"""The mutual reveal is enforced here, in the query: a partner's yes or maybe is never even
loaded unless the caller answered yes or maybe to the same item."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, exists, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from app.limits.models import LimitAnswer
from app.limits.schemas import ALWAYS_SHARED, DESIRES


async def mine(
    session: AsyncSession, dynamic_id: uuid.UUID, user_id: uuid.UUID
) -> list[LimitAnswer]:
    result = await session.execute(
        select(LimitAnswer)
        .where(col(LimitAnswer.dynamic_id) == dynamic_id, col(LimitAnswer.user_id) == user_id)
        .order_by(col(LimitAnswer.item))
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
        .order_by(col(LimitAnswer.item))
    )
    return list(result.scalars())
