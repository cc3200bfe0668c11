"""Protocols as a part: protocols and completions in the feed and the export, and the words a
deleted member wrote in them erased (the partner keeps the shared history)."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.repository import account
from app.core.declaration import Export, Part, SyncEntity, Words
from app.core.envelopes import NoteEnvelope
from app.dynamics import repository as dynamics_repository
from app.protocols import service
from app.protocols.models import (
    COMPLETION,
    PROTOCOL,
    Completion,
    Protocol,
    ProtocolAgreement,
    ProtocolEvent,
    ProtocolVersion,
)
from app.protocols.router import router
from app.protocols.schemas import (
    CompletionPublic,
    DescriptionEnvelope,
    ProtocolHistory,
    ProtocolPublic,
    ReasonEnvelope,
    TitleEnvelope,
)
from app.sync import record as sync


class ExportedProtocol(ProtocolPublic):
    history: ProtocolHistory
    completions: list[CompletionPublic]


async def _load_protocols(
    session: AsyncSession, _reader: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, ProtocolPublic]:
    by_dynamic: dict[uuid.UUID, list[Protocol]] = defaultdict(list)
    for protocol in (
        await session.execute(select(Protocol).where(col(Protocol.id).in_(ids)))
    ).scalars():
        by_dynamic[protocol.dynamic_id].append(protocol)
    out: dict[uuid.UUID, ProtocolPublic] = {}
    for dynamic_id, protocols in by_dynamic.items():
        for public in await service.views(session, dynamic_id, protocols):
            out[public.id] = public
    return out


async def _load_completions(
    session: AsyncSession, _reader: uuid.UUID, ids: set[uuid.UUID]
) -> dict[uuid.UUID, CompletionPublic]:
    found = await session.execute(select(Completion).where(col(Completion.id).in_(ids)))
    return {c.id: CompletionPublic.model_validate(c) for c in found.scalars()}


async def _protocols_changed(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Every protocol of the user's dynamics loses the user's name (agreements, authors): tell
    the feed."""
    for dynamic_id in await dynamics_repository.dynamic_ids_of(session, user_id):
        protocol_ids = await session.execute(
            select(Protocol.id)
            .where(col(Protocol.dynamic_id) == dynamic_id)
            .order_by(col(Protocol.id))
        )
        for protocol_id in list(protocol_ids.scalars()):
            await sync.in_dynamic(session, dynamic_id, PROTOCOL, protocol_id)


async def _completions_changed(session: AsyncSession, user_id: uuid.UUID) -> None:
    """The completions the user made or acknowledged lose their name and notes: tell the feed."""
    for dynamic_id in await dynamics_repository.dynamic_ids_of(session, user_id):
        completion_ids = await session.execute(
            select(Completion.id)
            .where(
                col(Completion.dynamic_id) == dynamic_id,
                (col(Completion.user_id) == user_id) | (col(Completion.acknowledged_by) == user_id),
            )
            .order_by(col(Completion.id))
        )
        for completion_id in list(completion_ids.scalars()):
            await sync.in_dynamic(session, dynamic_id, COMPLETION, completion_id)


async def _erase_words(session: AsyncSession, user_id: uuid.UUID) -> None:
    """What stays (the partner's history) keeps no notes or reasons the user wrote."""
    await session.execute(
        update(Completion).where(col(Completion.user_id) == user_id).values(note=None)
    )
    await session.execute(
        update(Completion)
        .where(col(Completion.acknowledged_by) == user_id)
        .values(acknowledgement_note=None)
    )
    await session.execute(
        update(ProtocolEvent).where(col(ProtocolEvent.actor_id) == user_id).values(reason=None)
    )


async def _export(session: AsyncSession, user_id: uuid.UUID) -> dict[str, object]:
    return {"protocols": await service.export_for(session, await account(session, user_id))}


PART = Part(
    name="protocols",
    routers=(router,),
    models=(Protocol, ProtocolVersion, ProtocolAgreement, ProtocolEvent, Completion),
    sync=(
        SyncEntity(PROTOCOL, _load_protocols, account_deleted=_protocols_changed),
        SyncEntity(COMPLETION, _load_completions, account_deleted=_completions_changed),
    ),
    export=Export({"protocols": list[ExportedProtocol]}, _export),
    erase=_erase_words,
    words=(
        # A version's words change its protocol: protocol_version:<version id>:title.
        Words(
            "protocol_version",
            "title",
            ProtocolVersion.title,
            PROTOCOL,
            TitleEnvelope,
            feed_id=ProtocolVersion.protocol_id,
        ),
        Words(
            "protocol_version",
            "description",
            ProtocolVersion.description,
            PROTOCOL,
            DescriptionEnvelope,
            feed_id=ProtocolVersion.protocol_id,
        ),
        Words(
            "protocol_event",
            "reason",
            ProtocolEvent.reason,
            PROTOCOL,
            ReasonEnvelope,
            feed_id=ProtocolEvent.protocol_id,
        ),
        Words("completion", "note", Completion.note, COMPLETION, NoteEnvelope),
        Words(
            "completion",
            "acknowledgement_note",
            Completion.acknowledgement_note,
            COMPLETION,
            NoteEnvelope,
        ),
    ),
)
