"""The change feed as a part: its route and its tables (the entities are the other parts')."""

from __future__ import annotations

from app.core.declaration import Part
from app.sync.models import Change, ChangeStream
from app.sync.router import router

PART = Part(name="sync", routers=(router,), models=(Change, ChangeStream))
