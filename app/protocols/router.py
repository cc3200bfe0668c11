from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response, status

from app.accounts.deps import CallerDep
from app.core.deps import SessionDep
from app.core.errors import responses
from app.core.pagination import CursorQuery, LimitQuery
from app.protocols import service
from app.protocols.rules import Status
from app.protocols.schemas import (
    AcknowledgeIn,
    AgreeIn,
    CompletionCreate,
    CompletionPage,
    CompletionPublic,
    ProtocolCreate,
    ProtocolHistory,
    ProtocolPage,
    ProtocolPublic,
    ProtocolUpdate,
    ReasonIn,
)

router = APIRouter(tags=["protocols"])


def _with_etag(response: Response, view: ProtocolPublic) -> ProtocolPublic:
    response.headers["ETag"] = view.etag
    return view


@router.get(
    "/api/dynamics/{dynamic_id}/protocols",
    response_model=ProtocolPage,
    responses=responses(401, 404, 422),
)
async def list_protocols(
    dynamic_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    status_filter: Annotated[Status | None, Query(alias="status")] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> ProtocolPage:
    items, next_cursor = await service.list_views(
        session, dynamic_id, caller.user, status=status_filter, cursor=cursor, limit=limit
    )
    return ProtocolPage(items=items, next_cursor=next_cursor)


@router.post(
    "/api/dynamics/{dynamic_id}/protocols",
    status_code=status.HTTP_201_CREATED,
    response_model=ProtocolPublic,
    responses=responses(401, 404, 409, 422),
)
async def propose_protocol(
    dynamic_id: uuid.UUID,
    body: ProtocolCreate,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
) -> ProtocolPublic:
    """Propose a protocol. Proposing is your agreement to version 1; it becomes active when
    your partner agrees to that same version."""
    protocol = await service.propose(session, dynamic_id, caller.user, body)
    return _with_etag(response, await service.view(session, protocol))


@router.get(
    "/api/protocols/{protocol_id}",
    response_model=ProtocolPublic,
    responses=responses(401, 404, 422),
)
async def read_protocol(
    protocol_id: uuid.UUID, caller: CallerDep, session: SessionDep, response: Response
) -> ProtocolPublic:
    protocol = await service.get(session, protocol_id, caller.user)
    return _with_etag(response, await service.view(session, protocol))


@router.patch(
    "/api/protocols/{protocol_id}",
    response_model=ProtocolPublic,
    responses=responses(401, 404, 409, 412, 422, 428),
)
async def renegotiate_protocol(
    protocol_id: uuid.UUID,
    body: ProtocolUpdate,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
    if_match: Annotated[str | None, Header(max_length=200)] = None,
) -> ProtocolPublic:
    """Renegotiate: a new version, agreed by you. An active protocol keeps its agreed version
    in force until your partner agrees to the new one (or declines it). Needs If-Match."""
    protocol = await service.renegotiate(session, protocol_id, caller.user, body, if_match=if_match)
    return _with_etag(response, await service.view(session, protocol))


@router.post(
    "/api/protocols/{protocol_id}/agree",
    response_model=ProtocolPublic,
    responses=responses(401, 404, 409, 422),
)
async def agree(
    protocol_id: uuid.UUID,
    body: AgreeIn,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
) -> ProtocolPublic:
    """Agree to the version you read (409 stale_version if it changed, dynamic_paused under a
    red). With both members' agreement the protocol is active."""
    protocol = await service.agree(session, protocol_id, caller.user, body.version)
    return _with_etag(response, await service.view(session, protocol))


@router.post(
    "/api/protocols/{protocol_id}/decline",
    response_model=ProtocolPublic,
    responses=responses(401, 404, 409, 422),
)
async def decline(
    protocol_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
    body: ReasonIn | None = None,
) -> ProtocolPublic:
    """Decline what your partner proposed. A declined renegotiation leaves the agreed version
    in force."""
    protocol = await service.decline(session, protocol_id, caller.user, body)
    return _with_etag(response, await service.view(session, protocol))


@router.post(
    "/api/protocols/{protocol_id}/withdraw",
    response_model=ProtocolPublic,
    responses=responses(401, 404, 409, 422),
)
async def withdraw(
    protocol_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
    body: ReasonIn | None = None,
) -> ProtocolPublic:
    """Withdraw consent. An active protocol is suspended at once, whoever you are; it is
    active again only when both of you agree again."""
    protocol = await service.withdraw_consent(session, protocol_id, caller.user, body)
    return _with_etag(response, await service.view(session, protocol))


@router.post(
    "/api/protocols/{protocol_id}/retire",
    response_model=ProtocolPublic,
    responses=responses(401, 404, 409, 422),
)
async def retire(
    protocol_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
    body: ReasonIn | None = None,
) -> ProtocolPublic:
    """Retire the protocol for good. Either member may."""
    protocol = await service.retire(session, protocol_id, caller.user, body)
    return _with_etag(response, await service.view(session, protocol))


@router.get(
    "/api/protocols/{protocol_id}/history",
    response_model=ProtocolHistory,
    responses=responses(401, 404, 422),
)
async def history(
    protocol_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> ProtocolHistory:
    """Every version with its agreements and its difference from the one before, and every
    transition: who, what, when."""
    return await service.history(session, protocol_id, caller.user)


@router.post(
    "/api/protocols/{protocol_id}/completions",
    status_code=status.HTTP_201_CREATED,
    response_model=CompletionPublic,
    responses=responses(401, 403, 404, 409, 422),
)
async def complete(
    protocol_id: uuid.UUID, body: CompletionCreate, caller: CallerDep, session: SessionDep
) -> CompletionPublic:
    """Record that you did it (performers only; not while a red stands)."""
    completion = await service.complete(session, protocol_id, caller.user, body)
    return CompletionPublic.model_validate(completion)


@router.get(
    "/api/protocols/{protocol_id}/completions",
    response_model=CompletionPage,
    responses=responses(401, 404, 422),
)
async def list_completions(
    protocol_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> CompletionPage:
    rows, next_cursor = await service.list_completions(
        session, protocol_id, caller.user, cursor=cursor, limit=limit
    )
    return CompletionPage(
        items=[CompletionPublic.model_validate(c) for c in rows], next_cursor=next_cursor
    )


@router.post(
    "/api/completions/{completion_id}/acknowledge",
    status_code=status.HTTP_201_CREATED,
    response_model=CompletionPublic,
    responses=responses(401, 403, 404, 409, 422),
)
async def acknowledge(
    completion_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    body: AcknowledgeIn | None = None,
) -> CompletionPublic:
    """Recognise your partner's follow-through (the other member only, once)."""
    completion = await service.acknowledge(
        session, completion_id, caller.user, body.note if body else None
    )
    return CompletionPublic.model_validate(completion)
