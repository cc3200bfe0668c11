from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.core.envelopes import ClearOrSealed, Envelope, StoredWords, ciphertext_of
from app.core.validation import CleanLine, CleanText
from app.dynamics.models import DynamicState, Role

Note = Annotated[str, CleanText, Field(max_length=500)]


class SignalNoteEnvelope(Envelope):
    """A red, yellow or "I see you" note (500 characters at most), encrypted on the device under
    ``member:<author's user id>:red_note`` (``yellow_note``, ``saw_note``)."""

    c: Annotated[str, *ciphertext_of(500)]


Nickname = Annotated[str, CleanLine, Field(min_length=1, max_length=40)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InviteCreate(_In):
    """Empty for now: an invite carries nothing but who made it."""


class InvitePublic(BaseModel):
    code: str = Field(description="8 characters, no look-alikes (no 0/O, 1/I/L)")
    url: str = Field(description="a link that opens the join screen with the code filled in")
    created_at: datetime
    expires_at: datetime
    state: str = Field(description="open | accepted | expired | revoked")
    inviter_id: uuid.UUID
    inviter_name: str


class MemberPublic(BaseModel):
    user_id: uuid.UUID | None = Field(description="null once the member deleted their account")
    display_name: str
    pronouns: str | None
    role: Role
    nickname: str | None
    joined_at: datetime
    red_at: datetime | None
    red_note: StoredWords
    yellow_at: datetime | None
    yellow_note: StoredWords
    saw_red_at: datetime | None = Field(
        description='when this member answered the partner\'s standing red with "I see you"'
    )
    saw_yellow_at: datetime | None = Field(
        description="when this member answered the partner's standing yellow"
    )
    introduced_at: datetime | None = Field(
        default=None, description="when this member finished or skipped the first minute"
    )
    saw_note: StoredWords = Field(description='what this member said with "I see you"')


class DynamicPublic(BaseModel):
    id: uuid.UUID
    state: DynamicState
    created_at: datetime
    ended_at: datetime | None
    ended_by: uuid.UUID | None
    ended_reason: str | None = Field(description="left | account_deleted, once ended")
    members: list[MemberPublic]


class DynamicPage(BaseModel):
    items: list[DynamicPublic]
    next_cursor: str | None


class MembershipUpdate(_In):
    """Your own label and nickname in this dynamic; ``null`` clears the nickname."""

    role: Role | None = None
    nickname: Nickname | None = None

    @field_validator("role", mode="before")
    @classmethod
    def _role_is_not_cleared(cls, value: object) -> object:
        # Leaving the role out keeps it; null is not a role (every member has a label).
        if value is None:
            raise ValueError("role cannot be null; use dominant, submissive, switch or other")
        return value

    @model_validator(mode="after")
    def _something(self) -> MembershipUpdate:
        if not self.model_fields_set:
            raise ValueError("change role or nickname")
        return self


class FlagIn(_In):
    note: Annotated[Note | SignalNoteEnvelope | None, ClearOrSealed] = Field(
        default=None,
        description="words; in a dynamic with a pair key, only an envelope sealed for "
        "member:<your user id>:red_note (yellow_note, saw_note)",
    )
