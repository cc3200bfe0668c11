from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from app.core.validation import CleanLine, ClockTime, Timezone

Password = Annotated[str, Field(min_length=8, max_length=128)]
DisplayName = Annotated[str, CleanLine, Field(min_length=1, max_length=64)]
Pronouns = Annotated[str, CleanLine, Field(max_length=32)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterIn(_In):
    email: EmailStr = Field(max_length=320)
    password: Password
    display_name: DisplayName
    timezone: Timezone = "UTC"
    pronouns: Pronouns | None = None


class LoginIn(_In):
    email: Annotated[str, CleanLine, Field(max_length=320)]
    password: Annotated[str, Field(max_length=1024)]


class RefreshIn(_In):
    refresh_token: Annotated[str, Field(min_length=1, max_length=200)]


class ResetIn(_In):
    """A one-time link's token (``#/reset/<token>``) and the new password, as at sign-up."""

    token: Annotated[str, Field(min_length=1, max_length=200)]
    new_password: Password


class LogoutIn(_In):
    refresh_token: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    display_name: str
    pronouns: str | None
    timezone: str
    quiet_hours_start: str | None
    quiet_hours_end: str | None
    checkin_reminder_time: str | None
    discreet_notifications: bool
    push_inbox: bool = Field(description="push what arrives in the inbox, not only reminders")
    created_at: datetime


class TokenOut(BaseModel):
    user: UserPublic
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name, not a secret
    expires_in: int = Field(description="seconds until the access token expires")


class MeUpdate(_In):
    """Fields left out are unchanged; ``null`` clears an optional one.

    Changing the email or the password needs ``current_password``; a new password signs out
    every other device.
    """

    display_name: DisplayName | None = None
    pronouns: Pronouns | None = None
    timezone: Timezone | None = None
    quiet_hours_start: ClockTime | None = None
    quiet_hours_end: ClockTime | None = None
    checkin_reminder_time: ClockTime | None = None
    discreet_notifications: bool | None = None
    push_inbox: bool | None = None
    email: EmailStr | None = Field(default=None, max_length=320)
    new_password: Password | None = None
    current_password: Annotated[str, Field(max_length=1024)] | None = None

    @model_validator(mode="after")
    def _coherent(self) -> MeUpdate:
        # Each rule names its own field in ``errors``, so a form can point at it.
        problems: list[tuple[str, str]] = []
        fields = self.model_fields_set
        for name in (
            "display_name",
            "timezone",
            "discreet_notifications",
            "push_inbox",
            "email",
            "new_password",
        ):
            if name in fields and getattr(self, name) is None:
                problems.append((name, f"{name} cannot be null"))
        start, end = "quiet_hours_start", "quiet_hours_end"
        if (start in fields) != (end in fields):
            missing = end if start in fields else start
            problems.append((missing, "set quiet_hours_start and quiet_hours_end together"))
        elif (self.quiet_hours_start is None) != (self.quiet_hours_end is None):
            empty = start if self.quiet_hours_start is None else end
            problems.append((empty, "quiet hours need both a start and an end, or neither"))
        elif self.quiet_hours_start is not None and self.quiet_hours_start == self.quiet_hours_end:
            problems.append((end, "quiet hours cannot start and end at the same time"))
        if (self.email or self.new_password) and not self.current_password:
            problems.append(
                ("current_password", "current_password is required to change the email or password")
            )
        if problems:
            raise ValidationError.from_exception_data(
                type(self).__name__,
                [
                    InitErrorDetails(
                        type=PydanticCustomError("value_error", message),
                        loc=(name,),
                        input=getattr(self, name),
                    )
                    for name, message in problems
                ],
            )
        return self


class DeleteMeIn(_In):
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class SessionPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    user_agent: str | None
    current: bool = Field(default=False, description="the session making this request")
