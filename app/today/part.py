"""Today as a part: its route alone (it reads what protocols and check-ins hold)."""

from __future__ import annotations

from app.core.declaration import Part
from app.today.router import router

PART = Part(name="today", routers=(router,))
