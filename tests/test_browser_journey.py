"""The whole journey of issue 7 in one run, as two people would live it on their phones (two
browser contexts at 360 x 740): sign up, pair by link, propose and agree a protocol, check in
with a need, answer it, call red and see it on the other phone, resume. Then the same browser
signed in by someone else starts from nothing of theirs.

The screens' own tests (test_browser_*.py) go into each area in depth; this one proves the
parts work together, with every screen it passes checked by axe.
"""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.async_api import Browser, Locator, Page, Route, expect

from tests.browser import (
    axe,
    pair_partners,
    phone,
    real_errors,
    refused,
    shot,
    stored_session,
    watch_console,
)
from tests.helpers import PASSWORD, pair, register
from tests.helpers.checkins import check_in
from tests.helpers.protocols import propose


def tab(page: Page, name: str) -> Locator:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True)


async def test_the_whole_journey(server: str, browser: Browser) -> None:
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    alice_errors, bob_errors = watch_console(alice), watch_console(bob)
    await axe(alice, "home")

    # Alice proposes a protocol that Bob performs.
    await tab(alice, "Protocols").click()
    await alice.get_by_role("link", name="Propose a protocol").click()
    form = alice.locator("#propose-form")
    await form.get_by_label("Title").fill("Evening check-in call")
    await form.get_by_label("Kind").select_option("communication")
    await form.get_by_label("Bob", exact=True).check()
    await form.get_by_role("button", name="Propose", exact=True).click()
    await expect(alice.locator("#protocol-status")).to_contain_text("waiting for Bob")
    pid = re.search(r"#/protocol/([0-9a-f-]{36})$", alice.url)
    assert pid

    # Bob finds it waiting for him on home, reviews it and agrees; it is in force for both.
    await tab(bob, "Home").click()
    waiting = bob.locator("#waiting-for-you")
    await expect(waiting.locator('[data-kind="proposal"]')).to_contain_text(
        "Alice proposed “Evening check-in call”"
    )
    await waiting.locator('[data-kind="proposal"] a').click()
    await expect(bob.locator("#review")).to_contain_text("Evening check-in call")
    await bob.get_by_role("button", name="Agree to version 1").click()
    await expect(bob.locator("#protocol-status")).to_have_text(
        "In force: you both agreed to version 1."
    )
    await tab(alice, "Protocols").click()
    await expect(alice.locator(f'#protocols-active a[data-id="{pid.group(1)}"]')).to_be_visible()

    # Alice checks in from home with a need (the quick path is three taps; this one adds one).
    await tab(alice, "Home").click()
    await alice.locator("#quick-checkin").click()
    checkin = alice.locator("#checkin-form")
    await checkin.get_by_label("2 — low", exact=True).check()
    await checkin.get_by_label("Reassurance").check()
    await checkin.get_by_role("button", name="Save", exact=True).click()
    await expect(alice.get_by_role("heading", name="You and Bob")).to_be_visible()

    # Bob's home shows the need, waiting for him; it opens her check-in, and he answers it.
    await tab(bob, "Home").click()
    item = bob.locator('#waiting-for-you [data-kind="need"]')
    await expect(item).to_contain_text("Alice would like reassurance")
    await expect(item).to_contain_text("open until")
    await shot(bob, "home-open-need")
    await axe(bob, "home with a need")
    await item.locator("a").click()
    need = bob.locator("#open-needs .cards > li").filter(has_text="Reassurance")
    await expect(need).to_have_class(re.compile(r"\basked\b"))
    await need.get_by_role("button", name="Done").click()
    await expect(bob.locator("#open-needs .cards > li")).to_have_count(0)

    # Alice sees the answer.
    await alice.goto("/#/checkins")
    await expect(alice.locator("#screen")).to_contain_text("Bob: Done")

    # Bob calls red; Alice's phone shows it when she looks, and nothing is due meanwhile.
    await tab(bob, "Home").click()
    await bob.get_by_role("button", name="Red: stop everything").click()
    await bob.get_by_role("dialog").get_by_role("button", name="Call red").click()
    await expect(bob.locator("#state")).to_have_text("Paused")
    await alice.goto("/#/home")
    await expect(alice.locator("#state")).to_have_text("Paused")
    await expect(alice.locator("#state-detail")).to_contain_text("Bob called red")
    await expect(alice.get_by_role("button", name="Resume")).to_be_disabled()
    await shot(alice, "home-paused-by-partner")
    await axe(alice, "home paused")
    # Her updates say what happened, newest first, each linking to its screen; opening them
    # marks them read on the server.
    await alice.locator("#link-updates").click()
    inbox = alice.locator("#inbox")
    await expect(inbox.locator("li").first).to_contain_text("Bob called red: everything is paused")
    await expect(inbox).to_contain_text("Bob answered your check-in")
    await expect(inbox).to_contain_text("“Evening check-in call” is now in force")
    await shot(alice, "inbox")
    await axe(alice, "inbox")
    session = await stored_session(alice)
    assert session is not None
    async with httpx.AsyncClient(base_url=server) as http:
        headers = {"Authorization": f"Bearer {session['access_token']}"}
        # The inbox sent "all read" when it first drew; waited for, bounded generously.
        for _ in range(200):
            inbox_now = (await http.get("/api/notifications", headers=headers)).json()
            if inbox_now["unread"] == 0:
                break
            await alice.wait_for_timeout(100)
        assert inbox_now["unread"] == 0, inbox_now
    await inbox.locator('li[data-kind="checkin_answered"] a').click()
    await expect(alice.get_by_role("heading", name="Check-ins", level=1)).to_be_visible()

    # A red stops agreements too: Alice's protocol page says so.
    await alice.goto(f"/#/protocol/{pid.group(1)}")
    await expect(alice.locator("#paused-note")).to_contain_text("A red stands")

    # Yellow from Alice while paused: it pauses nothing more, and Bob sees it.
    await tab(alice, "Home").click()
    await alice.get_by_role("button", name="Yellow: we need to talk").click()
    await alice.get_by_role("dialog").get_by_role("button", name="Raise yellow").click()
    await expect(alice.locator("#state-detail")).to_contain_text("You raised yellow")
    await bob.reload()
    await expect(bob.locator("#state-detail")).to_contain_text("Alice raised yellow")

    # Bob resumes; Alice's yellow still stands until she lifts it, but nothing is paused.
    await bob.get_by_role("button", name="Resume").click()
    await bob.get_by_role("dialog").get_by_role("button", name="Resume").click()
    await expect(bob.locator("#state")).to_have_text("Active")
    await alice.reload()
    await expect(alice.locator("#state")).to_have_text("Active")
    await expect(alice.locator("#state-detail")).to_contain_text("You raised yellow")
    await shot(alice, "home-yellow")
    await axe(alice, "home yellow")

    assert real_errors(alice_errors, refused(401), refused(409)) == []
    assert real_errors(bob_errors, refused(401), refused(409)) == []
    await alice_context.close()
    await bob_context.close()


