from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sse_starlette import EventSourceResponse
from starlette.background import BackgroundTask

from app.accounts.deps import CallerDep
from app.core.deps import DatabaseDep, PartsDep, SessionDep, SettingsDep
from app.core.errors import responses
from app.live import service
from app.live.hub import Hub
from app.live.schemas import TicketCreate, TicketPublic

router = APIRouter(prefix="/api/events", tags=["live"])

_bearer = HTTPBearer(auto_error=False, description="The access token from login or refresh")
_STREAM_HEADERS = {
    # Keep reverse proxies (nginx, Caddy, CDNs) from buffering or caching the stream.
    "Cache-Control": "no-cache, no-store, no-transform",
    "X-Accel-Buffering": "no",
}


async def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


@router.post(
    "/ticket",
    status_code=status.HTTP_201_CREATED,
    response_model=TicketPublic,
    responses=responses(401, 422),
)
async def create_ticket(
    caller: CallerDep, session: SessionDep, body: TicketCreate | None = None
) -> TicketPublic:
    """A single-use ticket for ``GET /api/events?ticket=``, valid 60 seconds: a browser's
    ``EventSource`` cannot send the ``Authorization`` header."""
    ticket, expires_at = await service.issue_ticket(session, caller.id, caller.session_id)
    return TicketPublic(ticket=ticket, expires_at=expires_at)


@router.get(
    "",
    response_class=EventSourceResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": '`event: change` with `id:` and `data: {"cursor"}` per change; '
            "`: ping` comments every LIVE_HEARTBEAT_SECONDS (15 s by default)",
        },
        **responses(401, 422, 429),
    },
)
async def events(
    db: DatabaseDep,
    settings: SettingsDep,
    parts: PartsDep,
    hub: Annotated[Hub, Depends(get_hub)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ticket: Annotated[
        str | None, Query(max_length=128, description="from POST /api/events/ticket")
    ] = None,
    cursor: Annotated[
        str | None,
        Query(max_length=20000, description="your sync cursor: replay at once if it moved"),
    ] = None,
    last_event_id: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=20000, include_in_schema=False)
    ] = None,
) -> EventSourceResponse:
    """Server-Sent Events: one ``change`` event whenever anything you can read changed (a
    partner's red, a check-in, a new notification…), carrying the sync cursor as its ``id``.
    Pull ``GET /api/sync`` on each; reconnect with ``Last-Event-ID`` (browsers do it on their
    own) or ``?cursor=`` to hear at once of what changed meanwhile."""
    # A cursor that is not one is refused before a ticket is spent on it.
    given = service.parse_cursor(last_event_id or cursor)
    holder = await service.authenticate(
        db,
        settings,
        bearer=credentials.credentials if credentials is not None else None,
        ticket=ticket,
    )
    stream = hub.open(holder.user_id, holder.session_id)
    return EventSourceResponse(
        service.events(db, hub, stream, given, parts),
        headers=_STREAM_HEADERS,
        ping=0,  # the hub's beat sends the keep-alives, and ends signed-out streams with them
        send_timeout=max(10.0, 2 * settings.live_heartbeat_seconds),
        background=BackgroundTask(hub.close, stream),
    )
