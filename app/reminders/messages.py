"""What a push says. Discreet mode (the default) replaces all of it with a neutral line in the
sender; even outside it, a push names people and protocols but never carries notes, needs or
check-in contents."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from app.accounts.models import User
from app.core.envelopes import stored_words
from app.notifications.models import Notification, NotificationKind, Reminder
from app.protocols.models import Protocol, ProtocolVersion
from app.push.sender import PushMessage

# A protocol's reminder when its title is unknown or sealed (words the server cannot read).
SEALED_TITLE = "A protocol"

# Keyed by NotificationKind, whose values are the strings a stored notification's kind holds.
_TEXT: dict[str, str] = {
    NotificationKind.partner_linked: "{actor} linked with you",
    NotificationKind.red: "{actor} called red: everything is paused",
    NotificationKind.yellow: "{actor} raised yellow: let's talk",
    NotificationKind.seen: "{actor} sees you",
    NotificationKind.resumed: "{actor} lifted their flag",
    NotificationKind.partner_left: "{actor} ended the dynamic",
    NotificationKind.partner_checked_in: "{actor} checked in",
    NotificationKind.checkin_answered: "{actor} answered your check-in",
    NotificationKind.protocol_proposed: "{actor} proposed a protocol",
    NotificationKind.protocol_renegotiated: "{actor} proposed a change to a protocol",
    NotificationKind.protocol_agreed: "{actor} agreed to a protocol",
    NotificationKind.protocol_active: "A protocol is now active",
    NotificationKind.protocol_declined: "{actor} declined a proposal",
    NotificationKind.protocol_withdrawn: "{actor} withdrew consent from a protocol",
    NotificationKind.protocol_retired: "{actor} retired a protocol",
    NotificationKind.completion_recorded: "{actor} did what you agreed",
    NotificationKind.completion_acknowledged: "{actor} acknowledged what you did",
    NotificationKind.limits_updated: "{actor} updated their limits",
    NotificationKind.nudge: "{actor} is thinking of you",
    NotificationKind.review_started: (
        "{actor} started a review: your answers stay private until you both submit"
    ),
    NotificationKind.review_answered: "{actor} answered the review: your turn when you are ready",
    NotificationKind.review_revealed: "You both answered: see the review together",
    NotificationKind.review_closed: "{actor} closed the review with a summary",
}
_URGENT: set[str] = {
    NotificationKind.red,
    NotificationKind.yellow,
    NotificationKind.seen,
    NotificationKind.partner_left,
}
# Which screen of the app a click on the notification opens (frontend/js/app.js routes).
_SCREEN: dict[str, str] = {
    NotificationKind.partner_checked_in: "checkins",
    NotificationKind.checkin_answered: "checkins",
    NotificationKind.limits_updated: "limits",
}


def screen_for(notification: Notification) -> str:
    """The app path for a notification: the protocol it is about, the check-ins, the limits,
    the review, or home (red, yellow, resume, linking, leaving, nudges), inside its dynamic."""
    protocol_id = notification.data.get("protocol_id") if notification.data else None
    review_id = notification.data.get("review_id") if notification.data else None
    if protocol_id and notification.kind.startswith(("protocol_", "completion_")):
        screen = f"protocol/{protocol_id}"
    elif review_id and notification.kind.startswith("review_"):
        screen = f"review/{review_id}"
    else:
        screen = _SCREEN.get(notification.kind, "home")
    # In the dynamic it is about: someone in two dynamics lands in the right one.
    if notification.dynamic_id is not None:
        return f"/#/dynamics/{notification.dynamic_id}/{screen}"
    return f"/#/{screen}"


async def message_for(
    session: AsyncSession, reminder: Reminder, notification: Notification | None
) -> PushMessage:
    if reminder.kind == "notification" and notification is not None:
        actor = await session.get(User, notification.actor_id) if notification.actor_id else None
        text = _TEXT.get(notification.kind, "Something new in your dynamic")
        return PushMessage(
            title="Accord",
            body=text.format(actor=actor.display_name if actor else "Your partner"),
            url=screen_for(notification),
            tag=notification.kind,
            urgency="high" if notification.kind in _URGENT else "normal",
            ttl=24 * 3600,
        )
    if reminder.kind == "checkin":
        return PushMessage(
            title="Check in",
            body="How are you today?",
            url="/#/checkin",
            tag="checkin",
            urgency="normal",
            ttl=3 * 3600,
        )
    if reminder.kind == "review_due":  # the day before a review (app/reviews)
        return PushMessage(
            title="Review tomorrow",
            body="Your review is tomorrow: a few minutes each, answered privately",
            url=f"/#/dynamics/{reminder.dynamic_id}/review",  # the reviews of that dynamic
            tag=f"review_due:{reminder.dynamic_id}",
            ttl=12 * 3600,
        )
    title, sealed = await _protocol_title(session, reminder)
    named = f"“{title}”" if title != SEALED_TITLE else "a protocol"
    if reminder.kind == "review":
        return PushMessage(
            title="Time to review",
            body=f"Look at {named} together again",
            sealed=sealed and {**sealed, "body": "Look at “{title}” together again"},
            url=f"/#/protocol/{reminder.protocol_id}" if reminder.protocol_id else "/#/protocols",
            tag=f"review:{reminder.protocol_id}",
            ttl=12 * 3600,
        )
    return PushMessage(
        title="Reminder",
        body=title,
        sealed=sealed and {**sealed, "body": "{title}"},
        url=f"/#/protocol/{reminder.protocol_id}",
        tag=f"protocol:{reminder.protocol_id}",
        ttl=3600,
    )


async def _protocol_title(
    session: AsyncSession, reminder: Reminder
) -> tuple[str, dict[str, Any] | None]:
    """The title of the reminder's protocol in force, or SEALED_TITLE; and where it is sealed,
    what the service worker needs to have it opened on the phone: the envelope and what its
    associated data names (docs/e2ee.md, "Push titles"). Nobody here can open it."""
    if reminder.protocol_id is None:
        return SEALED_TITLE, None
    protocol = await session.get(Protocol, reminder.protocol_id)
    if protocol is None or protocol.in_force_version is None:
        return SEALED_TITLE, None
    version = (
        await session.execute(
            select(ProtocolVersion).where(
                col(ProtocolVersion.protocol_id) == protocol.id,
                col(ProtocolVersion.number) == protocol.in_force_version,
            )
        )
    ).scalar_one_or_none()
    if version is None:
        return SEALED_TITLE, None
    envelope = stored_words(version.title)
    if envelope is None:
        return version.title or SEALED_TITLE, None
    return SEALED_TITLE, {
        "dynamic_id": str(protocol.dynamic_id),
        "entity": "protocol_version",
        "id": str(version.id),
        "field": "title",
        "envelope": envelope,
    }
