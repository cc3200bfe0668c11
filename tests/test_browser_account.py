"""The "Sign-in details" part of the settings screen in a real browser: changing the password
(a wrong current password, a mistyped or short new one, then the right way, which signs the
other devices out but keeps this phone signed in), changing the email (taken, wrong password,
offline, then done), and signing in again with the new details while the old ones are refused."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from playwright.async_api import Browser, Locator, Page, expect

from tests.browser import (
    ANY_REFUSAL,
    NO_PUSH_IN_INCOGNITO,
    axe,
    pair_partners,
    real_errors,
    shot,
    stored_session,
    watch_console,
)
from tests.helpers import PASSWORD

NEW_PASSWORD = "a new and longer passphrase"


async def session_of(page: Page) -> dict[str, Any]:
    stored = await stored_session(page)
    assert stored is not None
    return stored


async def me_with(server: str, token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server) as http:
        return await http.get("/api/me", headers={"Authorization": f"Bearer {token}"})


async def login_status(server: str, email: str, password: str) -> int:
    async with httpx.AsyncClient(base_url=server) as http:
        answer = await http.post("/api/auth/login", json={"email": email, "password": password})
    return answer.status_code


async def sign_in(page: Page, email: str, password: str) -> None:
    form = page.locator("#signin")
    await form.get_by_label("Email").fill(email)
    await form.get_by_label("Password").fill(password)
    await form.get_by_role("button", name="Sign in").click()


async def change_password(form: Locator, current: str, new: str, again: str) -> None:
    await form.get_by_label("Current password").fill(current)
    await form.get_by_label("New password", exact=True).fill(new)
    await form.get_by_label("New password again").fill(again)
    await form.get_by_role("button", name="Change password").click()


async def change_email(form: Locator, email: str, current: str) -> None:
    await form.get_by_label("New email").fill(email)
    await form.get_by_label("Current password").fill(current)
    await form.get_by_role("button", name="Change email").click()


async def test_change_password_and_email(server: str, browser: Browser) -> None:
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    errors = watch_console(alice)
    alice_email = str((await session_of(alice))["user"]["email"])
    bob_email = str((await session_of(bob))["user"]["email"])
    await bob_context.close()

    # Alice is signed in on another device too.
    async with httpx.AsyncClient(base_url=server) as http:
        other = await http.post(
            "/api/auth/login", json={"email": alice_email, "password": PASSWORD}
        )
    assert other.status_code == 200
    other_token = other.json()["access_token"]

    await alice.get_by_role("link", name="More").click()
    await expect(alice.get_by_role("heading", name="More", level=1)).to_be_visible()
    await expect(alice.locator("h1")).to_have_count(1)
    section = alice.locator("section").filter(
        has=alice.get_by_role("heading", name="Sign-in details", level=2)
    )
    await expect(section).to_be_visible()
    await expect(alice.locator("#account-email")).to_have_text(f"You sign in with {alice_email}.")
    await expect(alice.locator("#devices li")).to_have_count(2)
    password_form = alice.locator("#password-form")
    email_form = alice.locator("#email-form")
    password_error = password_form.locator("[role=alert]")
    password_status = password_form.locator("[role=status]")

    # The fields say what they are to the browser and to password managers.
    assert await password_form.get_by_label("Current password").get_attribute("autocomplete") == (
        "current-password"
    )
    for label in ("New password", "New password again"):
        field = password_form.get_by_label(label, exact=True)
        assert await field.get_attribute("autocomplete") == "new-password"
        assert await field.get_attribute("type") == "password"
    assert await email_form.get_by_label("New email").get_attribute("autocomplete") == "email"
    assert await email_form.get_by_label("Current password").get_attribute("autocomplete") == (
        "current-password"
    )
    # Touch targets: every visible control of the section is at least 44 px high.
    for control in await section.locator("input:visible, button:visible").all():
        box = await control.bounding_box()
        assert box is not None and box["height"] >= 44, await control.evaluate("e => e.id")

    # ---- password: a wrong current password is refused in words, and nothing changes
    await change_password(password_form, "not my password", NEW_PASSWORD, NEW_PASSWORD)
    await expect(password_error).to_have_text(
        "Your current password is not right. Nothing was changed."
    )
    current = password_form.get_by_label("Current password")
    await expect(current).to_have_attribute("aria-invalid", "true")
    await expect(current).to_be_focused()
    await expect(password_status).to_have_text("")
    await section.scroll_into_view_if_needed()
    await password_form.scroll_into_view_if_needed()
    await shot(alice, "settings-account-wrong-password")
    assert await login_status(server, alice_email, NEW_PASSWORD) == 401
    assert (await me_with(server, other_token)).status_code == 200

    # Checked on the phone before anything is sent: two different entries, a short one.
    await change_password(password_form, PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!")
    await expect(password_error).to_have_text(
        "The two new passwords are not the same. Type the new one again."
    )
    await expect(password_form.get_by_label("New password again")).to_be_focused()
    await change_password(password_form, PASSWORD, "short", "short")
    await expect(password_error).to_contain_text("too short: use at least 8 characters")
    await expect(password_form.get_by_label("New password", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )
    assert await login_status(server, alice_email, NEW_PASSWORD) == 401

    # ---- password: the right way. Other devices are signed out; this phone is not.
    await change_password(password_form, PASSWORD, NEW_PASSWORD, NEW_PASSWORD)
    await expect(password_status).to_have_text(
        "Password changed. Other devices have been signed out; this phone stays signed in."
    )
    await expect(password_error).to_have_text("")
    for label in ("Current password", "New password", "New password again"):
        await expect(password_form.get_by_label(label, exact=True)).to_have_value("")
    await expect(alice.locator("#devices li")).to_have_count(1)
    await expect(alice.locator("#devices li")).to_contain_text("This phone")
    assert (await me_with(server, other_token)).status_code == 401
    here = await session_of(alice)
    assert (await me_with(server, str(here["access_token"]))).status_code == 200
    await password_form.scroll_into_view_if_needed()
    await shot(alice, "settings-account-password-changed")
    await alice.reload()
    await expect(alice.get_by_role("heading", name="More", level=1)).to_be_visible()
    await expect(alice.locator("#account-email")).to_contain_text(alice_email)

    # ---- email: taken by Bob; a wrong password; offline. Each in words, nothing changed.
    email_error = email_form.locator("[role=alert]")
    email_status = email_form.locator("[role=status]")
    await change_email(email_form, bob_email, NEW_PASSWORD)
    await expect(email_error).to_have_text(
        "Another account already uses this email. Nothing was changed."
    )
    await expect(email_form.get_by_label("New email")).to_have_attribute("aria-invalid", "true")
    await email_form.scroll_into_view_if_needed()
    await shot(alice, "settings-account-email-taken")

    new_email = f"Alice.New-{uuid.uuid4().hex[:8]}@Example.org"
    await change_email(email_form, new_email, PASSWORD)
    await expect(email_error).to_have_text(
        "Your current password is not right. Nothing was changed."
    )
    await expect(email_form.get_by_label("Current password")).to_be_focused()

    await change_email(email_form, "not an email", NEW_PASSWORD)
    await expect(email_error).to_contain_text("This email address does not look right")

    await alice_context.set_offline(True)
    await change_email(email_form, new_email, NEW_PASSWORD)
    await expect(email_error).to_have_text(
        "You are offline. Connect to the internet and try again; nothing was changed."
    )
    await alice_context.set_offline(False)
    assert (await me_with(server, str(here["access_token"]))).json()["email"] == alice_email

    # ---- email: done. Stored in lower case, shown, and kept in this phone's session.
    await change_email(email_form, new_email, NEW_PASSWORD)
    await expect(email_status).to_have_text(
        f"Email changed. From now on, sign in with {new_email.lower()}."
    )
    await expect(email_error).to_have_text("")
    await expect(alice.locator("#account-email")).to_have_text(
        f"You sign in with {new_email.lower()}."
    )
    me = (await me_with(server, str(here["access_token"]))).json()
    assert me["email"] == new_email.lower()
    assert (await session_of(alice))["user"]["email"] == new_email.lower()
    await expect(alice.locator("#password-username")).to_have_value(new_email.lower())

    await section.scroll_into_view_if_needed()
    await shot(alice, "settings-account")
    await axe(alice, "settings-account")

    # ---- sign out; the old password and the old email are refused, the new ones work
    await alice.get_by_role("button", name="Sign out of this phone").click()
    await expect(alice.get_by_role("button", name="Create account")).to_be_visible()
    signin_error = alice.locator("#signin-error")
    await sign_in(alice, new_email, PASSWORD)
    await expect(signin_error).to_have_text("Wrong email or password. Check both and try again.")
    await sign_in(alice, alice_email, NEW_PASSWORD)
    await expect(signin_error).to_have_text("Wrong email or password. Check both and try again.")
    assert await stored_session(alice) is None
    await sign_in(alice, new_email, NEW_PASSWORD)
    await expect(alice.get_by_role("heading", name="You and Bob")).to_be_visible()
    await alice.goto("/#/settings")
    await expect(alice.locator("#account-email")).to_have_text(
        f"You sign in with {new_email.lower()}."
    )

    assert real_errors(errors, ANY_REFUSAL, NO_PUSH_IN_INCOGNITO) == []
    await alice_context.close()
