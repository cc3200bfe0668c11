"""Every table model, imported once so that metadata (and alembic) sees the whole schema."""

from app.accounts.models import (
    AuthSession,
    LoginFailure,
    PasswordReset,
    RefreshToken,
    SignUpAttempt,
    User,
)
from app.checkins.models import CheckIn, CheckInResponse
from app.core.models import IdempotencyRecord
from app.dynamics.models import Dynamic, DynamicPause, Invite, Membership
from app.keys.models import AccountKeys, SealedPairKey
from app.limits.models import LimitAnswer
from app.live.models import LiveTicket
from app.notifications.models import Notification
from app.protocols.models import (
    Completion,
    Protocol,
    ProtocolAgreement,
    ProtocolEvent,
    ProtocolVersion,
)
from app.push.models import PushSubscription
from app.reminders.models import Reminder
from app.sync.models import Change, ChangeStream

__all__ = [
    "AccountKeys",
    "AuthSession",
    "Change",
    "ChangeStream",
    "CheckIn",
    "CheckInResponse",
    "Completion",
    "Dynamic",
    "DynamicPause",
    "IdempotencyRecord",
    "Invite",
    "LimitAnswer",
    "LiveTicket",
    "LoginFailure",
    "Membership",
    "Notification",
    "PasswordReset",
    "Protocol",
    "ProtocolAgreement",
    "ProtocolEvent",
    "ProtocolVersion",
    "PushSubscription",
    "RefreshToken",
    "Reminder",
    "SealedPairKey",
    "SignUpAttempt",
    "User",
]
