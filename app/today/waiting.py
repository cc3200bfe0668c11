"""What waits for this person in a dynamic: the one list at the top of home.

Each item is something only this member can settle: the partner's red or yellow not yet seen,
a proposal (or renegotiation) not yet agreed, the partner's completion not yet acknowledged,
the partner's needs still open. Every part reads a bounded slice (open proposals, the last
week), so the cost does not grow with the dynamic's history.

`kind` "review" is the slot for "a review to answer" (app/reviews adds it through
`EXTRA_SOURCES`).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.checkins.models import CheckIn
from app.checkins.schemas import NEEDS_EXPIRE_DAYS, ResponseKind
from app.core.envelopes import StoredItems, StoredWords
from app.dynamics.models import Dynamic
from app.dynamics.schemas import MemberPublic
from app.protocols.models import Completion, Protocol, ProtocolAgreement, ProtocolVersion
from app.protocols.repository import with_version

WaitingKind = Literal["signal", "proposal", "acknowledge", "need", "review"]
ACKNOWLEDGE_DAYS = 7


class WaitingItem(BaseModel):
    kind: WaitingKind = Field(
        description="signal (the partner's red or yellow, not yet seen), proposal (to agree "
        "or decline), acknowledge (the partner's completion), need (the partner's open needs), "
        "review (a review to answer)"
    )
    at: datetime = Field(description="when it started waiting")
    from_user_id: uuid.UUID | None = Field(description="the partner it comes from")
    signal: Literal["red", "yellow"] | None = None
    protocol_id: uuid.UUID | None = None
    version: int | None = Field(default=None, description="the version to agree to")
    version_id: uuid.UUID | None = Field(
        default=None, description="the version whose title this is (its envelope names it)"
    )
    title: StoredWords = Field(default=None, description="the protocol's title")
    completion_id: uuid.UUID | None = None
    checkin_id: uuid.UUID | None = None
    needs: StoredItems = Field(default_factory=list)
    expires_at: datetime | None = Field(default=None, description="when open needs expire")
    review_id: uuid.UUID | None = None


# Other parts add their own items here (a review to answer), each a function of
# (session, dynamic, member's user id, now): the list stays one list. An item that goes by
# time alone must say when in its ``expires_at`` (see ``leaves_at``).
Source = Callable[[AsyncSession, Dynamic, uuid.UUID, datetime], Awaitable[list[WaitingItem]]]
EXTRA_SOURCES: list[Source] = []


def _signals(members: list[MemberPublic], me: uuid.UUID) -> list[WaitingItem]:
    mine = next((m for m in members if m.user_id == me), None)
    items = []
    for partner in members:
        if partner is mine or mine is None:
            continue
        if partner.red_at and not mine.saw_red_at:
            items.append(
                WaitingItem(
                    kind="signal", signal="red", at=partner.red_at, from_user_id=partner.user_id
                )
            )
        if partner.yellow_at and not mine.saw_yellow_at:
            items.append(
                WaitingItem(
                    kind="signal",
                    signal="yellow",
                    at=partner.yellow_at,
                    from_user_id=partner.user_id,
                )
            )
    return items


async def _proposals(
    session: AsyncSession, dynamic_id: uuid.UUID, me: uuid.UUID
) -> list[WaitingItem]:
    mine = (
        select(ProtocolAgreement.protocol_id)
        .where(
            col(ProtocolAgreement.protocol_id) == col(Protocol.id),
            col(ProtocolAgreement.version) == col(Protocol.open_version),
            col(ProtocolAgreement.user_id) == me,
            col(ProtocolAgreement.withdrawn_at).is_(None),
        )
        .exists()
    )
    rows = (
        await session.execute(
            with_version(col(Protocol.open_version)).where(
                col(Protocol.dynamic_id) == dynamic_id,
                col(Protocol.open_version).is_not(None),
                ~mine,
            )
        )
    ).all()
    return [
        WaitingItem(
            kind="proposal",
            at=version.created_at,
            from_user_id=version.created_by,
            protocol_id=protocol.id,
            version=version.number,
            version_id=version.id,
            title=version.title,
        )
        for protocol, version in rows
    ]


async def _acknowledgements(
    session: AsyncSession, dynamic_id: uuid.UUID, me: uuid.UUID, now: datetime
) -> list[WaitingItem]:
    rows = (
        await session.execute(
            select(Completion, ProtocolVersion)
            .join(
                ProtocolVersion,
                (col(ProtocolVersion.protocol_id) == col(Completion.protocol_id))
                & (col(ProtocolVersion.number) == col(Completion.version)),
            )
            .where(
                col(Completion.dynamic_id) == dynamic_id,
                col(Completion.occurred_at) >= now - timedelta(days=ACKNOWLEDGE_DAYS),
                col(Completion.user_id) != me,
                col(Completion.acknowledged_at).is_(None),
            )
        )
    ).all()
    return [
        WaitingItem(
            kind="acknowledge",
            at=completion.occurred_at,
            from_user_id=completion.user_id,
            protocol_id=completion.protocol_id,
            version_id=version.id,
            title=version.title,
            completion_id=completion.id,
        )
        for completion, version in rows
        if completion.user_id is not None
    ]


def leaves_at(item: WaitingItem) -> datetime | None:
    """When the item leaves the list by time alone (None: only a write takes it off). A source
    whose items go by time gives them an ``expires_at``; home is kept until the first of these
    (``app.core.views``)."""
    if item.kind == "acknowledge":
        return item.at + timedelta(days=ACKNOWLEDGE_DAYS)
    return item.expires_at


def open_needs_of(checkins: list[CheckIn], now: datetime) -> list[CheckIn]:
    """Check-ins whose needs still wait: neither answered "done", nor closed by the asker, nor
    older than 7 days (expired)."""
    return [
        c
        for c in checkins
        if c.needs
        and c.response_kind != ResponseKind.done
        and c.needs_closed_at is None
        and now < c.occurred_at + timedelta(days=NEEDS_EXPIRE_DAYS)
    ]


async def waiting(
    session: AsyncSession,
    dynamic: Dynamic,
    members: list[MemberPublic],
    me: uuid.UUID,
    recent: list[CheckIn],
    now: datetime,
) -> list[WaitingItem]:
    """Signals first (they matter most), then everything else newest first. `recent` is the
    dynamic's check-ins of the last week, which home reads anyway."""
    needs = [
        WaitingItem(
            kind="need",
            at=c.occurred_at,
            from_user_id=c.user_id,
            checkin_id=c.id,
            needs=c.needs,
            expires_at=c.occurred_at + timedelta(days=NEEDS_EXPIRE_DAYS),
        )
        for c in open_needs_of(recent, now)
        if c.user_id != me
    ]
    rest = [
        *await _proposals(session, dynamic.id, me),
        *await _acknowledgements(session, dynamic.id, me, now),
        *needs,
    ]
    for source in EXTRA_SOURCES:
        rest.extend(await source(session, dynamic, me, now))
    rest.sort(key=lambda item: (item.at, item.kind), reverse=True)
    return _signals(members, me) + rest
