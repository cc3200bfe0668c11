"""The welcome and pairing screens in a real browser (Debian's chromium, driven by Playwright,
against the real app on a free port): sign-up and sign-in errors in words, an invite shown as a
code, a link and a QR code, revoked and replaced, the partner's join link with its "Invite from
Alice" question, and both partners landing on home.

Screenshots (light and dark, 360 x 740) land in ``tests/artifacts/``.
"""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Browser, Page, expect

from tests.browser import (
    ANY_REFUSAL,
    axe,
    phone,
    real_errors,
    shot,
    sign_up,
    stored_session,
    until,
    watch_console,
)
from tests.helpers import PASSWORD, register

QR = "QR code of your invite link"
# Whether the page itself has loaded the QR code library (the service worker's precache does
# not count: this is the page's own resource timing).
QR_LOADED = """() => performance.getEntriesByType("resource")
  .some((e) => e.name.endsWith("/vendor/qrcode-generator/qrcode.mjs"))"""
# Dark modules drawn in the QR code's path ("M<x> <y>h1v1h-1z" each).
QR_MODULES = """() => (document.querySelector("svg.qr path")
  .getAttribute("d").match(/M/g) || []).length"""


async def make_invite(page: Page, server: str) -> tuple[str, str]:
    await page.get_by_role("button", name="Create an invite").click()
    code = (await page.locator("#invite-code").inner_text()).strip()
    link = await page.locator("#invite-link").get_attribute("href")
    assert re.fullmatch(r"[A-HJKMNP-Z2-9]{8}", code)
    assert link == f"{server}/join/{code}"
    return code, link


async def test_welcome_and_pairing(server: str, browser: Browser) -> None:
    """Two stories on one server (each browser test's server costs seconds to start)."""
    await invite_qr_revoke_and_join(server, browser)
    await sign_in_lockout_taken_email_and_share(server, browser)


