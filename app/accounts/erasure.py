"""What deleting an account does beyond the rows that go by ON DELETE CASCADE, part by part.

Cascades remove the user, their sessions, invites, notifications, check-ins and limit answers.
What stays is the partner's shared history (protocol versions, completions, answers to the
partner's check-ins), with the user set to NULL by the foreign keys. Before the user's row goes:

1. every synced entity records in the feed what the deletion changes for the people who stay
   (``SyncEntity.account_deleted``), while the rows are still there to be found; the dynamics
   part comes first, so every dynamic's stream is taken before any user's (the feed's lock
   order, ``app.sync.record``);
2. every part erases what it must (``Part.erase``): the dynamics end, and the words the user
   wrote in what stays (notes, reasons) are erased, because they are personal data too.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.declaration import Parts, tell


async def erase_account(session: AsyncSession, user_id: uuid.UUID, parts: Parts) -> None:
    for part in parts:
        for entity in part.sync:
            if entity.account_deleted is not None:
                await entity.account_deleted(session, user_id)
    await tell(parts, lambda part: part.erase, session, user_id)
