"""Reminders as a part: the upcoming reminders, snoozes and nudges. The notices themselves are
the notifications part's table; the dispatcher runs beside the app (``app.worker``) or in it."""

from __future__ import annotations

from app.core.declaration import Part
from app.reminders.router import router

PART = Part(name="reminders", routers=(router,))
