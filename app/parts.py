"""Every part of the product, listed once: the one place a new part is added.

The centre loops over this list (``app.core.declaration``): ``app.main`` includes the routers in
this order, and the export's sections, the feed's hooks on deleting an account and the
housekeeping sweeps run in it too. The dynamics part stands before every other part with synced
entities: on an account's deletion it takes every dynamic's stream first (the feed's lock order).
"""

from __future__ import annotations

from app.accounts.part import PART as ACCOUNTS
from app.balance.part import PART as BALANCE
from app.checkins.part import PART as CHECKINS
from app.core.declaration import Part
from app.core.part import PART as CORE
from app.dynamics.part import PART as DYNAMICS
from app.keys.part import PART as KEYS
from app.limits.part import PART as LIMITS
from app.live.part import PART as LIVE
from app.notifications.part import PART as NOTIFICATIONS
from app.protocols.part import PART as PROTOCOLS
from app.push.part import PART as PUSH
from app.reminders.part import PART as REMINDERS
from app.reviews.part import PART as REVIEWS
from app.sync.part import PART as SYNC
from app.today.part import PART as TODAY

PARTS: tuple[Part, ...] = (
    CORE,
    ACCOUNTS,
    DYNAMICS,
    KEYS,
    LIMITS,
    PROTOCOLS,
    CHECKINS,
    BALANCE,
    TODAY,
    REVIEWS,
    NOTIFICATIONS,
    PUSH,
    REMINDERS,
    SYNC,
    LIVE,
)
