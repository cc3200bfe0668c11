"""What clients send and receive about keys: every key, wrap and envelope is base64url without
padding, checked for its exact decoded size so that a malformed one is a 422 naming the field."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field

from app.accounts.schemas import Password, TokenOut
from app.core.validation import CleanLine

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")

# libsodium's sizes (crypto_box, crypto_aead_xchacha20poly1305_ietf, crypto_pwhash).
KEY_BYTES = 32
NONCE_BYTES = 24
TAG_BYTES = 16
SALT_BYTES = 16
SEAL_BYTES = 48  # crypto_box_SEALBYTES: an ephemeral public key and a tag
KEY_ID_BYTES = 16
# Argon2id: what the server hands out for new wraps, and the range it accepts (a phone must be
# able to redo the derivation; a wrap far below the floor would be cheap to guess at).
OPS_LIMIT = 2
MEM_LIMIT = 64 * 1024 * 1024
OPS_RANGE = (2, 10)
MEM_RANGE = (64 * 1024 * 1024, 1024 * 1024 * 1024)


def decoded_size(value: str) -> int:
    """The number of bytes a base64url text (no padding) holds; ValueError if it is not one."""
    if not _BASE64URL.fullmatch(value) or len(value) % 4 == 1:
        raise ValueError("expected base64url without padding (A-Z a-z 0-9 - _)")
    try:
        return len(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (binascii.Error, ValueError):
        raise ValueError("expected base64url without padding (A-Z a-z 0-9 - _)") from None


def _exactly(size: int) -> AfterValidator:
    def check(value: str) -> str:
        if decoded_size(value) != size:
            raise ValueError(f"expected {size} bytes in base64url")
        return value

    return AfterValidator(check)


def _between(low: int, high: int) -> AfterValidator:
    def check(value: str) -> str:
        if not low <= decoded_size(value) <= high:
            raise ValueError(f"expected {low} to {high} bytes in base64url")
        return value

    return AfterValidator(check)


def _b64(size: int) -> int:
    return -(-size * 4 // 3)  # characters of base64url without padding


def _bytes(size: int) -> tuple[object, ...]:
    """Exactly ``size`` bytes in base64url: its length and alphabet in the schema, then decoded."""
    chars = _b64(size)
    return (Field(min_length=chars, max_length=chars, pattern=r"^[A-Za-z0-9_-]*$"), _exactly(size))


PublicKey = Annotated[str, *_bytes(KEY_BYTES)]
Nonce = Annotated[str, *_bytes(NONCE_BYTES)]
WrappedKey = Annotated[str, *_bytes(KEY_BYTES + TAG_BYTES)]
Salt = Annotated[str, *_bytes(SALT_BYTES)]
RecoveryProof = Annotated[str, *_bytes(KEY_BYTES)]
KeyId = Annotated[str, *_bytes(KEY_ID_BYTES)]
SealedKey = Annotated[str, *_bytes(KEY_BYTES + SEAL_BYTES)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Envelope(_In):
    """A field's text encrypted on the device: ``{"v": 1, "n": nonce, "c": ciphertext}``,
    XChaCha20-Poly1305 under the dynamic's pair key with ``<entity>:<id>:<field>`` as associated
    data."""

    v: Literal[1]
    n: Nonce
    c: Annotated[str, Field(max_length=_b64(64 * 1024)), _between(TAG_BYTES, 48 * 1024)]


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


class PasswordWrapIn(_In):
    password_wrap: PasswordWrap


class RecoveryKitIn(_In):
    """A new recovery kit: the old kit stops working."""

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
    created_at: datetime


class DynamicKeys(BaseModel):
    state: Literal["waiting", "ready_to_seal", "sealed"] = Field(
        description="waiting: a member has no keys yet; ready_to_seal: both have keys and no "
        "pair key exists; sealed: the pair key exists"
    )
    members: list[MemberKey]
    pair_key: MyPairKey | None = Field(description="your sealed copy, once it exists")


class ExportedPairKey(BaseModel):
    dynamic_id: uuid.UUID
    key_id: str
    sealed_key: str = Field(description="sealed to sealed_to, your public key at the time")
    sealed_to: str
    created_at: datetime


class ExportedKeys(BaseModel):
    """Your keys as the server holds them: nothing here opens without your password or kit."""

    account: KeysPublic | None = Field(description="null if keys were never set up")
    pair_keys: list[ExportedPairKey]
