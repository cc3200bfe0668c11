"""Periodic clean-up: what is kept only for a while is removed once its time has passed.

Each part declares its sweeps (``Part.sweeps``): which rows of its tables have had their time.
A round deletes them all in one transaction, in the parts' order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from sqlalchemy import delete

from app.core.db import Database, utcnow, write_session
from app.core.declaration import Part, Sweep

log = logging.getLogger("accord.housekeeping")

INTERVAL_SECONDS = 3600


def sweeps_of(parts: Iterable[Part]) -> list[Sweep]:
    return [sweep for part in parts for sweep in part.sweeps]


async def sweep(db: Database, sweeps: Iterable[Sweep]) -> dict[str, int]:
    now = utcnow()
    counts: dict[str, int] = {}
    async with write_session(db) as session:
        for one in sweeps:
            result = await session.execute(delete(one.model).where(one.expired(now)))
            counts[one.name] = result.rowcount  # type: ignore[attr-defined]
    return counts


async def run_forever(db: Database, sweeps: Iterable[Sweep]) -> None:
    every = list(sweeps)
    while True:
        try:
            counts = await sweep(db, every)
            log.info("housekeeping removed %s", counts)
        except Exception:  # keep the loop alive; the next sweep retries
            log.exception("housekeeping failed")
        await asyncio.sleep(INTERVAL_SECONDS)
