"""The core as a part: the health check, idempotency records and how long they are kept."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col

from app.core.declaration import Part, Sweep
from app.core.health import router
from app.core.models import IdempotencyRecord

IDEMPOTENCY_KEEP = timedelta(days=30)


PART = Part(
    name="core",
    routers=(router,),
    models=(IdempotencyRecord,),
    sweeps=(
        Sweep(
            "idempotency_records",
            IdempotencyRecord,
            lambda now: col(IdempotencyRecord.created_at) < now - IDEMPOTENCY_KEEP,
        ),
    ),
)
