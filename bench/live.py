"""``make bench-live``: 1,000 open phones on two app processes sharing one PostgreSQL.

Two Accord processes (A and B) serve one fresh PostgreSQL database, as behind a load balancer.
500 couples sign up and pair; each of the 1,000 people holds one ``GET /api/events`` stream on
process B. Then:

1. **Delivery**: partner signals (red, resume, yellow, …) are written through process A, one
   after another; the time from sending the POST to the partner's ``change`` event arriving on
   their stream on B is the delivery latency (it crosses processes through ``NOTIFY``/``LISTEN``).
2. **Memory**: process B's resident memory before the streams open and with all of them open.
3. **Cost to a normal request**: ``wrk`` loads ``GET /api/dynamics`` on process B with no stream
   open, and again with the 1,000 open (their beat running), next to a bare FastAPI route served
   by the same uvicorn in the same run.

Everything runs on 127.0.0.1; the stream client is raw asyncio sockets in this process, the load
generator is ``wrk`` (Debian's package, ``make bench-live`` installs it). The machine is shared:
read the ratios, not the absolute figures. Exits non-zero only on errors.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import shutil
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench import wrk as bench_wrk
from bench.common import (
    HOST,
    PASSWORD,
    Server,
    base_env,
    database,
    log,
    migrate,
    serving,
    table,
)
from bench.wrk import Load

GOAL_P99_MS = 1000.0
GOAL_KB_PER_STREAM = 50.0
GOAL_REQUEST_RATIO = 1.2


# --- seeding --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    user_id: str
    token: str


async def _register(client: httpx.AsyncClient, run: str, i: int) -> Person:
    answer = await client.post(
        "/api/auth/register",
        json={
            "email": f"p{i}-{run}@example.org",
            "password": PASSWORD,
            "display_name": f"Person {i}",
            "timezone": "Europe/Paris",
        },
    )
    answer.raise_for_status()
    body = answer.json()
    return Person(body["user"]["id"], body["access_token"])


async def seed_couples(base_url: str, couples: int) -> list[tuple[Person, Person, str]]:
    run = uuid.uuid4().hex[:8]
    limits = httpx.Limits(max_connections=16)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=60, limits=limits, trust_env=False
    ) as client:
        gate = asyncio.Semaphore(16)

        async def one(i: int) -> tuple[Person, Person, str]:
            async with gate:
                a = await _register(client, run, 2 * i)
                b = await _register(client, run, 2 * i + 1)
                invite = await client.post(
                    "/api/invites", json={}, headers={"Authorization": f"Bearer {a.token}"}
                )
                invite.raise_for_status()
                accepted = await client.post(
                    f"/api/invites/{invite.json()['code']}/accept",
                    json={},
                    headers={"Authorization": f"Bearer {b.token}"},
                )
                accepted.raise_for_status()
                return a, b, str(accepted.json()["id"])

        return list(await asyncio.gather(*(one(i) for i in range(couples))))


# --- the streams ----------------------------------------------------------------------------


class Phone:
    """One open event stream over a raw socket: counts ``change`` events as they arrive."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.changes = 0
        self.arrived = asyncio.Event()
        self.closed = False
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None

    async def open(self, port: int) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        self._writer = writer
        writer.write(
            (
                f"GET /api/events HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                f"Authorization: Bearer {self.person.token}\r\n"
                "Accept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"stream refused: {head[:200]!r}")
        # ": open" comes once the stream follows everything it may read.
        await reader.readuntil(b": open")
        self._task = asyncio.create_task(self._read(reader))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        buffer = b""
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                self.closed = True
                return
            buffer += chunk
            found = buffer.count(b"event: change")
            if found:
                self.changes += found
                self.arrived.set()
            buffer = buffer[-32:]  # enough to catch a marker cut in two

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._writer is not None:
            self._writer.close()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# --- wrk ------------------------------------------------------------------------------------


async def wrk(url: str, token: str | None, seconds: int, connections: int) -> Load:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return await asyncio.to_thread(
        bench_wrk.run, url, seconds=seconds, connections=connections, headers=headers
    )


# --- the run --------------------------------------------------------------------------------


async def deliver(
    writer_url: str, couples: list[tuple[Person, Person, str]], phones: dict[str, Phone], n: int
) -> list[float]:
    """``n`` partner signals through process A; each one's delivery latency in ms."""
    latencies: list[float] = []
    standing: dict[str, str | None] = {}
    rng = random.Random(7)
    async with httpx.AsyncClient(base_url=writer_url, timeout=30, trust_env=False) as client:
        for i in range(n):
            actor, partner, dynamic_id = couples[i % len(couples)]
            flag = standing.get(dynamic_id)
            action = "resume" if flag else rng.choice(["red", "yellow"])
            phone = phones[partner.user_id]
            phone.arrived.clear()
            before = phone.changes
            started = time.perf_counter()
            answer = await client.post(
                f"/api/dynamics/{dynamic_id}/{action}",
                json={},
                headers={"Authorization": f"Bearer {actor.token}"},
            )
            answer.raise_for_status()
            while phone.changes == before:
                await asyncio.wait_for(phone.arrived.wait(), 10)
                phone.arrived.clear()
            latencies.append((time.perf_counter() - started) * 1000)
            standing[dynamic_id] = None if action == "resume" else action
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def run(couples_n: int, signals: int, seconds: int, connections: int) -> int:
    if not bench_wrk.available():
        log("wrk is missing: `make bench-live` installs it (apt-get install wrk)")
        return 2
    # 1,000 streams on each side of the loopback: raise the open-files limit for this process
    # and the servers it starts.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    work = Path(tempfile.mkdtemp(prefix="accord-bench-live-"))
    with database("postgresql", work) as url:
        env = base_env() | {
            "DATABASE_URL": url,
            "DATA_DIR": str(work),
            "SECRET_KEY": "bench-live-" + "x" * 40,
            "HOUSEKEEPING": "0",
            "DISPATCHER": "0",
            # Sign-up is not what is measured here: cheap hashes, and no sign-up throttle.
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_KIB": "1024",
            "REGISTER_MAX_PER_ADDRESS_PER_HOUR": "1000000",
            # A beat every 5 s, so that each loaded run includes a few.
            "LIVE_HEARTBEAT_SECONDS": "5",
        }
        migrate(env)
        with (
            serving("app A", "app.main:create_app", env, work / "app-a.log", "/healthz") as a,
            serving("app B", "app.main:create_app", env, work / "app-b.log", "/healthz") as b,
            serving("bare", "bench.bare:create_app", base_env(), work / "bare.log", "/bare") as bb,
        ):
            figures = asyncio.run(measure(a, b, bb, couples_n, signals, seconds, connections))
            for server in (a, b):
                findings = server.log_findings()
                if findings:
                    figures.failures.append(f"{server.name}: " + "; ".join(findings))
    code = report(figures, seconds, connections)
    if code == 0:
        shutil.rmtree(work, ignore_errors=True)
    return code


@dataclass
class Figures:
    people: int
    latencies: list[float]
    rss_before: int
    rss_after: int
    bare: Load
    idle: Load
    loaded: Load
    failures: list[str]


async def measure(
    a: Server, b: Server, bare: Server, couples_n: int, signals: int, seconds: int, connections: int
) -> Figures:
    log(f"seeding {couples_n} couples through process A")
    couples = await seed_couples(a.base_url, couples_n)
    people = [p for first, second, _ in couples for p in (first, second)]
    token = people[0].token
    log("wrk: bare route, and GET /api/dynamics on B with no stream open")
    bare_load = await wrk(f"{bare.base_url}/bare", None, seconds, connections)
    idle = await wrk(f"{b.base_url}/api/dynamics", token, seconds, connections)
    rss_before = rss_kib(b.process.pid)
    log(f"opening {len(people)} streams on process B")
    phones = {p.user_id: Phone(p) for p in people}
    gate = asyncio.Semaphore(50)

    async def open_one(phone: Phone) -> None:
        async with gate:
            await phone.open(b.port)

    await asyncio.gather(*(open_one(p) for p in phones.values()))
    rss_after = rss_kib(b.process.pid)
    log(f"{signals} partner signals through process A")
    latencies = await deliver(a.base_url, couples, phones, signals)
    log("wrk: GET /api/dynamics on B with every stream open")
    loaded = await wrk(f"{b.base_url}/api/dynamics", token, seconds, connections)
    failures = []
    dropped = sum(1 for p in phones.values() if p.closed)
    if dropped:
        failures.append(f"{dropped} streams closed during the run")
    for phone in phones.values():
        await phone.close()
    for name, load in (("bare", bare_load), ("idle", idle), ("loaded", loaded)):
        if load.errors:
            failures.append(f"wrk {name}: {load.errors} errors")
    return Figures(len(people), latencies, rss_before, rss_after, bare_load, idle, loaded, failures)


def report(figures: Figures, seconds: int, connections: int) -> int:
    people = figures.people
    latencies = figures.latencies
    rss_before, rss_after = figures.rss_before, figures.rss_after
    bare_load, idle, loaded = figures.bare, figures.idle, figures.loaded
    failures = figures.failures
    per_stream = (rss_after - rss_before) / people
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print()
    print(
        f"Live events: {people} open streams on app process B, partner signals written "
        f"through process A, one PostgreSQL (wrk, {connections} connections, {seconds} s each)"
    )
    print()
    print(
        table(
            ["what", "figure", "goal"],
            [
                [
                    "delivery p50 / p99 / max",
                    f"{p50:.0f} / {p99:.0f} / {max(latencies):.0f} ms ({len(latencies)} signals)",
                    f"p99 < {GOAL_P99_MS:.0f} ms",
                ],
                [
                    "delivery mean (stdev)",
                    f"{statistics.mean(latencies):.0f} ms ({statistics.pstdev(latencies):.0f})",
                    "",
                ],
                [
                    "memory per open stream",
                    f"{per_stream:.1f} KB "
                    f"(B: {rss_before / 1024:.0f} -> {rss_after / 1024:.0f} MB)",
                    f"< {GOAL_KB_PER_STREAM:.0f} KB",
                ],
            ],
            text_columns=3,
        )
    )
    print()
    print(
        table(
            ["endpoint", "streams open", "req/s", "p50 ms", "p99 ms", "vs idle"],
            [
                [
                    "GET /bare (bare FastAPI)",
                    "-",
                    f"{bare_load.rps:.0f}",
                    f"{bare_load.p50_ms:.1f}",
                    f"{bare_load.p99_ms:.1f}",
                    "",
                ],
                [
                    "GET /api/dynamics on B",
                    "0",
                    f"{idle.rps:.0f}",
                    f"{idle.p50_ms:.1f}",
                    f"{idle.p99_ms:.1f}",
                    "1.00x",
                ],
                [
                    "GET /api/dynamics on B",
                    f"{people}",
                    f"{loaded.rps:.0f}",
                    f"{loaded.p50_ms:.1f}",
                    f"{loaded.p99_ms:.1f}",
                    f"{idle.rps / loaded.rps:.2f}x time per request" if loaded.rps else "n/a",
                ],
            ],
        )
    )
    print()
    print(
        f"Goals: delivery p99 < {GOAL_P99_MS:.0f} ms: {'met' if p99 < GOAL_P99_MS else 'MISSED'}; "
        f"< {GOAL_KB_PER_STREAM:.0f} KB per stream: "
        f"{'met' if per_stream < GOAL_KB_PER_STREAM else 'MISSED'}; requests within "
        f"{GOAL_REQUEST_RATIO}x of idle: "
        f"{'met' if loaded.rps and idle.rps / loaded.rps <= GOAL_REQUEST_RATIO else 'MISSED'}"
    )
    if failures:
        print("\nErrors:\n- " + "\n- ".join(failures))
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--couples", type=int, default=500)
    parser.add_argument("--signals", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    raise SystemExit(run(args.couples, args.signals, args.seconds, args.connections))


if __name__ == "__main__":
    main()
