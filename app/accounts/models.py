from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Index, true
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, created_at_field, utcnow, uuid_pk


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: uuid.UUID = uuid_pk()
    email: str = Field(max_length=320, unique=True)  # stored normalised (lower case)
    password_hash: str = Field(max_length=255)
    display_name: str = Field(max_length=64)
    pronouns: str | None = Field(default=None, max_length=32)
    timezone: str = Field(default="UTC", max_length=64)
    quiet_hours_start: str | None = Field(default=None, max_length=5)
    quiet_hours_end: str | None = Field(default=None, max_length=5)
    checkin_reminder_time: str | None = Field(default=None, max_length=5)
    discreet_notifications: bool = Field(default=True)
    # Push what arrives in the inbox, not only reminders. Added later: existing rows get true.
    push_inbox: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    created_at: datetime = created_at_field()
    updated_at: datetime = created_at_field()
    password_changed_at: datetime = created_at_field()
    # Set by the server's operator (python -m app.admin disable): no sign-in, refresh or session.
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AuthSession(SQLModel, table=True):
    """One signed-in device: the family of refresh tokens that rotate from one login."""

    __tablename__ = "auth_sessions"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    created_at: datetime = created_at_field()
    last_used_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_reason: str | None = Field(default=None, max_length=32)
    user_agent: str | None = Field(default=None, max_length=200)

    def is_live(self, now: datetime | None = None) -> bool:
        return self.revoked_at is None and self.expires_at > (now or utcnow())


class RefreshToken(SQLModel, table=True):
    __tablename__ = "refresh_tokens"

    id: uuid.UUID = uuid_pk()
    session_id: uuid.UUID = Field(foreign_key="auth_sessions.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


# How long a failed password check is remembered: the reach of a sign-in's backoff.
LOGIN_FAILURE_MEMORY = timedelta(days=1)


class LoginFailure(SQLModel, table=True):
    """A failed password check: for which account, from which client address.

    Counted per (account, address) pair, per address and per account for throttling (see
    ``app.accounts.service``). Both are keyed hashes: the table never holds an email address
    or an IP in clear.
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_account_address_at", "account_hash", "address_hash", "at"),
        Index("ix_login_failures_address_at", "address_hash", "at"),
    )

    id: uuid.UUID = uuid_pk()
    account_hash: str = Field(max_length=64)
    address_hash: str = Field(max_length=64)
    at: datetime = created_at_field()


class SignUpAttempt(SQLModel, table=True):
    """A registration attempt, counted per client address for throttling (each costs a hash).

    The key is hashed like a login failure's: the table never holds an address in clear.
    """

    __tablename__ = "sign_up_attempts"
    __table_args__ = (Index("ix_sign_up_attempts_key_at", "key_hash", "at"),)

    id: uuid.UUID = uuid_pk()
    key_hash: str = Field(max_length=64)
    at: datetime = created_at_field()


# How long a reset link made by the operator works.
PASSWORD_RESET_LIFETIME = timedelta(hours=1)


class PasswordReset(SQLModel, table=True):
    """A one-time link to choose a new password, made by the operator (``python -m app.admin
    reset-password``): Accord sends no e-mail. Only the token's hash is stored."""

    __tablename__ = "password_resets"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_at_field()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
