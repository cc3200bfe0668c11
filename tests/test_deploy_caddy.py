"""``deploy/Caddyfile`` for real: Caddy in front of two app processes on one PostgreSQL, as
``compose.yaml`` runs them, minus the containers (no Docker daemon runs here).

The Caddyfile is the real one with two changes only: ``ACCORD_DOMAIN`` is
``http://127.0.0.1:PORT`` (so no certificate is needed) and the upstreams ``app1:8000`` and
``app2:8000`` are the two local processes; an admin address of its own is put in front so
that runs do not collide. Needs Debian's ``caddy`` (``make caddy-deps``). Every wait is
bounded and no test asserts a duration.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import _free_port
from tests.helpers import Member, pair, register
from tests.sse import listening

ROOT = Path(__file__).resolve().parent.parent
CADDYFILE = ROOT / "deploy" / "Caddyfile"
BEAT = 0.3
PATIENCE = 10.0  # the most any step may take before the test fails: a bound, not a measure
HSTS_MAX_AGE = "300"
CADDY = shutil.which("caddy")

needs_caddy = pytest.mark.skipif(CADDY is None, reason="no caddy here: run `make caddy-deps`")


@dataclass
class Process:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def wait_until_it_answers(self, url: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.name} did not come up:\n{self.log.read_text()}")


def _app(database_url: str, data_dir: Path, name: str, housekeeping: str) -> Process:
    """An app process as compose.yaml starts one (uvicorn with --proxy-headers, DISPATCHER=0),
    with its access log on, which tells which process answered what."""
    port = _free_port()
    log = data_dir / f"{name}.log"
    process = subprocess.Popen(  # noqa: S603 - a fixed command line
        [
            *(sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app"),
            *("--host", "127.0.0.1", "--port", str(port), "--proxy-headers"),
            *("--log-level", "info"),
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "SECRET_KEY": "caddy-test-" + "x" * 40,
            "DISPATCHER": "0",
            "HOUSEKEEPING": housekeeping,
            "HSTS": "0",
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            "LIVE_HEARTBEAT_SECONDS": str(BEAT),
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_KIB": "1024",
            # Every test signs people up from this one address.
            "REGISTER_MAX_PER_ADDRESS_PER_HOUR": "10000",
        },
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    app = Process(name, port, process, log)
    app.wait_until_it_answers(f"{app.base}/healthz")
    return app


def _local_caddyfile(site: str, upstreams: list[str], admin_port: int) -> str:
    """The real Caddyfile with the local site address, upstreams and admin port."""
    text = CADDYFILE.read_text()
    global_block = re.match(r"(\s*#.*\n)*\s*\{\s*\n", text)
    assert global_block is None, "the Caddyfile has a global block: put the admin line in it"
    for name, upstream in zip(("app1:8000", "app2:8000"), upstreams, strict=True):
        assert text.count(name) == 1, f"the Caddyfile no longer names {name} once"
        text = text.replace(name, upstream)
    assert text.count("{$ACCORD_DOMAIN}") == 1
    return f"{{\n\tadmin 127.0.0.1:{admin_port}\n}}\n\n" + text.replace("{$ACCORD_DOMAIN}", site)


def _caddy_env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }


@dataclass
class Stack:
    proxy: str
    apps: list[Process]
    caddy: Process


@pytest.fixture(scope="module")
def stack(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    if database_url.startswith("sqlite"):
        pytest.skip("two app processes share PostgreSQL; SQLite serves one process")
    if CADDY is None:
        pytest.skip("no caddy here: run `make caddy-deps`")
    data_dir = tmp_path_factory.mktemp("caddy")
    apps = [_app(database_url, data_dir, "app1", "1")]
    try:
        apps.append(_app(database_url, data_dir, "app2", "0"))
        port = _free_port()
        config = data_dir / "Caddyfile"
        config.write_text(
            _local_caddyfile(
                f"http://127.0.0.1:{port}",
                [f"127.0.0.1:{app.port}" for app in apps],
                _free_port(),
            )
        )
        log = data_dir / "caddy.log"
        process = subprocess.Popen(  # noqa: S603 - a fixed command line
            [CADDY, "run", "--config", str(config), "--adapter", "caddyfile"],
            env={**_caddy_env(data_dir), "HSTS_MAX_AGE": HSTS_MAX_AGE},
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        caddy = Process("caddy", port, process, log)
        caddy.wait_until_it_answers(f"{caddy.base}/healthz")
        yield Stack(caddy.base, apps, caddy)
        caddy.stop()
    finally:
        for app in apps:
            app.stop()


@pytest.fixture
async def proxy(stack: Stack, app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A client of Caddy (``app`` is asked for so that the suite empties the tables after)."""
    async with httpx.AsyncClient(base_url=stack.proxy, timeout=PATIENCE) as client:
        yield client


