"""The settings ("More"), limits and lock screens in a real browser: two partners paired through
the screens, then profile, times, notifications, the PIN lock, limits and matches, export, leave,
sign out and account deletion, each checked against the API or the partner's screen."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from tests.browser import (
    ANY_REFUSAL,
    NO_PUSH_IN_INCOGNITO,
    axe,
    open_words,
    pair_partners,
    real_errors,
    shot,
    stored_session,
    watch_console,
)
from tests.conftest import Served
from tests.helpers import PASSWORD
from tests.test_browser_private_words import clear_text_in

COUNT_ENTITIES = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("accord");
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains("entities")) { db.close(); return resolve(0); }
    const count = db.transaction("entities").objectStore("entities").count();
    count.onsuccess = () => { db.close(); resolve(count.result); };
    count.onerror = () => reject(count.error);
  };
})"""


async def me_via_api(server: str, page: Page) -> dict[str, Any]:
    stored = await stored_session(page)
    assert stored is not None
    async with httpx.AsyncClient(base_url=server) as http:
        answer = await http.get(
            "/api/me", headers={"Authorization": f"Bearer {stored['access_token']}"}
        )
    assert answer.status_code == 200
    me: dict[str, Any] = answer.json()
    return me


async def answer(page: Page, item: str, value: str) -> None:
    """Opens the item's category if needed and picks an answer in its radio group."""
    fieldset = page.locator(f'fieldset[data-item="{item}"]')
    group = page.locator("details.limit-group").filter(has=fieldset)
    if await group.count() and not await group.evaluate("d => d.open"):
        await group.locator("summary").click()
    await fieldset.get_by_label(value, exact=True).check()


async def sign_in(page: Page, email: str) -> None:
    signin = page.locator("#signin")
    await signin.get_by_label("Email").fill(email)
    await signin.get_by_label("Password").fill(PASSWORD)
    await signin.get_by_role("button", name="Sign in").click()


async def set_pin(page: Page, pin: str) -> None:
    await page.get_by_label("New PIN (4 to 8 digits)").fill(pin)
    await page.get_by_label("New PIN again").fill(pin)
    await page.get_by_role("button", name="Set PIN").click()
    await expect(page.locator("#pin-form [role=status]")).to_contain_text("PIN set")


