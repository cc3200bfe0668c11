"""What a push says. Discreet mode (the default) replaces all of it with a neutral line in the
sender; even outside it, a push names people and protocols but never carries notes, needs or
check-in contents."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.notifications.models import Notification
from app.protocols.models import Protocol, ProtocolVersion
from app.push.sender import PushMessage
from app.reminders.models import Reminder

_TEXT = {
    "partner_linked": "{actor} linked with you",
    "red": "{actor} called red: everything is paused",
    "yellow": "{actor} raised yellow: let's talk",
    "seen": "{actor} sees you",
    "resumed": "{actor} lifted their flag",
    "partner_left": "{actor} ended the dynamic",
    "partner_checked_in": "{actor} checked in",
    "checkin_answered": "{actor} answered your check-in",
    "protocol_proposed": "{actor} proposed a protocol",
    "protocol_renegotiated": "{actor} proposed a change to a protocol",
    "protocol_agreed": "{actor} agreed to a protocol",
    "protocol_active": "A protocol is now active",
    "protocol_declined": "{actor} declined a proposal",
    "protocol_withdrawn": "{actor} withdrew consent from a protocol",
    "protocol_retired": "{actor} retired a protocol",
    "completion_recorded": "{actor} did what you agreed",
    "completion_acknowledged": "{actor} acknowledged what you did",
    "limits_updated": "{actor} updated their limits",
    "nudge": "{actor} is thinking of you",
    # part: reviews
    "review_started": "{actor} started a review: your answers stay private until you both submit",
    "review_answered": "{actor} answered the review: your turn when you are ready",
    "review_revealed": "You both answered: see the review together",
    "review_closed": "{actor} closed the review with a summary",
}
_URGENT = {"red", "yellow", "seen", "partner_left"}
# Which screen of the app a click on the notification opens (frontend/js/app.js routes).
_SCREEN = {
    "partner_checked_in": "checkins",
    "checkin_answered": "checkins",
    "limits_updated": "limits",
}


def screen_for(notification: Notification) -> str:
    """The app path for a notification: the protocol it is about, the check-ins, the limits,
    or home (red, yellow, resume, linking, leaving, nudges)."""
    protocol_id = notification.data.get("protocol_id") if notification.data else None
    if protocol_id and notification.kind.startswith(("protocol_", "completion_")):
        return f"/#/protocol/{protocol_id}"
    review_id = notification.data.get("review_id") if notification.data else None
    if review_id and notification.kind.startswith("review_"):  # part: reviews
        return f"/#/review/{review_id}"
    return f"/#/{_SCREEN.get(notification.kind, 'home')}"


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
    if reminder.kind == "review_due":  # part: reviews
        return PushMessage(
            title="Review tomorrow",
            body="Your review is tomorrow: a few minutes each, answered privately",
            url="/#/review",
            tag=f"review_due:{reminder.dynamic_id}",
            ttl=12 * 3600,
        )
    title = "A protocol"
    if reminder.protocol_id is not None:
        protocol = await session.get(Protocol, reminder.protocol_id)
        if protocol is not None and protocol.in_force_version is not None:
            from sqlmodel import col, select

            version = (
                await session.execute(
                    select(ProtocolVersion.title).where(
                        col(ProtocolVersion.protocol_id) == protocol.id,
                        col(ProtocolVersion.number) == protocol.in_force_version,
                    )
                )
            ).scalar_one_or_none()
            title = version or title
    if reminder.kind == "review":
        return PushMessage(
            title="Time to review",
            body=f"Look at “{title}” together again",
            url=f"/#/protocol/{reminder.protocol_id}" if reminder.protocol_id else "/#/protocols",
            tag=f"review:{reminder.protocol_id}",
            ttl=12 * 3600,
        )
    return PushMessage(
        title="Reminder",
        body=title,
        url=f"/#/protocol/{reminder.protocol_id}",
        tag=f"protocol:{reminder.protocol_id}",
        ttl=3600,
    )