async def test_another_account_on_the_same_browser_starts_from_nothing(
    server: str, browser: Browser
) -> None:
    """Alice's session ends from elsewhere (her other device signs it out); Carol then signs in
    on the same browser and sees none of Alice's dynamic, whose local copy is wiped."""
    alice_context, alice, bob_context, _bob = await pair_partners(browser, server)
    session = await stored_session(alice)
    assert session is not None
    carol_email = f"carol-{uuid.uuid4().hex[:8]}@example.org"
    async with httpx.AsyncClient(base_url=server) as http:
        await http.post("/api/auth/logout", json={"refresh_token": session["refresh_token"]})
        carol = await http.post(
            "/api/auth/register",
            json={
                "email": carol_email,
                "password": PASSWORD,
                "display_name": "Carol",
                "timezone": "UTC",
            },
        )
        assert carol.status_code == 201
    await alice.reload()
    await expect(alice.locator("#signin")).to_be_visible()
    signin = alice.locator("#signin")
    await signin.get_by_label("Email").fill(carol_email)
    await signin.get_by_label("Password").fill(PASSWORD)
    await signin.get_by_role("button", name="Sign in").click()
    await expect(alice.get_by_role("heading", name="Link with your partner")).to_be_visible()
    dynamics = await alice.evaluate(
        """() => new Promise((resolve) => {
          const open = indexedDB.open("accord");
          open.onsuccess = () => {
            const all = open.result.transaction("entities").objectStore("entities").getAll();
            all.onsuccess = () => resolve(all.result.map((r) => r.entity));
          };
        })"""
    )
    assert "dynamic" not in dynamics
    assert "Bob" not in await alice.locator("body").inner_text()
    await alice_context.close()
    await bob_context.close()


