"""The web app on a phone, measured in the real browser: what a first visit downloads, and how
long a repeat visit takes to show home, online and offline, next to a bare page.

    .venv/bin/python -m bench.pwa [--runs N]

The app is started as ``make run`` starts it (SQLite, a fresh data directory), Alice signs up
and makes an invite through the screens of a 360 x 740 Chromium context (Debian's
``/usr/bin/chromium``), Bob joins through the API. Then, ``--runs`` times each:

- **home online**: reload with the service worker in control, until the home state is drawn;
- **home offline**: the same with the context offline (the shell from the worker's cache, the
  data from IndexedDB);
- **bare page**: the bare FastAPI app's ``/page`` (one ``<h1>``, no script) reloaded in the same
  browser: the floor of what a reload costs here.

Times are ``performance.now()`` when the element appears (a MutationObserver installed before
the page's own scripts), so the browser's own round trip to Playwright is not in them. The
machine is shared and noisy: quote the ratios to the bare page.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

import httpx
from playwright.async_api import Page, async_playwright

from bench.common import PASSWORD, app_on_fresh_database, base_env, log, serving, table

CHROMIUM = "/usr/bin/chromium"
BARE = "bench.bare:create_app"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
# Records when the element that says "this screen is drawn" first appears.
WATCH = """
new MutationObserver((_, observer) => {
  if (document.getElementById("state")) {
    window.__shownAt = performance.now();
    observer.disconnect();
  }
}).observe(document, { childList: true, subtree: true });
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def shown_after_reload(page: Page, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        await page.reload()
        # Polled from here: wait_for_function would eval inside the page, which its CSP forbids.
        shown = None
        while shown is None:
            shown = await page.evaluate("window.__shownAt ?? null")
            if shown is None:
                await asyncio.sleep(0.01)
        times.append(float(shown))
    return times


def first_visit_bytes(base: str) -> tuple[int, int]:
    """The page and every file the worker precaches, compressed as sent."""
    with httpx.Client(base_url=base, trust_env=False) as http:
        worker = http.get("/sw.js")
        match = re.search(r"^const SHELL = (\[.*\]);$", worker.text, re.MULTILINE)
        if not match:
            raise RuntimeError("no SHELL in /sw.js")
        paths = json.loads(match.group(1))
        total = worker.num_bytes_downloaded
        for path in paths:
            total += http.get(path, headers={"Accept-Encoding": "gzip"}).num_bytes_downloaded
    return len(paths) + 1, total


async def run(app_url: str, bare_url: str, runs: int) -> list[tuple[str, list[float]]]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = await browser.new_context(
            base_url=app_url, viewport={"width": 360, "height": 740}, locale="en-GB"
        )
        await context.add_init_script(WATCH)
        page = await context.new_page()
        await page.goto("/")
        form = page.locator("#signup")
        await form.get_by_label("Your name").fill("Alice")
        await form.get_by_label("Email").fill(f"alice-{uuid.uuid4().hex[:8]}@example.org")
        await form.get_by_label("Password").fill(PASSWORD)
        await form.get_by_label("I am an adult").check()
        await form.get_by_role("button", name="Create account").click()
        await page.get_by_role("button", name="Create an invite").click()
        code = (await page.locator("#invite-code").inner_text()).strip()
        with httpx.Client(base_url=app_url, trust_env=False) as http:
            bob = http.post(
                "/api/auth/register",
                json={
                    "email": f"bob-{uuid.uuid4().hex[:8]}@example.org",
                    "password": PASSWORD,
                    "display_name": "Bob",
                    "timezone": "Europe/Paris",
                },
            ).json()
            headers = {"Authorization": f"Bearer {bob['access_token']}"}
            http.post(f"/api/invites/{code}/accept", json={}, headers=headers).raise_for_status()
        await page.locator("#state").wait_for(timeout=20_000)
        await page.evaluate("navigator.serviceWorker.ready")
        await page.reload()
        await page.locator("#verdict").wait_for()

        online = await shown_after_reload(page, runs)
        await context.set_offline(True)
        offline = await shown_after_reload(page, runs)
        await context.set_offline(False)

        bare_page = await context.new_page()
        await bare_page.goto(f"{bare_url}/page")
        bare = await shown_after_reload(bare_page, runs)
        await browser.close()
    return [("home, online", online), ("home, offline", offline), ("bare page", bare)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    options = parser.parse_args()
    if not Path(CHROMIUM).exists():
        log("no /usr/bin/chromium: run `make browser-deps`")
        return 1
    with tempfile.TemporaryDirectory(prefix="accord-bench-pwa-") as tmp:
        work = Path(tmp)
        with (
            app_on_fresh_database("sqlite", work) as (_, app),
            serving("bare", BARE, base_env(), work / "bare.log", "/bare") as bare,
        ):
            files, size = first_visit_bytes(app.base_url)
            results = asyncio.run(run(app.base_url, bare.base_url, options.runs))
    floor = statistics.median(results[-1][1])
    lines = [
        (
            name,
            str(len(times)),
            f"{statistics.median(times):.0f}",
            f"{percentile(times, 0.95):.0f}",
            f"{max(times):.0f}",
            f"{statistics.median(times) / floor:.1f}x",
        )
        for name, times in results
    ]
    print(f"first visit: {files} files, {size / 1000:.1f} kB transferred (gzip), limit 200 kB")
    header = ["reload until drawn", "runs", "p50 ms", "p95 ms", "max ms", "p50 / bare"]
    print(table(header, lines, 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
