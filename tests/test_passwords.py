"""Password hashing has a ceiling: at most ``password_hash_concurrency`` argon2 computations run
at once in a process (each takes ``argon2_memory_kib`` of memory), whatever arrives at once."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from pathlib import Path

from app.core.config import Settings
from app.core.security import Passwords

# Long enough for a second hash to arrive while the first runs; the test never waits on it
# when the bound holds.
MEET_TIMEOUT = 1.0


class CountingPasswords(Passwords):
    """Counts the argon2 computations running at once (in the worker threads)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0
        # Every computation waits here for a second one to run beside it: without a bound two
        # meet at once, with a bound of one the wait runs out (the barrier breaks) instead.
        self._meet = threading.Barrier(2, timeout=MEET_TIMEOUT)

    def _enter(self) -> None:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        with contextlib.suppress(threading.BrokenBarrierError):
            self._meet.wait()

    def _leave(self) -> None:
        with self._lock:
            self.running -= 1

    def _hash(self, password: str) -> str:
        self._enter()
        try:
            return super()._hash(password)
        finally:
            self._leave()

    def _verify(self, stored: str | None, password: str) -> bool:
        self._enter()
        try:
            return super()._verify(stored, password)
        finally:
            self._leave()


def settings(tmp_path: Path, concurrency: int) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url="sqlite+aiosqlite://",
        secret_key="x" * 40,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        password_hash_concurrency=concurrency,
    )


async def test_one_slot_means_one_hash_at_a_time(tmp_path: Path) -> None:
    passwords = CountingPasswords(settings(tmp_path, 1))
    stored = await asyncio.to_thread(passwords._hasher.hash, "a passphrase")
    results = await asyncio.gather(
        *(passwords.hash(f"passphrase {i}") for i in range(3)),
        *(passwords.verify(stored, "a passphrase") for _ in range(2)),
        passwords.verify(None, "an unknown account's guess"),
    )
    assert passwords.most == 1
    assert passwords.running == 0
    hashes, verified = results[:3], results[3:]
    assert all(isinstance(h, str) and h.startswith("$argon2id$") for h in hashes)
    assert verified == [True, True, False]


async def test_two_slots_let_two_hashes_run_side_by_side(tmp_path: Path) -> None:
    """The counter sees parallel hashes when they are allowed: the test above is not vacuous."""
    passwords = CountingPasswords(settings(tmp_path, 2))
    await asyncio.gather(*(passwords.hash(f"passphrase {i}") for i in range(4)))
    assert passwords.most == 2
