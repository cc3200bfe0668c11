"""The rules of keys. The server never sees a key it could use: it checks shapes, who may read
what, and the recovery proof, and stores what devices made (docs/e2ee.md)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from base64 import urlsafe_b64decode, urlsafe_b64encode
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.models import User
from app.accounts.service import IssuedTokens, normalize_email
from app.core.config import Settings
from app.core.db import Database, utcnow
from app.core.errors import AppError, conflict, not_found, unprocessable
from app.core.security import Passwords
from app.dynamics import service as dynamics_service
from app.dynamics.repository import dynamic_ids_of, member_dynamic
from app.dynamics.service import ensure_open
from app.keys import repository
from app.keys.models import DYNAMIC_KEYS, AccountKeys, SealedPairKey
from app.keys.schemas import (
    SALT_BYTES,
    DynamicKeys,
    KdfParams,
    KeysCreate,
    KeysPublic,
    MemberKey,
    MyPairKey,
    PairKeyCreate,
    PasswordWrap,
    RecoverIn,
    RecoveryKitIn,
    RecoveryWrap,
    RecoveryWrapIn,
    RecoveryWrapOut,
)
from app.sync import record as sync


def _b64url(raw: bytes) -> str:
    return urlsafe_b64encode(raw).rstrip(b"=").decode()


def new_kdf_params(settings: Settings) -> KdfParams:
    """A fresh salt for the next password wrap, with the Argon2id limits phones can afford."""
    return KdfParams(
        salt=_b64url(secrets.token_bytes(SALT_BYTES)),
        ops_limit=settings.key_wrap_ops_limit,
        mem_limit=settings.key_wrap_memory_kib * 1024,
    )


def _weak_wrap(name: str, least: int) -> AppError:
    msg = f"at least {least}: a lighter wrap would be cheap to guess at"
    return AppError(
        422,
        "validation_error",
        f"password_wrap.{name}: {msg}",
        errors=[{"loc": ["body", "password_wrap", name], "msg": msg, "type": "weak_wrap"}],
    )


def proof_hash(proof: str) -> str:
    """SHA-256 of the proof's 32 bytes (not of its text: one value, however it was encoded)."""
    return hashlib.sha256(urlsafe_b64decode(proof + "=" * (-len(proof) % 4))).hexdigest()


def _proof_matches(keys: AccountKeys | None, proof: str) -> bool:
    # Compared even without keys (against nothing that can match): the same work either way.
    stored = keys.recovery_proof_hash if keys is not None else "0" * 64
    return hmac.compare_digest(stored, proof_hash(proof)) and keys is not None


def _password_columns(settings: Settings, wrap: PasswordWrap) -> dict[str, Any]:
    """A new password wrap as stored, if it is at least as heavy as the server hands out."""
    if wrap.ops_limit < settings.key_wrap_ops_limit:
        raise _weak_wrap("ops_limit", settings.key_wrap_ops_limit)
    if wrap.mem_limit < settings.key_wrap_memory_kib * 1024:
        raise _weak_wrap("mem_limit", settings.key_wrap_memory_kib * 1024)
    return {
        "password_salt": wrap.salt,
        "password_ops_limit": wrap.ops_limit,
        "password_mem_limit": wrap.mem_limit,
        "password_nonce": wrap.nonce,
        "password_ciphertext": wrap.ciphertext,
    }


def _recovery_columns(wrap: RecoveryWrap, proof: str) -> dict[str, Any]:
    return {
        "recovery_nonce": wrap.nonce,
        "recovery_ciphertext": wrap.ciphertext,
        "recovery_proof_hash": proof_hash(proof),
    }


def _update(session: AsyncSession, keys: AccountKeys, columns: dict[str, Any]) -> AccountKeys:
    for name, value in columns.items():
        setattr(keys, name, value)
    keys.updated_at = utcnow()
    session.add(keys)
    return keys


def public_view(keys: AccountKeys) -> KeysPublic:
    return KeysPublic(
        public_key=keys.public_key,
        password_wrap=PasswordWrap(
            salt=keys.password_salt,
            ops_limit=keys.password_ops_limit,
            mem_limit=keys.password_mem_limit,
            nonce=keys.password_nonce,
            ciphertext=keys.password_ciphertext,
        ),
        recovery_wrap=_recovery_wrap(keys),
        created_at=keys.created_at,
        updated_at=keys.updated_at,
    )


