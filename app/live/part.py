"""Live as a part: the event stream that tells a client to pull the feed, and its tickets (kept
an hour, worthless after a minute)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col

from app.core.declaration import Part, Sweep
from app.live.models import LiveTicket
from app.live.router import router

# Spent or not, a live-stream ticket is worthless a minute after it was made.
LIVE_TICKETS_KEEP = timedelta(hours=1)

PART = Part(
    name="live",
    routers=(router,),
    models=(LiveTicket,),
    sweeps=(
        Sweep(
            "live_tickets",
            LiveTicket,
            lambda now: col(LiveTicket.expires_at) < now - LIVE_TICKETS_KEEP,
        ),
    ),
)