async def invite_qr_revoke_and_join(server: str, browser: Browser) -> None:
    alice_context = await phone(browser, server)
    await alice_context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    # No Web Share here, so the button copies the link (the share sheet is the other test's).
    await alice_context.add_init_script("delete Navigator.prototype.share;")
    bob_context = await phone(browser, server)
    alice = await alice_context.new_page()
    bob = await bob_context.new_page()
    alice_errors, bob_errors = watch_console(alice), watch_console(bob)

    # Welcome: the password rule is shown, a short password is refused in words.
    await alice.goto("/")
    await expect(alice.get_by_role("heading", name="Accord", exact=True)).to_be_visible()
    assert await alice.locator("h1").count() == 1
    signup = alice.locator("#signup")
    await expect(signup.get_by_text("8 to 128 characters")).to_be_visible()
    await shot(alice, "welcome")
    await axe(alice, "welcome")
    await signup.get_by_label("Your name").fill("Alice")
    await signup.get_by_label("Email").fill("alice@example.org")
    # Without the adult confirmation, the form does not go anywhere, and says why.
    await signup.get_by_label("Password").fill(PASSWORD)
    await signup.get_by_role("button", name="Create account").click()
    await expect(signup.get_by_role("alert")).to_have_text(re.compile("Accord is for adults"))
    assert await stored_session(alice) is None
    await signup.get_by_label("Password").fill("short")
    await signup.get_by_label("I am an adult").check()
    await signup.get_by_role("button", name="Create account").click()
    await expect(signup.get_by_role("alert")).to_have_text(
        re.compile("too short: use at least 8 characters")
    )
    await expect(signup.get_by_label("Password")).to_have_attribute("aria-invalid", "true")
    assert await stored_session(alice) is None

    # A wrong sign-in says so.
    signin = alice.locator("#signin")
    await signin.get_by_label("Email").fill("nobody@example.org")
    await signin.get_by_label("Password").fill("not the password")
    await signin.get_by_role("button", name="Sign in").click()
    await expect(signin.get_by_role("alert")).to_have_text(re.compile("Wrong email or password"))
    await shot(alice, "welcome-errors")
    assert await stored_session(alice) is None

    # Alice signs up and makes an invite: code, link and QR code. The QR library is loaded
    # for this screen only.
    await alice.reload()
    assert not await alice.evaluate(QR_LOADED)
    await sign_up(alice, "Alice")
    await expect(alice.get_by_role("heading", name="Link with your partner")).to_be_visible()
    assert not await alice.evaluate(QR_LOADED)
    first_code, first_link = await make_invite(alice, server)
    qr = alice.get_by_role("img", name=QR)
    await expect(qr).to_be_visible()
    box = await qr.bounding_box()
    assert box is not None and box["width"] >= 150 and box["height"] >= 150
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    assert await alice.evaluate(QR_MODULES) > 150
    assert await alice.evaluate(QR_LOADED)

    # Copying the link confirms it on screen, and the clipboard holds the join link.
    await alice.get_by_role("button", name="Copy the link").click()
    await expect(alice.locator("#share-status")).to_have_text(re.compile("Link copied"))
    assert await alice.evaluate("navigator.clipboard.readText()") == first_link
    await shot(alice, "pair-invite")
    await axe(alice, "pair-invite")

    # Revoking asks first, then the invite is gone and a new one can be made.
    await alice.get_by_role("button", name="Revoke this invite").click()
    dialog = alice.get_by_role("dialog")
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(alice.locator("#invite-code")).to_have_text(first_code)
    await alice.get_by_role("button", name="Revoke this invite").click()
    await dialog.get_by_role("button", name="Revoke").click()
    await expect(alice.get_by_text("Invite revoked")).to_be_visible()
    await expect(alice.locator("#invite-code")).to_have_count(0)
    await expect(alice.get_by_role("img", name=QR)).to_have_count(0)
    code, link = await make_invite(alice, server)
    assert code != first_code
    await expect(alice.get_by_role("img", name=QR)).to_be_visible()

    # Bob opens the revoked link: the welcome screen says he was invited; once signed up,
    # he is told the invite was withdrawn, and cannot join with it.
    await bob.goto(first_link)
    invited = bob.locator("#invited")
    await expect(invited).to_contain_text("Sign up or sign in to accept your invite")
    await shot(bob, "welcome-invited")
    await sign_up(bob, "Bob")
    join = bob.locator("#join-section")
    await expect(join.get_by_role("alert")).to_have_text(
        re.compile("withdrawn by the person who made it")
    )
    await expect(bob.get_by_role("button", name="Join")).to_have_count(0)
    await expect(bob.get_by_label("Invite code")).to_have_value(first_code)
    # That link leads nowhere, so the rest of the pairing screen is offered.
    await expect(bob.get_by_role("button", name="Create an invite")).to_be_visible()

    # An unknown code typed by hand is a clear message too.
    await bob.get_by_label("Invite code").fill("zzzz-zzzz")
    await bob.get_by_role("button", name="Continue").click()
    await expect(join.get_by_role("alert")).to_have_text(re.compile("No invite has this code"))
    await shot(bob, "pair-unknown-code")

    # The new link asks before joining: who it is from, Join or Not now.
    await bob.goto(link)
    await expect(bob.get_by_role("heading", name="Invite from Alice")).to_be_visible()
    await expect(bob.get_by_role("button", name="Not now")).to_be_visible()
    await expect(bob.get_by_role("button", name="Create an invite")).to_be_hidden()
    assert await bob.locator("h1").count() == 1
    # Alice's key code under her QR code is the one Bob's phone makes from the key the server
    # hands out for her: four groups of five digits, the same on both screens.
    alice_code = alice.locator("#my-key-code .kit-code")
    await expect(alice_code).to_have_text(re.compile(r"^\d{5}( \d{5}){3}$"))
    await expect(bob.locator("#inviter-key-code")).to_contain_text(
        re.compile(r"^Alice\u2019s key code")
    )
    await expect(bob.locator("#inviter-key-code .kit-code")).to_have_text(
        await alice_code.inner_text()
    )
    await alice.locator("#my-key-code").scroll_into_view_if_needed()
    await shot(alice, "pair-invite-key-code")
    await shot(bob, "join-preview")
    await axe(bob, "join-preview")

    # "Not now" leaves the invite alone and shows the whole pairing screen.
    await bob.get_by_role("button", name="Not now").click()
    await expect(bob.get_by_role("button", name="Create an invite")).to_be_visible()
    await expect(bob.get_by_label("Invite code")).to_have_value("")
    await expect(bob.get_by_role("button", name="Join")).to_have_count(0)

    await bob.goto(link)
    await expect(bob.get_by_role("heading", name="Invite from Alice")).to_be_visible()
    await bob.get_by_role("button", name="Join").click()

    # Both land on home; Alice's pairing screen moved on by itself.
    await expect(bob.get_by_role("heading", name="You and Alice")).to_be_visible()
    await expect(alice.get_by_role("heading", name="You and Bob")).to_be_visible()
    # Both had keys since sign-up: the pair key is made at pairing, before either opens More or
    # writes a word (nothing else on these screens asks for it).
    await until(alice, PAIR_KEY_MADE, what="the pair key is made")

    assert real_errors(alice_errors, ANY_REFUSAL) == []
    assert real_errors(bob_errors, ANY_REFUSAL) == []
    await alice_context.close()
    await bob_context.close()


