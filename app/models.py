"""Every table model, imported once so that metadata (and alembic) sees the whole schema."""

from app.accounts.models import AuthSession, LoginFailure, RefreshToken, User
from app.core.models import IdempotencyRecord
from app.dynamics.models import Dynamic, Invite, Membership
from app.notifications.models import Notification

__all__ = [
    "AuthSession",
    "Dynamic",
    "IdempotencyRecord",
    "Invite",
    "LoginFailure",
    "Membership",
    "Notification",
    "RefreshToken",
    "User",
]
