"""A small closed-loop HTTP load generator: N concurrent httpx clients for a bounded time.

Runs in its own process so that it never shares an event loop (or a GIL) with the server::

    python -m bench.load --url http://127.0.0.1:8000/bare --concurrency 16 --duration 8

Each of ``--concurrency`` workers sends one request, waits for the whole response, and sends the
next, until ``--duration`` seconds have passed or ``--max-requests`` were sent. A warm-up of
``--warmup`` seconds runs first and is measured apart. Prints one JSON object (``Result``).
``--unique-header Idempotency-Key`` gives every request a fresh random value for that header.
Only 127.0.0.1 / localhost URLs are accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Spec:
    url: str
    method: str = "GET"
    # Worker i always sends bodies[i % len(bodies)]; no body at all when empty.
    bodies: tuple[bytes, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)
    # Headers sent with a fresh random value on every request (an Idempotency-Key, say).
    unique_headers: tuple[str, ...] = ()
    expect: int = 200
    concurrency: int = 16
    duration: float = 8.0
    warmup: float = 1.0
    max_requests: int = 100_000
    timeout: float = 30.0


@dataclass
class Phase:
    """What one phase (warm-up or measurement) saw."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    sent: int = 0


@dataclass(frozen=True)
class Result:
    requests: int
    ok: int
    errors: int
    error_kinds: dict[str, int]
    warmup_requests: int
    warmup_errors: int
    warmup_elapsed_s: float
    elapsed_s: float
    client_cpu_pct: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> Result:
        data: dict[str, Any] = json.loads(raw)
        return cls(**data)


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an already sorted list (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


async def _worker(
    client: httpx.AsyncClient,
    spec: Spec,
    phase: Phase,
    deadline: float,
    budget: list[int],
    body: bytes | None,
) -> None:
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        phase.sent += 1
        headers = spec.headers
        if spec.unique_headers:
            headers = headers | {name: uuid.uuid4().hex for name in spec.unique_headers}
        started = time.perf_counter()
        try:
            response = await client.request(spec.method, spec.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            phase.errors[type(exc).__name__] += 1
            continue
        elapsed = time.perf_counter() - started
        if response.status_code == spec.expect:
            phase.latencies.append(elapsed)
        else:
            phase.errors[f"HTTP {response.status_code}"] += 1


async def _phase(client: httpx.AsyncClient, spec: Spec, seconds: float, budget: int) -> Phase:
    phase = Phase()
    deadline = time.monotonic() + seconds
    shared = [budget]
    bodies = spec.bodies or (None,)
    workers = [
        _worker(client, spec, phase, deadline, shared, bodies[i % len(bodies)])
        for i in range(spec.concurrency)
    ]
    await asyncio.gather(*workers)
    return phase


async def run(spec: Spec) -> Result:
    host = urlsplit(spec.url).hostname
    if host not in LOCAL_HOSTS:
        raise SystemExit(f"refusing to load a non-local host: {host!r}")
    limits = httpx.Limits(
        max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency
    )
    async with httpx.AsyncClient(limits=limits, timeout=spec.timeout, trust_env=False) as client:
        warm_started = time.perf_counter()
        warm = Phase()
        if spec.warmup:
            warm = await _phase(client, spec, spec.warmup, spec.max_requests)
        started = time.perf_counter()
        cpu_started = time.process_time()
        measured = await _phase(client, spec, spec.duration, spec.max_requests)
        # Until the last in-flight request came back: slow requests are not cut off.
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    latencies = sorted(measured.latencies)
    errors = sum(measured.errors.values())
    ms = 1000.0
    return Result(
        requests=measured.sent,
        ok=len(latencies),
        errors=errors,
        error_kinds=dict(measured.errors + warm.errors),
        warmup_requests=warm.sent,
        warmup_errors=sum(warm.errors.values()),
        warmup_elapsed_s=started - warm_started,
        elapsed_s=elapsed,
        client_cpu_pct=100 * cpu / elapsed if elapsed > 0 else 0.0,
        rps=len(latencies) / elapsed if elapsed > 0 else 0.0,
        p50_ms=percentile(latencies, 50) * ms,
        p90_ms=percentile(latencies, 90) * ms,
        p99_ms=percentile(latencies, 99) * ms,
        max_ms=(latencies[-1] if latencies else 0.0) * ms,
        mean_ms=(sum(latencies) / len(latencies) if latencies else 0.0) * ms,
    )


def _parse(argv: list[str] | None) -> Spec:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--url", required=True, help="full URL on 127.0.0.1")
    parser.add_argument("--method", default="GET")
    parser.add_argument(
        "--json",
        dest="bodies",
        action="append",
        default=[],
        help="a JSON request body; repeat it to spread the workers over several bodies",
    )
    parser.add_argument("--header", action="append", default=[], help="'Name: value', repeatable")
    parser.add_argument(
        "--unique-header",
        action="append",
        default=[],
        help="a header given a fresh random value on every request, repeatable",
    )
    parser.add_argument("--expect", type=int, default=200, help="the status that counts as ok")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds, not measured")
    parser.add_argument("--max-requests", type=int, default=100_000, help="per phase")
    parser.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    args = parser.parse_args(argv)
    headers: dict[str, str] = {}
    for raw in args.header:
        name, sep, value = str(raw).partition(":")
        if not sep:
            parser.error(f"--header needs 'Name: value', got {raw!r}")
        headers[name.strip()] = value.strip()
    bodies = tuple(json.dumps(json.loads(raw)).encode() for raw in args.bodies)
    if bodies:
        headers.setdefault("Content-Type", "application/json")
    if args.concurrency < 1 or args.duration <= 0 or args.max_requests < 1:
        parser.error("--concurrency, --duration and --max-requests must be positive")
    return Spec(
        url=args.url,
        method=args.method.upper(),
        bodies=bodies,
        headers=headers,
        unique_headers=tuple(str(name).strip() for name in args.unique_header),
        expect=args.expect,
        concurrency=args.concurrency,
        duration=args.duration,
        warmup=max(0.0, args.warmup),
        max_requests=args.max_requests,
        timeout=args.timeout,
    )


def main(argv: list[str] | None = None) -> None:
    spec = _parse(argv)
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        result = asyncio.run(run(spec))
    else:
        result = uvloop.run(run(spec))
    sys.stdout.write(result.to_json() + "\n")


if __name__ == "__main__":
    main()
