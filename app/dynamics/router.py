from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from app.accounts.deps import CallerDep
from app.core.declaration import words_private
from app.core.deps import NowDep, PartsDep, SessionDep, SettingsDep, ViewsDep
from app.core.errors import responses
from app.core.pagination import CursorQuery, LimitQuery
from app.dynamics import service
from app.dynamics.models import DynamicState, Invite
from app.dynamics.schemas import (
    DynamicPage,
    DynamicPublic,
    FlagIn,
    InviteCreate,
    InvitePublic,
    MembershipUpdate,
)

invites_router = APIRouter(prefix="/api/invites", tags=["pairing"])
router = APIRouter(prefix="/api/dynamics", tags=["dynamics"])


def _join_url(request: Request, settings_url: str | None, code: str) -> str:
    base = (settings_url or str(request.base_url)).rstrip("/")
    return f"{base}/join/{code}"


def _invite_view(invite: Invite, inviter_name: str, url: str) -> InvitePublic:
    return InvitePublic(
        code=invite.code,
        url=url,
        created_at=invite.created_at,
        expires_at=invite.expires_at,
        state=service.invite_state(invite),
        inviter_id=invite.inviter_id,
        inviter_name=inviter_name,
    )


@invites_router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=InvitePublic,
    responses=responses(401, 409, 422),
)
async def create_invite(
    request: Request,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    body: InviteCreate | None = None,
) -> InvitePublic:
    """A single-use code for your partner, valid 48 hours; at most 5 open at once."""
    invite = await service.create_invite(session, settings, caller.user)
    url = _join_url(request, settings.public_url, invite.code)
    return _invite_view(invite, caller.user.display_name, url)


@invites_router.get("/{code}", response_model=InvitePublic, responses=responses(401, 404, 410))
async def read_invite(
    code: str, request: Request, caller: CallerDep, session: SessionDep, settings: SettingsDep
) -> InvitePublic:
    """What the join screen shows before accepting. A spent invite is 410 (404 if unknown)."""
    invite, inviter = await service.view_invite(session, code, caller.user)
    url = _join_url(request, settings.public_url, invite.code)
    return _invite_view(invite, inviter.display_name, url)


@invites_router.post(
    "/{code}/accept",
    status_code=status.HTTP_201_CREATED,
    response_model=DynamicPublic,
    responses=responses(401, 404, 409, 410, 422),
)
async def accept_invite(code: str, caller: CallerDep, session: SessionDep) -> DynamicPublic:
    dynamic = await service.accept_invite(session, code, caller.user)
    return await service.view(session, dynamic)


@invites_router.delete(
    "/{code}", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401, 404, 409)
)
async def revoke_invite(code: str, caller: CallerDep, session: SessionDep) -> Response:
    await service.revoke_invite(session, code, caller.user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("", response_model=DynamicPage, responses=responses(401, 422))
async def list_dynamics(
    caller: CallerDep,
    session: SessionDep,
    views: ViewsDep,
    now: NowDep,
    state: Annotated[DynamicState | None, Query()] = None,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
) -> Response:
    body = await service.list_json(
        session, views, caller.user, state=state, cursor=cursor, limit=limit, now=now
    )
    return Response(body, media_type="application/json")


@router.get("/{dynamic_id}", response_model=DynamicPublic, responses=responses(401, 404, 422))
async def read_dynamic(
    dynamic_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> DynamicPublic:
    return await service.get_view(session, dynamic_id, caller.user)


@router.patch(
    "/{dynamic_id}/membership",
    response_model=DynamicPublic,
    responses=responses(401, 404, 409, 422),
)
async def update_membership(
    dynamic_id: uuid.UUID, body: MembershipUpdate, caller: CallerDep, session: SessionDep
) -> DynamicPublic:
    """Your own role label and nickname in this dynamic. Roles are labels, not privileges."""
    dynamic = await service.update_membership(session, dynamic_id, caller.user, body)
    return await service.view(session, dynamic)


@router.post(
    "/{dynamic_id}/red", response_model=DynamicPublic, responses=responses(401, 404, 409, 422)
)
async def call_red(
    dynamic_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    parts: PartsDep,
    body: FlagIn | None = None,
) -> DynamicPublic:
    """Stop. Pauses the whole dynamic at once; only you can lift your red."""
    dynamic = await service.call_red(
        session, dynamic_id, caller.user, body.note if body else None, partial(words_private, parts)
    )
    return await service.view(session, dynamic)


@router.post(
    "/{dynamic_id}/yellow", response_model=DynamicPublic, responses=responses(401, 404, 409, 422)
)
async def raise_yellow(
    dynamic_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    parts: PartsDep,
    body: FlagIn | None = None,
) -> DynamicPublic:
    """Slow down, we need to talk. Pauses nothing; lifted by your resume."""
    dynamic = await service.raise_yellow(
        session, dynamic_id, caller.user, body.note if body else None, partial(words_private, parts)
    )
    return await service.view(session, dynamic)


@router.post(
    "/{dynamic_id}/seen", response_model=DynamicPublic, responses=responses(401, 404, 409, 422)
)
async def see(
    dynamic_id: uuid.UUID,
    caller: CallerDep,
    session: SessionDep,
    parts: PartsDep,
    body: FlagIn | None = None,
) -> DynamicPublic:
    """ "I see you": answer your partner's red or yellow, with an optional note. They are
    told at once; 409 ``nothing_to_see`` when no flag of theirs is standing."""
    dynamic = await service.see(
        session, dynamic_id, caller.user, body.note if body else None, partial(words_private, parts)
    )
    return await service.view(session, dynamic)


@router.post(
    "/{dynamic_id}/resume",
    response_model=DynamicPublic,
    responses=responses(401, 403, 404, 409, 422),
)
async def resume(dynamic_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> DynamicPublic:
    """Lift your own red and yellow. Your partner's red stays until they lift it (403)."""
    dynamic = await service.resume(session, dynamic_id, caller.user)
    return await service.view(session, dynamic)


@router.post(
    "/{dynamic_id}/introduced",
    response_model=DynamicPublic,
    responses=responses(401, 404, 409, 422),
)
async def introduced(
    dynamic_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> DynamicPublic:
    """You finished (or skipped) the first minute after pairing: it is not shown again, on
    any of your devices. A repeat keeps the first time."""
    dynamic = await service.mark_introduced(session, dynamic_id, caller.user)
    return await service.view(session, dynamic)


@router.post(
    "/{dynamic_id}/leave", response_model=DynamicPublic, responses=responses(401, 404, 409, 422)
)
async def leave(dynamic_id: uuid.UUID, caller: CallerDep, session: SessionDep) -> DynamicPublic:
    """End the dynamic at once. It stays readable and exportable for both of you."""
    dynamic = await service.leave(session, dynamic_id, caller.user)
    return await service.view(session, dynamic)
