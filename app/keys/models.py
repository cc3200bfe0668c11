from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.db import created_at_field, uuid_pk

# The sync feed's entity for a dynamic's keys (its members' public keys and the reader's sealed
# copy of the pair key), named by the dynamic's id: a phone learns of a new pair key, or of the
# partner's key set, as it learns of anything else.
DYNAMIC_KEYS = "dynamic_keys"


class AccountKeys(SQLModel, table=True):
    """An account's X25519 key pair as the server may hold it: the public key, and the private
    key wrapped twice on the device (by the password, by the recovery kit). Base64url text."""

    __tablename__ = "account_keys"

    user_id: uuid.UUID = Field(primary_key=True, foreign_key="users.id", ondelete="CASCADE")
    public_key: str = Field(max_length=43)
    # Argon2id's salt and limits are kept with the wrap they made, so the limits can grow later.
    password_salt: str = Field(max_length=22)
    password_ops_limit: int
    password_mem_limit: int
    password_nonce: str = Field(max_length=32)
    password_ciphertext: str = Field(max_length=64)
    recovery_nonce: str = Field(max_length=32)
    recovery_ciphertext: str = Field(max_length=64)
    # SHA-256 (hex) of the proof derived from the recovery key: the proof is 256 random bits, so
    # a fast hash is enough, and the stored hash is useless to whoever reads it.
    recovery_proof_hash: str = Field(max_length=64)
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()


class SealedPairKey(SQLModel, table=True):
    """One member's copy of a dynamic's pair key, sealed on a device to that member's public
    key. One per member: the unique pair is how two phones racing to make the key agree."""

    __tablename__ = "sealed_pair_keys"
    __table_args__ = (UniqueConstraint("dynamic_id", "user_id"),)

    id: uuid.UUID = uuid_pk()
    dynamic_id: uuid.UUID = Field(foreign_key="dynamics.id", ondelete="CASCADE", index=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    # Names the pair key, the same on every copy: a copy sealed later must name the same one.
    key_id: str = Field(max_length=22)
    sealed_key: str = Field(max_length=107)
    # The public key it was sealed to: a copy for an older key pair is recognisable as such.
    sealed_to: str = Field(max_length=43)
    sealed_by: uuid.UUID | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    # The sealer as the copy's associated data names them, and their public key as it was:
    # their account and key set may go, and the copy must still open for the member who stays
    # (their words of an ended dynamic are theirs). An id alone, once the account is gone.
    sealer_id: uuid.UUID | None = None
    sealer_public_key: str | None = Field(default=None, max_length=43)
    created_at: datetime = created_at_field()
