"""The PWA in a real browser: Debian's chromium driven by Playwright, against the real app
served by uvicorn on a free local port (SQLite only; the API suite covers PostgreSQL).

Chromium comes from ``make browser-deps`` (apt), never from ``playwright install``.
Screenshots of each screen, at 360 x 740, land in ``tests/artifacts/`` for review.
"""

from __future__ import annotations

import os
import socket
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from alembic import command
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    async_playwright,
    expect,
)

from tests.conftest import ROOT, alembic_config
from tests.helpers import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "tests" / "artifacts"
PHONE: ViewportSize = {"width": 360, "height": 740}
# The paths the service worker precached, across its caches.
CACHED_PATHS = """async () => {
  const paths = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) paths.push(new URL(request.url).pathname);
  }
  return paths;
}"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[str]:
    """The real app in its own process, on its own fresh SQLite database."""
    if not database_url.startswith("sqlite"):
        pytest.skip("browser tests run on SQLite only; the API suite covers PostgreSQL")
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: run `make browser-deps`")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    url = f"sqlite+aiosqlite:///{data_dir / 'accord.db'}"
    command.upgrade(alembic_config(url), "head")
    port = _free_port()
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": url,
        "SECRET_KEY": "browser-test-" + "x" * 40,
        "DISPATCHER": "0",
        "HOUSEKEEPING": "0",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "1024",
    }
    log = (tmp_path / "uvicorn.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - a fixed command line
        [
            *(sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app"),
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((tmp_path / "uvicorn.log").read_text())
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture
async def browser(server: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


async def phone(browser: Browser, base: str) -> BrowserContext:
    context = await browser.new_context(
        base_url=base, viewport=PHONE, timezone_id="Europe/Paris", locale="en-GB"
    )
    context.set_default_timeout(10_000)
    return context


def watch_console(page: Page) -> list[str]:
    """Console errors (a CSP violation, a failed module) collected for the test to check."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


async def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_shell_manifest_and_service_worker(server: str, browser: Browser) -> None:
    context = await phone(browser, server)
    page = await context.new_page()
    errors = watch_console(page)
    response = await page.goto("/")
    assert response is not None and response.ok
    await expect(page.get_by_role("heading", name="Accord", exact=True)).to_be_visible()
    await expect(page.get_by_role("button", name="Create account")).to_be_visible()
    assert await page.get_attribute('meta[name="theme-color"]', "content")
    await shot(page, "welcome")

    href = await page.get_attribute('link[rel="manifest"]', "href")
    assert href == "/manifest.webmanifest"
    async with httpx.AsyncClient(base_url=server) as http:
        answer = await http.get(href)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/manifest+json")
        manifest = answer.json()
        assert manifest["name"] == "Accord"
        assert manifest["short_name"]
        assert manifest["start_url"] == "/"
        assert manifest["scope"] == "/"
        assert manifest["display"] == "standalone"
        assert manifest["background_color"] and manifest["theme_color"]
        sizes = set()
        for icon in manifest["icons"]:
            assert icon["type"] == "image/png"
            image = await http.get(icon["src"])
            assert image.status_code == 200
            assert image.headers["content-type"] == "image/png"
            width, height = png_size(image.content)
            assert f"{width}x{height}" == icon["sizes"]
            sizes.add((icon["sizes"], icon.get("purpose", "any")))
        assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes

    # The worker installs (precaching the shell), then controls the page once it reloads.
    assert await page.evaluate("navigator.serviceWorker.ready.then((r) => r.active !== null)")
    await page.reload()
    assert await page.evaluate("navigator.serviceWorker.controller !== null")
    await expect(page.get_by_role("button", name="Create account")).to_be_visible()
    cached = await page.evaluate(CACHED_PATHS)
    assert {"/", "/js/app.js", "/style.css", "/manifest.webmanifest"} <= set(cached)
    assert not [p for p in cached if p.startswith("/api")]

    # Offline, the shell still opens from the cache.
    await context.set_offline(True)
    await page.reload()
    await expect(page.get_by_role("button", name="Create account")).to_be_visible()
    await context.set_offline(False)
    assert errors == []
    await context.close()


