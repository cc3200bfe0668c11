"""Balance as a part: its route alone (it reads what protocols and check-ins hold)."""

from __future__ import annotations

from app.balance.router import router
from app.core.declaration import Part

PART = Part(name="balance", routers=(router,))