def _recovery_wrap(keys: AccountKeys) -> RecoveryWrap:
    return RecoveryWrap(nonce=keys.recovery_nonce, ciphertext=keys.recovery_ciphertext)


def _no_keys() -> AppError:
    return not_found("keys")


async def find_keys(session: AsyncSession, user: User) -> AccountKeys | None:
    return await repository.keys_of(session, user.id)


async def my_keys(session: AsyncSession, user: User) -> AccountKeys:
    keys = await repository.keys_of(session, user.id)
    if keys is None:
        raise _no_keys()
    return keys


async def create_keys(
    session: AsyncSession, settings: Settings, user: User, data: KeysCreate
) -> AccountKeys:
    """Publish the key pair made on the device, once: a second key pair would strand every pair
    key sealed to the first."""
    if await repository.keys_of(session, user.id) is not None:
        raise conflict("keys_exist", "this account has its keys already")
    keys = AccountKeys(
        user_id=user.id,
        public_key=data.public_key,
        **_password_columns(settings, data.password_wrap),
        **_recovery_columns(data.recovery_wrap, data.recovery_proof),
    )
    session.add(keys)
    try:
        await session.flush()
    except IntegrityError:  # the same account's other device won the race
        raise conflict("keys_exist", "this account has its keys already") from None
    # The partner's phone hears of the new public key through the feed (it may seal a pair key).
    for dynamic_id in await dynamic_ids_of(session, user.id):
        await sync.in_dynamic(session, dynamic_id, DYNAMIC_KEYS, dynamic_id)
    return keys


async def rewrap_password(
    session: AsyncSession, settings: Settings, user: User, wrap: PasswordWrap
) -> AccountKeys:
    return _update(session, await my_keys(session, user), _password_columns(settings, wrap))


async def replace_recovery_kit(
    session: AsyncSession, user: User, data: RecoveryKitIn
) -> AccountKeys:
    columns = _recovery_columns(data.recovery_wrap, data.recovery_proof)
    return _update(session, await my_keys(session, user), columns)


# --- recovery with the kit ------------------------------------------------------------------


def _kit_refused() -> AppError:
    # The same answer for an unknown e-mail, an account without keys and a wrong kit.
    return AppError(403, "recovery_refused", "this recovery kit does not match that e-mail")


async def _read_proof(
    db: Database, settings: Settings, *, email: str, proof: str, address: str
) -> tuple[User | None, AccountKeys | None, bool]:
    """A recovery proof is checked like a password, in two phases (``accounts.service``): read
    here, on a reader, after the throttle check; then ``_settle_proof`` in the writer."""
    async with db.reader() as reader:
        await accounts.check_sign_in_throttle(reader, settings, email=email, address=address)
        found, keys = await repository.user_and_keys_by_email(reader, email)
    return found, keys, _proof_matches(keys, proof) and found is not None


async def _settle_proof(
    session: AsyncSession,
    settings: Settings,
    found: tuple[User | None, AccountKeys | None, bool],
    *,
    email: str,
    address: str,
) -> tuple[User, AccountKeys]:
    """Every wrong proof is recorded as a failed sign-in, so guesses are throttled the same way."""
    user, keys, ok = found
    await accounts.settle_sign_in(session, settings, email=email, address=address, ok=ok)
    if not ok or user is None or keys is None:
        raise _kit_refused()
    if user.disabled_at is not None:
        raise accounts.account_disabled()
    return user, keys


async def recovery_wrap(
    db: Database, session: AsyncSession, settings: Settings, data: RecoveryWrapIn, *, address: str
) -> RecoveryWrapOut:
    """The private key wrapped by the kit, to whoever proves they hold the kit."""
    email = normalize_email(data.email)
    found = await _read_proof(db, settings, email=email, proof=data.recovery_proof, address=address)
    user, keys = await _settle_proof(session, settings, found, email=email, address=address)
    return RecoveryWrapOut(
        user_id=user.id,
        public_key=keys.public_key,
        recovery_wrap=_recovery_wrap(keys),
        kdf=new_kdf_params(settings),
    )


