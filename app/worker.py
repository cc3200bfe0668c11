"""The reminder dispatcher as a process of its own: ``python -m app.worker``.

For PostgreSQL deployments: run one or more of these (they claim with ``FOR UPDATE SKIP
LOCKED`` and never send the same reminder twice) and start the app with ``DISPATCHER=0``.
Stops cleanly on SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from app import models  # noqa: F401 - registers every table
from app.core.config import Settings
from app.core.db import Database, utcnow
from app.push.sender import PushSender
from app.push.transport import make_push_client
from app.reminders.dispatcher import Clock, run


async def main(interval: float, clock: Clock = utcnow) -> None:
    settings = Settings.from_env()
    db = Database(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # One client for the process: a new one per push would load the TLS trust store every time.
    async with make_push_client(settings) as client:
        sender = PushSender(settings, db, client)
        try:
            await run(db, sender, stop, interval=interval, clock=clock)
        finally:
            await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--interval", type=float, default=15.0, help="seconds between rounds")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(main(args.interval))
