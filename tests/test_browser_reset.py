"""The "Choose a new password" screen in a real browser, opened from a link that the operator's
command (``python -m app.admin reset-password``) printed for the served app's own database:
two passwords that differ and a short one are explained, the right one signs the phone in and
shows home, the other device is signed out, and the same link a second time says it was used
and leads to sign-in, which says where reset links come from."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, expect

from tests.browser import axe, phone, shot, stored_session, watch_console
from tests.commands import served_reset_link
from tests.conftest import Served
from tests.helpers import couple

NEW_PASSWORD = "a passphrase found again"


async def test_a_reset_link_leads_to_a_new_password_and_home(
    served: Served, server: str, browser: Browser
) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        alice, _bob, _dynamic_id = await couple(http, timezone="UTC")

    link = await served_reset_link(server, served.data_dir, alice.email)

    context = await phone(browser, server)
    page = await context.new_page()
    errors = watch_console(page)
    await page.goto(link)
    await expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    await shot(page, "reset")
    await axe(page, "reset")

    form = page.locator("#reset")
    await form.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await form.get_by_label("New password again").fill(NEW_PASSWORD + "!")
    await form.get_by_role("button", name="Save and sign in").click()
    await expect(page.locator("#reset-error")).to_contain_text("not the same")
    await form.get_by_label("New password", exact=True).fill("short")
    await form.get_by_label("New password again").fill("short")
    await form.get_by_role("button", name="Save and sign in").click()
    await expect(page.locator("#reset-error")).to_contain_text("at least 8 characters")
    assert await stored_session(page) is None

    await form.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await form.get_by_label("New password again").fill(NEW_PASSWORD)
    await form.get_by_role("button", name="Save and sign in").click()
    await expect(page.get_by_role("heading", name="You and Bob")).to_be_visible()
    stored = await stored_session(page)
    assert stored is not None
    assert stored["user"]["email"] == alice.email  # type: ignore[index]

    async with httpx.AsyncClient(base_url=server) as http:
        old = await http.get("/api/me", headers=alice.headers)
        assert old.status_code == 401
        login = await http.post(
            "/api/auth/login", json={"email": alice.email, "password": NEW_PASSWORD}
        )
        assert login.status_code == 200

    # The same link again, on another phone: used, said plainly, with a way to sign in.
    other = await phone(browser, server)
    again = await other.new_page()
    await again.goto(link)
    await again.locator("#reset").get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await again.locator("#reset").get_by_label("New password again").fill(NEW_PASSWORD)
    await again.get_by_role("button", name="Save and sign in").click()
    await expect(again.locator("#reset-error")).to_contain_text("used already")
    await expect(again.get_by_role("button", name="Save and sign in")).to_be_disabled()
    await expect(again.get_by_role("link", name="Go to sign in")).to_be_visible()
    await shot(again, "reset-used")
    await again.get_by_role("link", name="Go to sign in").click()
    await expect(again.locator("#forgot-password")).to_contain_text("ask the person who runs")

    real = [e for e in errors if "Failed to load resource" not in e]
    assert real == []
    await context.close()
    await other.close()