async def sign_up(page: Page, name: str) -> None:
    form = page.locator("#signup")
    await form.get_by_label("Your name").fill(name)
    await form.get_by_label("Email").fill(f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.org")
    await form.get_by_label("Password").fill(PASSWORD)
    # Without the adult confirmation, the form does not go anywhere.
    await form.get_by_role("button", name="Create account").click()
    assert await page.evaluate("localStorage.getItem('accord.session')") is None
    await expect(form).to_be_visible()
    await form.get_by_label("I am an adult").check()
    await form.get_by_role("button", name="Create account").click()


async def test_two_partners_pair_pause_and_resume(server: str, browser: Browser) -> None:
    alice_context = await phone(browser, server)
    bob_context = await phone(browser, server)
    alice = await alice_context.new_page()
    bob = await bob_context.new_page()
    alice_errors, bob_errors = watch_console(alice), watch_console(bob)
    writes: list[tuple[str, str | None]] = []
    alice.on(
        "request",
        lambda r: (
            writes.append((r.url, r.headers.get("idempotency-key")))
            if r.method in ("POST", "PATCH") and "/api/auth/" not in r.url
            else None
        ),
    )

    # Alice signs up and lands on pairing (no dynamic yet), then makes an invite.
    await alice.goto("/")
    await sign_up(alice, "Alice")
    await expect(alice.get_by_role("heading", name="Link with your partner")).to_be_visible()
    await alice.get_by_role("button", name="Create an invite").click()
    code = (await alice.locator("#invite-code").inner_text()).strip()
    link = await alice.locator("#invite-link").get_attribute("href")
    assert len(code) == 8
    assert link == f"{server}/join/{code}"
    await shot(alice, "pair-invite")

    # Bob opens the link, signs up, and finds the code filled in.
    await bob.goto(link)
    await sign_up(bob, "Bob")
    await expect(bob.get_by_label("Invite code")).to_have_value(code)
    await shot(bob, "pair-join")
    await bob.get_by_role("button", name="Join").click()
    await expect(bob.get_by_role("heading", name="You and Alice")).to_be_visible()
    await expect(bob.locator("#state")).to_have_text("Active")
    await shot(bob, "home-active")

    # Alice's pairing screen notices the new dynamic by itself.
    await expect(alice.get_by_role("heading", name="You and Bob")).to_be_visible()

    # Red, confirmed in a dialog, pauses everything.
    await alice.get_by_role("button", name="Red: stop everything").click()
    dialog = alice.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await shot(alice, "home-red-confirm")
    await dialog.get_by_role("button", name="Call red").click()
    await expect(alice.locator("#state")).to_have_text("Paused")
    await expect(alice.get_by_role("button", name="Resume")).to_be_enabled()
    await shot(alice, "home-paused-mine")

    # Bob's access token has gone stale: the client refreshes once and carries on.
    await bob.evaluate(
        """() => {
          const s = JSON.parse(localStorage.getItem("accord.session"));
          s.access_token = "stale";
          localStorage.setItem("accord.session", JSON.stringify(s));
        }"""
    )
    await bob.reload()
    await expect(bob.locator("#state")).to_have_text("Paused")
    assert await bob.evaluate("JSON.parse(localStorage.getItem('accord.session')).access_token")
    assert await bob.evaluate(
        "JSON.parse(localStorage.getItem('accord.session')).access_token !== 'stale'"
    )
    await expect(bob.locator("#state-detail")).to_contain_text("Alice called red")
    await expect(bob.get_by_role("button", name="Resume")).to_be_disabled()
    await shot(bob, "home-paused-partner")

    # Cancelling the resume dialog changes nothing; confirming it lifts the red.
    await alice.get_by_role("button", name="Resume").click()
    await alice.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    await expect(alice.locator("#state")).to_have_text("Paused")
    await alice.get_by_role("button", name="Resume").click()
    await shot(alice, "home-resume-confirm")
    await alice.get_by_role("dialog").get_by_role("button", name="Resume").click()
    await expect(alice.locator("#state")).to_have_text("Active")

    await bob.get_by_role("button", name="Refresh").click()
    await expect(bob.locator("#state")).to_have_text("Active")
    await shot(bob, "home-resumed")

    # Every write carried its own Idempotency-Key (a UUID).
    assert [url.rsplit("/", 1)[-1] for url, _ in writes] == ["invites", "red", "resume"]
    keys = [key for _, key in writes]
    assert all(key and uuid.UUID(key) for key in keys) and len(set(keys)) == len(keys)
    # Bob's only console error is the 401 of his stale token, before the refresh.
    assert alice_errors == []
    assert len(bob_errors) == 1 and "401" in bob_errors[0]
    await alice_context.close()
    await bob_context.close()
