"""Keys as a part: the routes that publish and hand out keys the server cannot use, the two
tables, the account's key set and its sealed pair-key copies in the export (as stored: wrapped
and sealed, so the export is as safe to keep as the database), and, on the account's deletion,
both erased with it."""

from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from app.accounts.models import User
from app.core.declaration import Export, Part, SyncEntity
from app.core.errors import AppError
from app.keys import repository, service
from app.keys.models import DYNAMIC_KEYS, AccountKeys, SealedPairKey
from app.keys.router import dynamic_keys_router, invite_keys_router, router
from app.keys.schemas import ExportedKeys, ExportedPairKey, SyncedKeys


async def _export(session: AsyncSession, user_id: uuid.UUID) -> dict[str, object]:
    keys = await repository.keys_of(session, user_id)
    copies = await repository.copies_of(session, user_id)
    exported = ExportedKeys(
        account=service.public_view(keys) if keys is not None else None,
        pair_keys=[ExportedPairKey.model_validate(copy, from_attributes=True) for copy in copies],
    )
    return {"keys": exported.model_dump(mode="json")}


async def _load_keys(
    session: AsyncSession, reader: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, SyncedKeys]:
    """Each dynamic's keys as ``GET /api/dynamics/{id}/keys`` shows them to the reader."""
    user = await session.get(User, reader)
    out: dict[uuid.UUID, SyncedKeys] = {}
    for dynamic_id in sorted(ids, key=str):
        try:
            keys = await service.dynamic_keys(session, dynamic_id, user) if user else None
        except AppError:  # no longer the reader's to see
            continue
        if keys is not None:
            out[dynamic_id] = SyncedKeys(dynamic_id=dynamic_id, **keys.model_dump())
    return out


async def _erase(session: AsyncSession, user_id: uuid.UUID) -> None:
    """The key set and the user's own sealed copies go (the foreign keys would take them with
    the account too; said here so that no key material outlives its owner by an oversight).
    The partner's copy of each pair key stays: the partner keeps the shared history."""
    await session.execute(delete(SealedPairKey).where(col(SealedPairKey.user_id) == user_id))
    await session.execute(delete(AccountKeys).where(col(AccountKeys.user_id) == user_id))


PART = Part(
    name="keys",
    routers=(router, dynamic_keys_router, invite_keys_router),
    models=(AccountKeys, SealedPairKey),
    sync=(SyncEntity(DYNAMIC_KEYS, _load_keys),),
    export=Export({"keys": ExportedKeys}, _export),
    erase=_erase,
    words_private=repository.has_pair_key,
)
