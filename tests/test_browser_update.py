"""A new version of the web app reaches a phone that has the old one open: the new worker
installs and waits, the app offers "Reload", and a tap puts the new version in control. Until
then the open page keeps the version it started with (no mix of old and new modules)."""

from __future__ import annotations

import os

import pytest
from playwright.async_api import Browser, expect

from tests.browser import axe, phone, shot
from tests.conftest import Served

CACHES = "caches.keys().then((k) => k.filter((n) => n.startsWith('accord-shell-')))"

pytestmark = pytest.mark.frontend_copy


async def test_a_new_version_is_offered_and_applied_on_a_tap(
    served: Served, server: str, browser: Browser
) -> None:
    context = await phone(browser, server)
    page = await context.new_page()
    await page.goto("/")
    assert await page.evaluate("navigator.serviceWorker.ready.then((r) => r.active !== null)")
    await page.reload()
    assert await page.evaluate("navigator.serviceWorker.controller !== null")
    (old_cache,) = await page.evaluate(CACHES)
    await expect(page.locator("#update")).to_have_count(0)

    # A deployment changes one file of the app.
    style = served.frontend_dir / "style.css"
    style.write_text(style.read_text() + "\n/* a new version */\n")
    stat = style.stat()
    os.utime(style, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))

    await page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r.update())")
    await expect(page.locator("#update")).to_be_visible()
    await expect(page.locator("#banner")).to_contain_text("A new version of Accord is ready")
    # Still the old version in control, until the person says so.
    assert await page.evaluate(
        "navigator.serviceWorker.getRegistration().then((r) => r.waiting !== null)"
    )
    await shot(page, "update-ready")
    await axe(page, "update ready")

    await page.locator("#update").click()
    await expect(page.locator("#update")).to_have_count(0)
    await expect(page.get_by_role("button", name="Create account")).to_be_visible()
    new_cache = await page.evaluate(CACHES)
    assert new_cache != [old_cache] and len(new_cache) == 1
    style_now = await page.evaluate("fetch('/style.css').then((r) => r.text())")
    assert "a new version" in style_now
    await context.close()