def _answered(app: Process, marker: str) -> list[str]:
    return [line for line in app.log.read_text().splitlines() if marker in line]


def _wait_for_log(apps: list[Process], marker: str, count: int) -> dict[str, list[str]]:
    """The access-log lines naming ``marker``, once ``count`` of them were written."""
    deadline = time.monotonic() + PATIENCE
    while True:
        lines = {app.name: _answered(app, marker) for app in apps}
        if sum(len(v) for v in lines.values()) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


# --- the real Caddyfile, with the domain --------------------------------------------------------


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


@needs_caddy
def test_the_caddyfile_serves_the_domain_over_https(tmp_path: Path) -> None:
    """What Caddy makes of the real file with a real domain: HTTPS on 443 (the certificate is
    obtained at run time, not here), HSTS, the two app processes checked on /healthz, every
    chunk flushed, and nothing compressed."""
    assert CADDY is not None
    adapted = subprocess.run(  # noqa: S603 - a fixed command line
        [CADDY, "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
        env={**_caddy_env(tmp_path), "ACCORD_DOMAIN": "accord.example"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert adapted.returncode == 0, adapted.stderr
    config = json.loads(adapted.stdout)
    [server] = config["apps"]["http"]["servers"].values()
    assert server["listen"] == [":443"]
    nodes = list(_walk(config))
    assert any(n.get("host") == ["accord.example"] for n in nodes)
    [proxy] = [n for n in nodes if n.get("handler") == "reverse_proxy"]
    assert proxy["flush_interval"] == -1
    assert [u["dial"] for u in proxy["upstreams"]] == ["app1:8000", "app2:8000"]
    assert proxy["health_checks"]["active"]["uri"] == "/healthz"
    assert proxy["load_balancing"]["try_duration"] > 0
    assert not any(n.get("handler") == "encode" for n in nodes), "no compression of /api/"
    headers = [n for n in nodes if n.get("handler") == "headers"]
    assert headers[0]["response"]["set"]["Strict-Transport-Security"] == [
        "max-age=63072000; includeSubDomains"
    ]


# --- through Caddy --------------------------------------------------------------------------------


async def test_healthz_through_caddy_with_hsts(proxy: httpx.AsyncClient) -> None:
    response = await proxy.get("/healthz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok", "database": "ok"}
    assert response.headers.get_list("strict-transport-security") == [
        f"max-age={HSTS_MAX_AGE}; includeSubDomains"
    ]


async def test_requests_are_spread_over_both_processes(
    proxy: httpx.AsyncClient, stack: Stack
) -> None:
    marker = f"spread-{uuid.uuid4().hex}"
    for _ in range(24):
        response = await proxy.get("/healthz", params={"probe": marker})
        assert response.status_code == 200
    lines = _wait_for_log(stack.apps, marker, 24)
    assert sum(len(v) for v in lines.values()) == 24
    counts = {name: len(answered) for name, answered in lines.items()}
    assert all(counts.values()), f"one process got everything: {counts}"


async def test_a_client_cannot_choose_the_address_the_app_sees(
    proxy: httpx.AsyncClient, stack: Stack
) -> None:
    """Caddy replaces a client's X-Forwarded-For, so the sign-in and sign-up throttles count
    the real address (here 127.0.0.1), never one a client names."""
    marker = f"forwarded-{uuid.uuid4().hex}"
    response = await proxy.get(
        "/healthz", params={"probe": marker}, headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert response.status_code == 200
    [line] = [line for v in _wait_for_log(stack.apps, marker, 1).values() for line in v]
    assert "203.0.113.9" not in line and "127.0.0.1:" in line, line


async def test_api_answers_are_not_compressed(proxy: httpx.AsyncClient) -> None:
    alice = await register(proxy, "Alice")
    bob = await register(proxy, "Bob")
    dynamic_id = await pair(proxy, alice, bob)
    limits = await proxy.get(
        f"/api/dynamics/{dynamic_id}/limits",
        headers={**alice.headers, "Accept-Encoding": "gzip, zstd, br"},
    )
    assert limits.status_code == 200
    assert len(limits.content) > 1024, "large enough that an encoder would compress it"
    assert "content-encoding" not in limits.headers


async def test_a_change_reaches_a_live_stream_through_caddy_at_once(
    proxy: httpx.AsyncClient,
) -> None:
    """Caddy neither buffers the stream nor holds back its keep-alives: the ': open' line, a
    partner's red and the ': ping' comments all come through while the stream stays open."""
    alice: Member = await register(proxy, "Alice")
    bob: Member = await register(proxy, "Bob")
    dynamic_id = await pair(proxy, alice, bob)
    async with listening(proxy, member=alice) as stream:
        # Idle, the keep-alives come through one by one (a buffering proxy would hold them).
        await stream.quiet_for_beats(3)
        red = await proxy.post(
            f"/api/dynamics/{dynamic_id}/red", json={"note": "stop"}, headers=bob.idem()
        )
        assert red.status_code == 200, red.text
        change = await stream.change()
    assert change.id is not None and json.loads(change.data) == {"cursor": change.id}
    # The event names where the feed stands, and the feed shows the red.
    page = await proxy.get("/api/sync", headers=alice.headers)
    dynamics = [c["data"] for c in page.json()["changes"] if c["entity"] == "dynamic"]
    assert dynamics and dynamics[-1]["state"] == "paused"


async def test_the_image_health_check_asks_healthz(stack: Stack) -> None:
    """The Dockerfile's HEALTHCHECK command, run as the container would: it succeeds against a
    live app process and fails where nothing answers."""
    text = (ROOT / "Dockerfile").read_text()
    found = re.search(r'^HEALTHCHECK .*\\\n\s*CMD python -c "(.+)"$', text, re.MULTILINE)
    assert found is not None
    code = found.group(1)

    def check(port: int) -> int:
        return subprocess.run(  # noqa: S603 - the Dockerfile's own command
            [sys.executable, "-c", code],
            env={**os.environ, "PORT": str(port)},
            capture_output=True,
            timeout=PATIENCE,
            check=False,
        ).returncode

    assert check(stack.apps[0].port) == 0
    assert check(_free_port()) != 0


# Stops a process: keep it last in the module.
async def test_with_one_process_down_caddy_answers_through_the_other(
    proxy: httpx.AsyncClient, stack: Stack
) -> None:
    first, second = stack.apps
    second.stop()
    marker = f"down-{uuid.uuid4().hex}"
    for _ in range(10):
        response = await proxy.get("/healthz", params={"probe": marker})
        assert response.status_code == 200, response.text
    # A write too: it is tried on the process that is up (a refused connection is retried).
    await register(proxy, "Carol")
    lines = _wait_for_log([first], marker, 10)
    assert len(lines[first.name]) == 10