async def recover(
    db: Database,
    session: AsyncSession,
    settings: Settings,
    passwords: Passwords,
    data: RecoverIn,
    *,
    address: str,
    user_agent: str | None,
) -> tuple[IssuedTokens, AccountKeys]:
    """A forgotten password, replaced with the kit: the new password and the key re-wrapped
    under it on the device; every other session ends, and this device is signed in."""
    email = normalize_email(str(data.email))
    found = await _read_proof(db, settings, email=email, proof=data.recovery_proof, address=address)
    # Hashed before the write transaction, as at sign-up; only for the kit's holder.
    new_hash = await passwords.hash(data.new_password) if found[2] else ""
    user, _ = await _settle_proof(session, settings, found, email=email, address=address)
    keys = _update(
        session, await my_keys(session, user), _password_columns(settings, data.password_wrap)
    )
    issued = await accounts.replace_password(
        session, settings, user, new_hash, reason="password_recovered", user_agent=user_agent
    )
    return issued, keys


# --- pair keys ------------------------------------------------------------------------------


async def inviter_key(session: AsyncSession, code: str, user: User) -> MemberKey:
    """The public key of an invite's inviter, seen by whoever may see the invite."""
    _, inviter = await dynamics_service.view_invite(session, code, user)
    keys = await find_keys(session, inviter)
    return MemberKey(user_id=inviter.id, public_key=keys.public_key if keys else None)


async def dynamic_keys(session: AsyncSession, dynamic_id: uuid.UUID, user: User) -> DynamicKeys:
    await member_dynamic(session, dynamic_id, user.id)
    members = await repository.member_public_keys(session, dynamic_id)
    copies = await repository.sealed_copies(session, dynamic_id)
    mine = next((c for c in copies if c.user_id == user.id), None)
    if copies:
        state = "sealed"
    elif len(members) == 2 and all(key is not None for _, key in members):
        state = "ready_to_seal"
    else:
        state = "waiting"
    return DynamicKeys(
        state=state,
        members=[MemberKey(user_id=uid, public_key=key) for uid, key in members],
        pair_key=MyPairKey(
            key_id=mine.key_id,
            sealed_key=mine.sealed_key,
            sealed_to=mine.sealed_to,
            sealed_by=mine.sealed_by,
            sealer_id=mine.sealer_id,
            sealer_public_key=mine.sealer_public_key,
            created_at=mine.created_at,
        )
        if mine is not None
        else None,
    )


async def seal_pair_key(
    session: AsyncSession, dynamic_id: uuid.UUID, user: User, data: PairKeyCreate
) -> tuple[DynamicKeys, bool]:
    """Store a new pair key, sealed on the device to every member at once, and say whether it
    was stored. The first phone to do it wins; the other is handed the pair key that won (its
    own copy of it), so that two phones sealing at once is not an error for either."""
    dynamic, _ = await member_dynamic(session, dynamic_id, user.id, for_update=True)
    ensure_open(dynamic)
    members = dict(await repository.member_public_keys(session, dynamic_id))
    if len(members) < 2 or any(key is None for key in members.values()):
        raise conflict(
            "partner_without_keys", "both of you need keys before the pair key can be made"
        )
    if await repository.sealed_copies(session, dynamic_id):
        return await dynamic_keys(session, dynamic_id, user), False
    given = [copy.user_id for copy in data.sealed]
    if sorted(given) != sorted(members) or len(set(given)) != len(given):
        raise unprocessable(
            "sealed_members", "sealed: give exactly one copy for each member of the dynamic"
        )
    try:
        async with session.begin_nested():
            for copy in data.sealed:
                public_key = members[copy.user_id]
                assert public_key is not None  # checked above
                session.add(
                    SealedPairKey(
                        dynamic_id=dynamic_id,
                        user_id=copy.user_id,
                        key_id=data.key_id,
                        sealed_key=copy.sealed_key,
                        sealed_to=public_key,
                        sealed_by=user.id,
                        sealer_id=user.id,
                        sealer_public_key=members[user.id],
                    )
                )
    except IntegrityError:
        # The partner's phone sealed one at the same moment: theirs stands. Anything else that
        # broke the insert (a member's account deleted meanwhile) is not that, and is raised.
        if not await repository.sealed_copies(session, dynamic_id):
            raise
        return await dynamic_keys(session, dynamic_id, user), False
    await sync.in_dynamic(session, dynamic_id, DYNAMIC_KEYS, dynamic_id)
    return await dynamic_keys(session, dynamic_id, user), True
