"""What deleting an account erases beyond the rows that go by ON DELETE CASCADE.

Cascades remove the user, their sessions, invites, notifications, check-ins and limit answers.
What stays is the partner's shared history (protocol versions, completions, answers to the
partner's check-ins), with the user set to NULL by the foreign keys; the words the user wrote in
it (notes, reasons) are erased here, because they are personal data too.
"""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.checkins.models import CheckInResponse
from app.protocols.models import Completion, ProtocolEvent
from app.reviews.service import erase_for as erase_reviews  # part: reviews


async def erase_words(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(
        update(Completion).where(col(Completion.user_id) == user_id).values(note=None)
    )
    await session.execute(
        update(Completion)
        .where(col(Completion.acknowledged_by) == user_id)
        .values(acknowledgement_note=None)
    )
    await session.execute(
        update(CheckInResponse).where(col(CheckInResponse.user_id) == user_id).values(note=None)
    )
    await session.execute(
        update(ProtocolEvent).where(col(ProtocolEvent.actor_id) == user_id).values(reason=None)
    )
    await erase_reviews(session, user_id)  # part: reviews
