from __future__ import annotations

from fastapi import APIRouter, Response, status

from app.accounts.deps import CallerDep
from app.core.deps import SessionDep, SettingsDep
from app.core.errors import responses
from app.push import service
from app.push.keys import load_vapid_keys
from app.push.schemas import PublicKeyOut, SubscriptionIn, SubscriptionPublic, UnsubscribeIn

router = APIRouter(prefix="/api/push", tags=["push"])


@router.get("/key", response_model=PublicKeyOut, responses=responses(401))
async def public_key(caller: CallerDep, settings: SettingsDep) -> PublicKeyOut:
    """The server's VAPID public key, for ``pushManager.subscribe({applicationServerKey})``."""
    return PublicKeyOut(public_key=load_vapid_keys(settings).public_key)


@router.post(
    "/subscriptions",
    status_code=status.HTTP_201_CREATED,
    response_model=SubscriptionPublic,
    responses={
        200: {"model": SubscriptionPublic, "description": "Already yours: keys refreshed"},
        **responses(401, 409, 422),
    },
)
async def subscribe(
    body: SubscriptionIn,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> SubscriptionPublic:
    """Send the browser's ``PushSubscription.toJSON()``. 201 for a device new to you (also one
    that was another user's until now), 200 when it was already yours."""
    subscription, created = await service.subscribe(session, settings, caller.user, body)
    if not created:
        response.status_code = status.HTTP_200_OK
    return SubscriptionPublic.model_validate(subscription)


@router.delete(
    "/subscriptions",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=responses(401, 404, 422),
)
async def unsubscribe(body: UnsubscribeIn, caller: CallerDep, session: SessionDep) -> Response:
    """Stop pushing to this device (call it before signing out, or when the user turns
    notifications off)."""
    await service.unsubscribe(session, caller.user, body.endpoint)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
