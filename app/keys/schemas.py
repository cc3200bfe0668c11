"""What clients send and receive about keys: every key, wrap and envelope is base64url without
padding, checked for its exact decoded size so that a malformed one is a 422 naming the field."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from app.accounts.schemas import Password, TokenOut
from app.core.envelopes import NONCE_BYTES, TAG_BYTES, b64_chars, decoded_size, exact_bytes
from app.core.validation import CleanLine

# libsodium's sizes (crypto_box, crypto_aead_xchacha20poly1305_ietf, crypto_pwhash).
KEY_BYTES = 32
SALT_BYTES = 16
SEAL_BYTES = 48  # crypto_box_SEALBYTES: an ephemeral public key and a tag
KEY_ID_BYTES = 16
# Argon2id limits a wrap may name: libsodium's least, up to what a phone's browser can redo (its
# WebAssembly memory, seconds of CPU on a slow phone; above, a wrap would lock its owner out of
# their own key). What the server hands out, and the least it takes for a new wrap (so that none
# is cheap to guess at), are settings: 2 passes of 64 MiB (``key_wrap_*``, app/core/config.py).
OPS_RANGE = (1, 6)
MEM_RANGE = (8 * 1024, 256 * 1024 * 1024)

PublicKey = Annotated[str, *exact_bytes(KEY_BYTES)]
Nonce = Annotated[str, *exact_bytes(NONCE_BYTES)]
WrappedKey = Annotated[str, *exact_bytes(KEY_BYTES + TAG_BYTES)]
Salt = Annotated[str, *exact_bytes(SALT_BYTES)]
RecoveryProof = Annotated[str, *exact_bytes(KEY_BYTES)]
KeyId = Annotated[str, *exact_bytes(KEY_ID_BYTES)]
# A pair key sealed by its sealer to one member: XChaCha20-Poly1305 under crypto_box_beforenm's
# key, a nonce then the key and its tag (docs/e2ee.md, "Pair key"). The first copies were
# anonymous crypto_box_seal boxes, a few bytes longer: still taken, so older phones keep working.
AUTHENTICATED_SEAL_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES
ANONYMOUS_SEAL_BYTES = KEY_BYTES + SEAL_BYTES


def _a_sealed_key(value: str) -> str:
    if decoded_size(value) not in (AUTHENTICATED_SEAL_BYTES, ANONYMOUS_SEAL_BYTES):
        raise ValueError(
            f"expected {AUTHENTICATED_SEAL_BYTES} (or, sealed anonymously, "
            f"{ANONYMOUS_SEAL_BYTES}) bytes in base64url"
        )
    return value


SealedKey = Annotated[
    str,
    # Its lengths and alphabet in the schema (so schema-made examples are well formed), then
    # one of the two sizes, decoded.
    Field(
        min_length=b64_chars(AUTHENTICATED_SEAL_BYTES),
        max_length=b64_chars(ANONYMOUS_SEAL_BYTES),
        pattern=r"^[A-Za-z0-9_-]*$",
    ),
    AfterValidator(_a_sealed_key),
]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KdfParams(BaseModel):
    salt: Salt
    ops_limit: Annotated[int, Field(ge=OPS_RANGE[0], le=OPS_RANGE[1])]
    mem_limit: Annotated[int, Field(ge=MEM_RANGE[0], le=MEM_RANGE[1])]
    alg: Literal["argon2id13"] = "argon2id13"


class PasswordWrap(_In, KdfParams):
    """The private key encrypted with the key Argon2id derived from the password and ``salt``."""

    nonce: Nonce
    ciphertext: WrappedKey


class RecoveryWrap(_In):
    """The private key encrypted with the key derived from the recovery kit."""

    nonce: Nonce
    ciphertext: WrappedKey


class KeysCreate(_In):
    public_key: PublicKey
    password_wrap: PasswordWrap
    recovery_wrap: RecoveryWrap
    recovery_proof: RecoveryProof


# A bearer token alone must not be enough to replace a way into the account (docs/e2ee.md).
CurrentPassword = Annotated[
    str, Field(min_length=1, max_length=1024, description="the account's password, checked")
]


class PasswordWrapIn(_In):
    current_password: CurrentPassword
    password_wrap: PasswordWrap


class RecoveryKitIn(_In):
    """A new recovery kit: the old kit stops working."""

    current_password: CurrentPassword
    recovery_wrap: RecoveryWrap
    recovery_proof: RecoveryProof


class KeysPublic(BaseModel):
    public_key: str
    password_wrap: PasswordWrap
    recovery_wrap: RecoveryWrap
    created_at: datetime
    updated_at: datetime


class RecoveryWrapIn(_In):
    email: Annotated[str, CleanLine, Field(max_length=320)]
    recovery_proof: RecoveryProof


class RecoveryWrapOut(BaseModel):
    user_id: uuid.UUID
    public_key: str
    recovery_wrap: RecoveryWrap
    kdf: KdfParams = Field(description="a fresh salt for the new password's wrap")


class RecoverIn(_In):
    email: EmailStr = Field(max_length=320)
    recovery_proof: RecoveryProof
    new_password: Password
    password_wrap: PasswordWrap


class RecoverOut(TokenOut):
    keys: KeysPublic


class SealedCopy(_In):
    user_id: uuid.UUID
    sealed_key: SealedKey


class PairKeyCreate(_In):
    """The pair key sealed on the device to every member's public key, all at once."""

    key_id: KeyId
    sealed: Annotated[list[SealedCopy], Field(min_length=1, max_length=2)]


class MemberKey(BaseModel):
    user_id: uuid.UUID
    public_key: str | None = Field(description="null until that member set up their keys")


class MyPairKey(BaseModel):
    key_id: str
    sealed_key: str = Field(description="sealed to your public key; open it on your device")
    sealed_to: str
    sealed_by: uuid.UUID | None = Field(
        description="the member whose phone sealed it (null once that account is deleted)"
    )
    sealer_id: uuid.UUID | None = Field(
        description="the sealer's id as the copy's associated data names it (kept after the "
        "sealer deleted their account, so the copy still opens)"
    )
    sealer_public_key: str | None = Field(
        description="the sealer's public key when it sealed this copy (kept likewise)"
    )
    created_at: datetime


class DynamicKeys(BaseModel):
    state: Literal["waiting", "ready_to_seal", "sealed"] = Field(
        description="waiting: a member has no keys yet; ready_to_seal: both have keys and no "
        "pair key exists; sealed: the pair key exists"
    )
    members: list[MemberKey]
    pair_key: MyPairKey | None = Field(description="your sealed copy, once it exists")


class SyncedKeys(DynamicKeys):
    """A dynamic's keys as the sync feed carries them, filed under the dynamic."""

    dynamic_id: uuid.UUID


class ExportedPairKey(BaseModel):
    dynamic_id: uuid.UUID
    key_id: str
    sealed_key: str = Field(description="sealed to sealed_to, your public key at the time")
    sealed_to: str
    sealed_by: uuid.UUID | None
    created_at: datetime


class ExportedKeys(BaseModel):
    """Your keys as the server holds them: nothing here opens without your password or kit."""

    account: KeysPublic | None = Field(description="null if keys were never set up")
    pair_keys: list[ExportedPairKey]