async def test_settings_limits_and_lock(served: Served, server: str, browser: Browser) -> None:
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    alice_errors, bob_errors = watch_console(alice), watch_console(bob)
    await alice_context.grant_permissions(["notifications"], origin=server)

    # ---- settings: profile and role
    await alice.get_by_role("link", name="More").click()
    await expect(alice.get_by_role("heading", name="More", level=1)).to_be_visible()
    await expect(alice.get_by_label("Your name")).to_have_value("Alice")
    await shot(alice, "settings")
    await axe(alice, "settings")

    await alice.get_by_label("Your name").fill("Alicia")
    await alice.get_by_label("Pronouns (optional)").fill("she/her")
    await alice.get_by_role("button", name="Save profile").click()
    await expect(alice.locator("#profile-form [role=status]")).to_have_text("Profile saved.")
    await alice.get_by_label("My role").select_option("dominant")
    await alice.get_by_role("button", name="Save role").click()
    await expect(alice.locator("#role-form [role=status]")).to_have_text("Role saved.")

    # Bob sees the new name after a reload, and Alice's role on his own settings.
    await bob.reload()
    await expect(bob.get_by_role("heading", name="You and Alicia")).to_be_visible()
    await bob.get_by_role("link", name="More").click()
    await expect(bob.locator("#partner-role")).to_contain_text("Alicia (she/her): Dominant")

    # ---- time zone, quiet hours, the daily reminder, discreet notifications
    await alice.get_by_label("Time zone", exact=True).select_option("America/New_York")
    await alice.get_by_label("Quiet hours: hold notifications overnight").check()
    await alice.get_by_label("From").fill("22:30")
    await alice.get_by_label("Until").fill("06:45")
    await alice.get_by_label("Remind me to check in every day").check()
    await alice.get_by_label("At", exact=True).fill("21:15")
    await alice.get_by_role("button", name="Save times").click()
    await expect(alice.locator("#time-form [role=status]")).to_have_text("Times saved.")
    await alice.locator("#times-title").scroll_into_view_if_needed()
    await shot(alice, "settings-times")
    discreet = alice.get_by_label("Discreet: notifications say only", exact=False)
    await expect(discreet).to_be_checked()
    await discreet.uncheck()
    await expect(alice.locator("#notify-title ~ [role=status]")).to_have_text(
        "Notifications now say what happened."
    )
    me = await me_via_api(server, alice)
    assert me["display_name"] == "Alicia" and me["pronouns"] == "she/her"
    assert me["timezone"] == "America/New_York"
    assert (me["quiet_hours_start"], me["quiet_hours_end"]) == ("22:30", "06:45")
    assert me["checkin_reminder_time"] == "21:15"
    assert me["discreet_notifications"] is False

    # ---- notifications: headless chromium has no push service, so subscribing fails in words
    await expect(alice.locator("#push-state")).to_contain_text("Off")
    await alice.get_by_role("button", name="Enable notifications on this phone").click()
    notify_error = alice.locator("#notify-title ~ [role=alert]")
    await expect(notify_error).to_contain_text(
        "Notifications could not be turned on", timeout=20_000
    )
    await expect(alice.locator("#push-state")).to_contain_text("Off")
    await notify_error.scroll_into_view_if_needed()
    await shot(alice, "settings-push-error")

    # ---- PIN: two different entries are refused; then set, reload, locked
    await alice.get_by_label("New PIN (4 to 8 digits)").fill("2468")
    await alice.get_by_label("New PIN again").fill("2486")
    await alice.get_by_role("button", name="Set PIN").click()
    await expect(alice.locator("#pin-form [role=alert]")).to_contain_text("not the same")
    await alice.get_by_label("New PIN again").fill("2468")
    await alice.get_by_role("button", name="Set PIN").click()
    await expect(alice.locator("#pin-form [role=status]")).to_contain_text("PIN set")
    await expect(alice.get_by_role("button", name="Remove PIN")).to_be_visible()
    await alice.locator("#pin-title").scroll_into_view_if_needed()
    await shot(alice, "settings-pin")

    await alice.reload()
    await expect(alice.get_by_role("heading", name="Accord is locked")).to_be_visible()
    await expect(alice.locator("nav.tabs")).to_be_hidden()
    await shot(alice, "lock")
    await axe(alice, "lock")
    await alice.get_by_label("PIN", exact=True).fill("1111")
    await alice.get_by_role("button", name="Unlock").click()
    await expect(alice.get_by_role("alert")).to_have_text("Wrong PIN. 9 tries left.")
    await shot(alice, "lock-wrong")
    await alice.get_by_label("PIN", exact=True).fill("2468")
    await alice.get_by_role("button", name="Unlock").click()
    await expect(alice.get_by_role("heading", name="You and Bob")).to_be_visible()

    # Removing the PIN: the next reload opens straight away.
    await alice.get_by_role("link", name="More").click()
    await alice.get_by_role("button", name="Remove PIN").click()
    await alice.get_by_role("dialog").get_by_role("button", name="Remove PIN").click()
    await expect(alice.locator("#pin-form [role=status]")).to_have_text("PIN removed.")
    await alice.reload()
    await expect(alice.get_by_role("heading", name="More", level=1)).to_be_visible()

    # ---- limits: a mutual yes is a match for both; a one-sided yes stays private
    # Since the reload her keys are locked; her own items are private words, so she opens them.
    await open_words(alice)
    await alice.get_by_role("link", name="Limits and desires").click()
    await expect(alice.get_by_role("heading", name="Limits and desires", level=1)).to_be_visible()
    await expect(alice.locator(".lim-privacy")).to_contain_text("unless Bob also said yes or maybe")
    await answer(alice, "care.praise", "Yes")
    await answer(alice, "sensation.tickling", "Yes")
    await answer(alice, "verbal.degradation", "Hard limit")
    await alice.get_by_label("Add an activity").fill("Foot  Rubs")
    await alice.get_by_role("button", name="Add", exact=True).click()
    await answer(alice, "foot rubs", "Maybe")
    await alice.get_by_role("button", name="Save my answers").click()
    await expect(alice.locator("#limits-status")).to_have_text("Saved.")
    await expect(alice.locator("#matches")).to_contain_text("No matches yet")
    # Her own item was sealed on her phone: the server holds its blind index and an envelope.
    database = str(served.data_dir / "accord.db")
    assert clear_text_in(database, ("foot rubs", "Foot  Rubs", "Foot Rubs")) == []
    await alice.evaluate("window.scrollTo(0, 0)")
    await shot(alice, "limits")
    await alice.locator('fieldset[data-item="care.praise"]').scroll_into_view_if_needed()
    await shot(alice, "limits-items")
    await alice.locator("#custom-items").scroll_into_view_if_needed()
    await shot(alice, "limits-own-item")
    await axe(alice, "limits")

    await bob.goto("/#/limits")
    await expect(bob.get_by_role("heading", name="Limits and desires", level=1)).to_be_visible()
    # Alice's hard limit is safety information: Bob sees it. Her yes and maybe he does not.
    await expect(bob.locator('fieldset[data-item="verbal.degradation"] .lim-partner')).to_have_text(
        "Alicia: Hard limit"
    )
    await expect(
        bob.locator('fieldset[data-item="sensation.tickling"] .lim-partner')
    ).to_have_count(0)
    await expect(bob.locator("#custom-items fieldset")).to_have_count(0)
    await answer(bob, "care.praise", "Yes")
    await answer(bob, "sensation.spanking_hand", "Maybe")
    await bob.get_by_role("button", name="Save my answers").click()
    await expect(bob.locator("#limits-status")).to_have_text("Saved.")
    await expect(bob.locator("#matches .lim-match-name")).to_have_text(["Praise"])
    await expect(bob.locator('fieldset[data-item="care.praise"] .lim-partner')).to_have_text(
        "Alicia: Yes"
    )
    await expect(
        bob.locator('fieldset[data-item="sensation.tickling"] .lim-partner')
    ).to_have_count(0)
    assert "Tickling" not in await bob.locator("#matches").inner_text()
    await bob.evaluate("window.scrollTo(0, 0)")
    await shot(bob, "limits-match")

    await alice.reload()
    await expect(alice.locator("#matches .lim-match-name")).to_have_text(["Praise"])
    # Locked again by the reload: her own item shows as locked, and says why.
    await expect(alice.locator("#limits-locked")).to_be_visible()
    await expect(alice.locator("#custom-items")).to_contain_text("Locked on this phone")
    await expect(alice.locator("#custom-items")).not_to_contain_text("foot rubs")
    await alice.locator("#custom-items").scroll_into_view_if_needed()
    await shot(alice, "limits-locked-item")
    await alice.locator("#limits-locked").scroll_into_view_if_needed()
    await shot(alice, "limits-locked")
    await expect(
        alice.locator('fieldset[data-item="sensation.spanking_hand"] .lim-partner')
    ).to_have_count(0)

    # ---- export: a JSON file that holds the account
    await alice.get_by_role("link", name="More").click()
    async with alice.expect_download() as download_info:
        await alice.get_by_role("button", name="Download my data (JSON)").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".json")
    exported = json.loads(await asyncio.to_thread(Path(await download.path()).read_text))
    assert exported["format"] == "accord-export/1"
    assert exported["user"]["email"] == me["email"]
    assert {(i["item"], i["answer"]) for i in exported["limits"]} >= {("care.praise", "yes")}

    # ---- Bob ends the dynamic: both are offered pairing again
    await bob.get_by_role("link", name="More").click()
    await bob.get_by_role("button", name="End the dynamic with Alicia").click()
    dialog = bob.get_by_role("dialog")
    await expect(dialog).to_contain_text("cannot be undone")
    await shot(bob, "settings-leave-confirm")
    await dialog.get_by_role("button", name="End it for both of us").click()
    await expect(bob.get_by_role("heading", name="Link with your partner")).to_be_visible()
    # Alice's settings (open on her phone) drop the dynamic's parts once the feed says so:
    # no role, no limits, no leave.
    await alice.reload()
    await expect(alice.locator("#role-form")).to_have_count(0)
    await expect(alice.get_by_role("heading", name="More", level=1)).to_be_visible()
    await expect(alice.get_by_role("link", name="Limits and desires")).to_have_count(0)
    await expect(alice.locator("#leave")).to_have_count(0)
    await expect(alice.locator("#devices li")).to_have_count(1)
    await shot(alice, "settings-no-dynamic")
    await axe(alice, "settings-no-dynamic")
    await alice.get_by_role("link", name="Home").click()
    await expect(alice.get_by_role("heading", name="Link with your partner")).to_be_visible()
    await alice.goto("/#/settings")

    # ---- sign out wipes this phone
    await alice.get_by_role("button", name="Sign out of this phone").click()
    await expect(alice.get_by_role("button", name="Create account")).to_be_visible()
    assert await stored_session(alice) is None
    assert await alice.evaluate(COUNT_ENTITIES) == 0

    # ---- ten wrong PINs sign the phone out and erase it
    await sign_in(alice, me["email"])
    await expect(alice.get_by_role("heading", name="Link with your partner")).to_be_visible()
    await alice.goto("/#/settings")
    await set_pin(alice, "1357")
    token = await stored_session(alice)
    await alice.reload()
    await expect(alice.get_by_role("heading", name="Accord is locked")).to_be_visible()
    for left in range(9, 0, -1):
        await alice.get_by_label("PIN", exact=True).fill("0000")
        await alice.get_by_role("button", name="Unlock").click()
        words = f"{left} tries left." if left > 1 else "1 try left before"
        await expect(alice.get_by_role("alert")).to_contain_text(words)
    await alice.get_by_label("PIN", exact=True).fill("0000")
    await alice.get_by_role("button", name="Unlock").click()
    await expect(alice.get_by_role("button", name="Create account")).to_be_visible()
    assert await stored_session(alice) is None
    assert await alice.evaluate(COUNT_ENTITIES) == 0
    assert token is not None
    async with httpx.AsyncClient(base_url=server) as http:
        gone = await http.get(
            "/api/me", headers={"Authorization": f"Bearer {token['access_token']}"}
        )
    assert gone.status_code == 401

    # ---- "Forgot the PIN?" signs Bob's phone out after a confirmation
    bob_email = (await me_via_api(server, bob))["email"]
    await bob.goto("/#/settings")
    await set_pin(bob, "8642")
    await bob.reload()
    await expect(bob.get_by_role("heading", name="Accord is locked")).to_be_visible()
    await bob.get_by_role("button", name="Forgot the PIN? Sign out of this phone").click()
    await bob.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    await expect(bob.get_by_role("heading", name="Accord is locked")).to_be_visible()
    assert await stored_session(bob) is not None
    await bob.get_by_role("button", name="Forgot the PIN? Sign out of this phone").click()
    await bob.get_by_role("dialog").get_by_role("button", name="Sign out").click()
    await expect(bob.get_by_role("button", name="Create account")).to_be_visible()
    assert await stored_session(bob) is None

    # ---- Bob signs in again and deletes his account: a wrong password is refused first
    await sign_in(bob, bob_email)
    await expect(bob.get_by_role("heading", name="Link with your partner")).to_be_visible()
    await bob.goto("/#/settings")
    await bob.get_by_label("Your password").fill("not my password")
    await bob.get_by_role("button", name="Delete my account").click()
    await bob.get_by_role("dialog").get_by_role("button", name="Delete my account").click()
    await expect(bob.locator("#danger-title ~ [role=alert]")).to_have_text(
        "That password is not right."
    )
    await shot(bob, "settings-delete-refused")
    await bob.get_by_label("Your password").fill(PASSWORD)
    await bob.get_by_role("button", name="Delete my account").click()
    await bob.get_by_role("dialog").get_by_role("button", name="Delete my account").click()
    await expect(bob.get_by_role("button", name="Create account")).to_be_visible()
    assert await stored_session(bob) is None
    async with httpx.AsyncClient(base_url=server) as http:
        login = await http.post("/api/auth/login", json={"email": bob_email, "password": PASSWORD})
    assert login.status_code == 401

    assert real_errors(alice_errors, ANY_REFUSAL, NO_PUSH_IN_INCOGNITO) == []
    assert real_errors(bob_errors, ANY_REFUSAL, NO_PUSH_IN_INCOGNITO) == []
    await alice_context.close()
    await bob_context.close()