async def tab_to(page: Page, selector: str) -> None:
    """Presses Tab until the element is focused, as a keyboard user would."""
    for _ in range(40):
        if await page.evaluate(f"document.activeElement === document.querySelector({selector!r})"):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


async def test_home_by_keyboard_alone(server: str, browser: Browser) -> None:
    alice_context, alice, bob_context, _bob = await pair_partners(browser, server)
    # A new screen puts the focus on its heading, so a screen reader announces it. (Awaited: the
    # heading is drawn a moment before it is focused, and Bob's joining may draw home again.)
    await expect(alice.get_by_role("heading", name="You and Bob", level=1)).to_be_focused()

    await tab_to(alice, "#red")
    outline = await alice.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    await alice.keyboard.press("Enter")
    dialog = alice.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    assert await alice.evaluate("document.activeElement.closest('dialog') !== null")
    await alice.keyboard.press("Escape")  # changes nothing
    await expect(dialog).to_have_count(0)
    await expect(alice.locator("#state")).to_have_text("Active")

    await tab_to(alice, "#yellow")
    await alice.keyboard.press("Enter")
    await expect(dialog).to_be_visible()
    await tab_to(alice, "dialog button[value=confirm]")
    await alice.keyboard.press("Enter")
    await expect(alice.locator("#state-detail")).to_contain_text("You raised yellow")

    # The tabs are reachable and work from the keyboard too.
    await tab_to(alice, 'nav.tabs a[href="#/checkin"]')
    await alice.keyboard.press("Enter")
    await expect(alice.get_by_role("heading", name="Check in", level=1)).to_be_focused()
    await alice_context.close()
    await bob_context.close()


async def test_signing_out_in_one_tab_signs_out_the_others(server: str, browser: Browser) -> None:
    """Bob has two tabs open. He signs out in one: the other shows the sign-in screen at once,
    without a reload, and cannot send anything as him. When Alice then signs in on that
    browser, the other tab follows her, and nothing is ever written as the wrong person."""
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    alice_session = await stored_session(alice)
    assert alice_session is not None
    alice_email = alice_session["user"]["email"]  # type: ignore[index]
    second = await bob_context.new_page()
    await second.goto("/#/checkin")
    await expect(second.get_by_role("heading", name="Check in", level=1)).to_be_visible()

    await bob.goto("/#/settings")
    await bob.get_by_role("button", name="Sign out of this phone").click()
    await expect(bob.get_by_role("button", name="Create account")).to_be_visible()
    await expect(second.get_by_role("button", name="Create account")).to_be_visible()

    signin = bob.locator("#signin")
    await signin.get_by_label("Email").fill(str(alice_email))
    await signin.get_by_label("Password").fill(PASSWORD)
    await signin.get_by_role("button", name="Sign in").click()
    await expect(bob.get_by_role("heading", name="You and Bob")).to_be_visible()
    await expect(second.get_by_role("heading", name="You and Bob")).to_be_visible()
    await alice_context.close()
    await bob_context.close()


async def test_a_server_hiccup_on_refresh_does_not_sign_anyone_out(
    server: str, browser: Browser
) -> None:
    """An expired access token and a refresh answered 503: the person stays signed in, sees
    what the phone has, and the next refresh works."""
    alice_context, alice, bob_context, _bob = await pair_partners(browser, server)
    await alice.evaluate(
        """() => new Promise((resolve) => {
          const open = indexedDB.open("accord");
          open.onsuccess = () => {
            const store = open.result.transaction("kv", "readwrite").objectStore("kv");
            const get = store.get("session");
            get.onsuccess = () => {
              store.put({ ...get.result, access_token: "expired" }, "session").onsuccess = resolve;
            };
          };
        })"""
    )
    failing = True

    async def refresh(route: Route) -> None:
        if failing:
            await route.fulfill(
                status=503,
                headers={"Retry-After": "1"},
                json={"detail": "database unavailable", "code": "database_unavailable"},
            )
        else:
            await route.continue_()

    await alice.route("**/api/auth/refresh", refresh)
    await alice.reload()
    await expect(alice.get_by_role("heading", name="You and Bob")).to_be_visible()
    await alice.wait_for_timeout(500)
    await expect(alice.get_by_role("heading", name="You and Bob")).to_be_visible()
    session = await stored_session(alice)
    assert session is not None and session["access_token"] == "expired"

    failing = False
    await alice.reload()
    await expect(alice.locator("#verdict")).to_be_visible()
    for _ in range(100):
        session = await stored_session(alice)
        assert session is not None
        if session["access_token"] != "expired":
            break
        await alice.wait_for_timeout(100)
    assert session["access_token"] != "expired"
    await alice_context.close()
    await bob_context.close()


