from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from app.accounts.deps import CallerDep, PasswordCheckDep
from app.accounts.schemas import UserPublic
from app.core.deps import (
    ClientAddress,
    DatabaseDep,
    PartsDep,
    PasswordsDep,
    SessionDep,
    SettingsDep,
)
from app.core.errors import responses
from app.keys import migration, service
from app.keys.schemas import (
    DynamicKeys,
    KdfParams,
    KeysCreate,
    KeysPublic,
    MemberKey,
    PairKeyCreate,
    PasswordWrapIn,
    RecoverIn,
    RecoverOut,
    RecoveryKitIn,
    RecoveryWrapIn,
    RecoveryWrapOut,
)

router = APIRouter(prefix="/api/keys", tags=["keys"])
dynamic_keys_router = APIRouter(prefix="/api/dynamics", tags=["keys"])
invite_keys_router = APIRouter(prefix="/api/invites", tags=["keys"])

UserAgent = Annotated[str | None, Header(include_in_schema=False)]


@router.get("/kdf", response_model=KdfParams, responses=responses(401))
async def kdf_params(caller: CallerDep, settings: SettingsDep) -> KdfParams:
    """A fresh salt and the Argon2id limits for the next password wrap made on the device (a
    wrap lighter than these is refused)."""
    return service.new_kdf_params(settings)


@router.get(
    "/mine",
    response_model=KeysPublic,
    responses={204: {"description": "No keys yet: set them up"}, **responses(401)},
)
async def read_my_keys(caller: CallerDep, session: SessionDep) -> KeysPublic | Response:
    """Your public key and your private key as wrapped on your device; 204 before key setup
    (a normal state of every new account, so not an error the browser would log)."""
    keys = await service.find_keys(session, caller.user)
    if keys is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return service.public_view(keys)


@router.post(
    "/mine",
    status_code=status.HTTP_201_CREATED,
    response_model=KeysPublic,
    responses=responses(401, 409, 422),
)
async def create_my_keys(
    body: KeysCreate, caller: CallerDep, session: SessionDep, settings: SettingsDep
) -> KeysPublic:
    """Publish the key pair made on your device, once."""
    return service.public_view(await service.create_keys(session, settings, caller.user, body))


@router.put(
    "/mine/password-wrap", response_model=KeysPublic, responses=responses(401, 403, 404, 422, 429)
)
async def rewrap_password(
    body: PasswordWrapIn,
    caller: CallerDep,
    session: SessionDep,
    settings: SettingsDep,
    check_password: PasswordCheckDep,
) -> KeysPublic:
    """Your private key wrapped anew under your (new) password, after a password change. Needs
    the account's current password (403 if wrong, throttled like sign-ins)."""
    await check_password(body.current_password)
    return service.public_view(
        await service.rewrap_password(session, settings, caller.user, body.password_wrap)
    )


@router.put(
    "/mine/recovery", response_model=KeysPublic, responses=responses(401, 403, 404, 422, 429)
)
async def replace_recovery_kit(
    body: RecoveryKitIn, caller: CallerDep, session: SessionDep, check_password: PasswordCheckDep
) -> KeysPublic:
    """A new recovery kit: its wrap and proof replace the old kit's, which stops working. Needs
    the account's password (403 if wrong, throttled like sign-ins)."""
    await check_password(body.current_password)
    return service.public_view(await service.replace_recovery_kit(session, caller.user, body))


@router.post(
    "/recovery-wrap", response_model=RecoveryWrapOut, responses=responses(401, 403, 422, 429)
)
async def recovery_wrap(
    body: RecoveryWrapIn,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    address: ClientAddress,
) -> RecoveryWrapOut:
    """Step 1 of a recovery: the private key wrapped by the kit, for the proof derived from it."""
    return await service.recovery_wrap(db, session, settings, body, address=address)


@router.post("/recover", response_model=RecoverOut, responses=responses(401, 403, 422, 429))
async def recover(
    body: RecoverIn,
    session: SessionDep,
    db: DatabaseDep,
    settings: SettingsDep,
    passwords: PasswordsDep,
    address: ClientAddress,
    user_agent: UserAgent = None,
) -> RecoverOut:
    """Step 2: a new password, with the key re-wrapped under it on the device. Every other
    session ends; this device is signed in."""
    issued, keys = await service.recover(
        db, session, settings, passwords, body, address=address, user_agent=user_agent
    )
    return RecoverOut(
        user=UserPublic.model_validate(issued.user),
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        expires_in=issued.expires_in,
        keys=service.public_view(keys),
    )


@invite_keys_router.get("/{code}/key", response_model=MemberKey, responses=responses(401, 404, 410))
async def read_inviter_key(code: str, caller: CallerDep, session: SessionDep) -> MemberKey:
    """The inviter's public key, for the join screen to show its key code beside the one on the
    inviter's screen (next to the QR code): the same digits mean the key the server hands out
    is theirs. 404 and 410 as for the invite itself."""
    return await service.inviter_key(session, code, caller.user)


@dynamic_keys_router.get(
    "/{dynamic_id}/keys", response_model=DynamicKeys, responses=responses(401, 404, 422)
)
async def read_dynamic_keys(
    dynamic_id: uuid.UUID, caller: CallerDep, session: SessionDep
) -> DynamicKeys:
    """The members' public keys and your sealed copy of the pair key."""
    return await service.dynamic_keys(session, dynamic_id, caller.user)


@dynamic_keys_router.post(
    "/{dynamic_id}/pair-key",
    status_code=status.HTTP_201_CREATED,
    response_model=DynamicKeys,
    responses={
        200: {"model": DynamicKeys, "description": "The partner's phone was first: its pair key"},
        **responses(401, 404, 409, 422),
    },
)
async def seal_pair_key(
    dynamic_id: uuid.UUID,
    body: PairKeyCreate,
    caller: CallerDep,
    session: SessionDep,
    response: Response,
) -> DynamicKeys:
    """The pair key made on your device, sealed to each member's public key: 201 when it is
    stored, 200 with your copy of the pair key that was there first when your partner's phone
    made one before yours."""
    keys, stored = await service.seal_pair_key(session, dynamic_id, caller.user, body)
    if not stored:
        response.status_code = status.HTTP_200_OK
    return keys


@dynamic_keys_router.get(
    "/{dynamic_id}/clear-words",
    response_model=migration.ClearWords,
    responses=responses(401, 404, 422),
)
async def read_clear_words(
    dynamic_id: uuid.UUID, caller: CallerDep, session: SessionDep, parts: PartsDep
) -> migration.ClearWords:
    """The dynamic's words written before its pair key, still in clear: for your phone to seal
    them once (a page at a time; ``more`` says ask again)."""
    return await migration.clear_words(session, parts, dynamic_id, caller.user)


@dynamic_keys_router.post(
    "/{dynamic_id}/clear-words",
    response_model=migration.Sealed,
    responses=responses(401, 404, 422),
)
async def seal_clear_words(
    dynamic_id: uuid.UUID,
    body: migration.SealedWords,
    caller: CallerDep,
    session: SessionDep,
    parts: PartsDep,
) -> migration.Sealed:
    """Envelopes made on your phone in place of those words, each for its record and field.
    Words sealed already are left as they are, so a batch may be sent again."""
    return await migration.seal_words(session, parts, dynamic_id, caller.user, body)