# Whether the server has the pair key of the phone's one dynamic.
PAIR_KEY_MADE = """async () => {
  const { entities } = await import("/js/store.js");
  const { api } = await import("/js/api.js");
  const [dynamic] = (await entities("dynamic")).filter((d) => d.state !== "ended");
  if (!dynamic) return false;
  return (await api("GET", `/api/dynamics/${dynamic.id}/keys`)).state === "sealed";
}"""


async def sign_in_lockout_taken_email_and_share(server: str, browser: Browser) -> None:
    async with httpx.AsyncClient(base_url=server) as http:
        carol = await register(http, "Carol")
        dana = await register(http, "Dana")
        # Five failed sign-ins lock Dana's account for 15 minutes.
        for _ in range(5):
            failed = await http.post(
                "/api/auth/login", json={"email": dana.email, "password": "not the password"}
            )
            assert failed.status_code == 401

    context = await phone(browser, server)
    # A phone with a share sheet: record what is shared.
    await context.add_init_script(
        "Navigator.prototype.share = async function (data) { window.shared = data; };"
    )
    page = await context.new_page()
    errors = watch_console(page)
    await page.goto("/")
    signup, signin = page.locator("#signup"), page.locator("#signin")

    # Signing up with an email that has an account offers to sign in with it.
    await signup.get_by_label("Your name").fill("Carol")
    await signup.get_by_label("Email").fill(carol.email.upper())
    await signup.get_by_label("Password").fill(PASSWORD)
    await signup.get_by_label("I am an adult").check()
    await signup.get_by_role("button", name="Create account").click()
    await expect(signup.get_by_role("alert")).to_have_text(re.compile("already exists"))
    await expect(signin.get_by_label("Email")).to_have_value(carol.email.upper())

    # A locked account says for how long, in minutes.
    await signin.get_by_label("Email").fill(dana.email)
    await signin.get_by_label("Password").fill(PASSWORD)
    await signin.get_by_role("button", name="Sign in").click()
    await expect(signin.get_by_role("alert")).to_have_text(
        re.compile(r"Try again in 1[45] minutes\.")
    )
    await shot(page, "welcome-locked")

    # Carol: a wrong password, then the right one.
    await signin.get_by_label("Email").fill(carol.email)
    await signin.get_by_label("Password").fill("not the password")
    await signin.get_by_role("button", name="Sign in").click()
    await expect(signin.get_by_role("alert")).to_have_text(re.compile("Wrong email or password"))
    await signin.get_by_label("Password").fill(PASSWORD)
    await signin.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Link with your partner")).to_be_visible()
    session = await stored_session(page)
    assert session is not None and session["user"]["email"] == carol.email  # type: ignore[index]

    # Where the phone has a share sheet, the link goes to it.
    code, link = await make_invite(page, server)
    await page.get_by_role("button", name="Share the link").click()
    await page.wait_for_function("() => window.shared !== undefined")
    assert await page.evaluate("window.shared.url") == link
    await expect(page.locator("#share-status")).to_be_empty()

    # The open invite is still there after a reload (the person went to a messaging app).
    await page.reload()
    await expect(page.locator("#invite-code")).to_have_text(code)
    await expect(page.get_by_role("img", name=QR)).to_be_visible()

    # Her own code, typed by hand, is not joinable.
    await page.get_by_label("Invite code").fill(code)
    await page.get_by_role("button", name="Continue").click()
    await expect(page.locator("#join-section").get_by_role("alert")).to_have_text(
        re.compile("your own invite")
    )
    assert real_errors(errors, ANY_REFUSAL) == []
    await context.close()