async def test_long_names_and_titles_fit_a_phone(server: str, browser: Browser) -> None:
    """Names and titles of one long word at the API's limits: every screen still fits 360 px
    (``shot`` fails on sideways scrolling and on controls under 44 px)."""
    long_name = "Alexandria-" + "Wolfeschlegelsteinhausenberger" + "x" * 23  # 64 characters
    title = "Supercalifragilisticexpialidocious" * 3  # 102 characters
    async with httpx.AsyncClient(base_url=server) as http:
        email = f"alexa-{uuid.uuid4().hex[:8]}@example.org"
        long_named = await register(http, long_name, email=email)
        bo = await register(http, "Bo")
        dynamic_id = await pair(http, long_named, bo)
        pid = (
            await propose(
                http,
                long_named,
                dynamic_id,
                {
                    "title": title,
                    "kind": "ritual",
                    "performer_ids": [bo.id],
                    "description": "y" * 300,
                },
            )
        )["id"]
        for mood in (2, 4):
            await check_in(
                http, long_named, dynamic_id, mood=mood, needs=["Z" * 24], note="n" * 400
            )

    context = await phone(browser, server)
    page = await context.new_page()
    await page.goto("/")
    signin = page.locator("#signin")
    await signin.get_by_label("Email").fill(bo.email)
    await signin.get_by_label("Password").fill(PASSWORD)
    await signin.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#state")).to_be_visible()
    for route, name in [
        ("home", "long-home"),
        (f"protocol/{pid}", "long-protocol"),
        (f"propose/{pid}", "long-propose"),
        ("protocols", "long-protocols"),
        ("checkins", "long-checkins"),
        ("balance", "long-balance"),
        ("settings", "long-settings"),
    ]:
        await page.goto(f"/#/{route}")
        await expect(page.locator("#screen h1")).to_be_visible()
        await page.wait_for_timeout(300)
        await shot(page, name)
    await context.close()


async def test_what_was_shared_stays_readable_after_the_end(server: str, browser: Browser) -> None:
    """Bob leaves. Alice is offered pairing again, with a way into what they shared: her
    check-ins are still there, and the app writes nothing more into the ended dynamic."""
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    await tab(alice, "Check in").click()
    await alice.get_by_label("4 — good", exact=True).check()
    await alice.get_by_role("button", name="Save", exact=True).click()
    await expect(alice.get_by_role("heading", name="You and Bob")).to_be_visible()

    bob_session = await stored_session(bob)
    assert bob_session is not None
    async with httpx.AsyncClient(base_url=server) as http:
        headers = {"Authorization": f"Bearer {bob_session['access_token']}"}
        dynamic = (await http.get("/api/dynamics", headers=headers)).json()["items"][0]
        assert (await http.post(f"/api/dynamics/{dynamic['id']}/leave", headers=headers)).is_success

    await alice.reload()
    await expect(alice.get_by_role("heading", name="Link with your partner")).to_be_visible()
    ended = alice.locator("#ended")
    await expect(ended).to_contain_text("Your dynamic with Bob has ended")
    await shot(alice, "pair-after-end")
    await axe(alice, "pair after the end")
    await ended.get_by_role("link", name="Check-ins").click()
    await expect(alice.get_by_role("heading", name="Check-ins", level=1)).to_be_visible()
    await expect(alice.locator("#screen")).to_contain_text("Mood 4 — good")
    await shot(alice, "checkins-ended")
    # Home is still pairing: there is nothing in force to show.
    await tab(alice, "Home").click()
    await expect(alice.get_by_role("heading", name="Link with your partner")).to_be_visible()
    await alice_context.close()
    await bob_context.close()
