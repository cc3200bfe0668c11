"""Live, on two phones side by side: a partner's red takes over the other's open home at once,
with no reload and no tap; "I see you" goes back the same way; a phone that was offline catches
up when it is back; right after pairing, each phone asks once for notifications, saying why."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.browser import axe, pair_partners, shot, watch_console

# The promise: the partner's open home shows a red within two seconds. How fast is
# measured by `make bench-live`, not here (a test asserts no time: on a loaded machine the red
# took longer than two seconds once). What this test proves is the path: while the stream is
# open the app polls nothing (js/live.js), so a change shown with no reload and no tap came
# through the live stream; the bound stays well under the 30 s catch-up of a dropped stream.
AT_ONCE_MS = 15_000


async def holds_the_stream(page: Page) -> None:
    await expect(page.locator("body")).to_have_attribute("data-live", "open")


async def test_a_red_takes_over_the_partners_open_home_and_i_see_you_answers_it(
    browser: Browser, server: str
) -> None:
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    errors = watch_console(alice) + watch_console(bob)
    await holds_the_stream(alice)
    await holds_the_stream(bob)
    await expect(alice.locator("#state")).to_have_text("Active")

    # Bob calls red, with a note.
    await bob.get_by_role("button", name="Red: stop everything").click()
    dialog = bob.get_by_role("dialog")
    await dialog.get_by_label("Anything Alice should know? (optional)").fill("I need a minute")
    await shot(bob, "live-red-dialog")
    await dialog.get_by_role("button", name="Call red").click()
    await expect(bob.locator("#state")).to_have_text("Paused")

    # Alice has not touched her phone: the red is on her home within two seconds.
    takeover = alice.locator("#partner-signal")
    await expect(takeover).to_contain_text("Bob called red", timeout=AT_ONCE_MS)
    await expect(takeover).to_contain_text("Bob: “I need a minute”")
    await expect(alice.locator("#state")).to_have_text("Paused")
    await holds_the_stream(alice)  # it came by the stream, not by a catch-up after a drop
    await shot(alice, "live-red-takeover")
    await axe(alice, "live red takeover")

    # Bob sees that he has been told, then that Alice sees him, with her words. What Alice
    # types stays while home is drawn again (Bob adds to his note meanwhile).
    await expect(bob.locator("#state-detail")).to_contain_text("Alice has been told.")
    words = takeover.get_by_label("A few words for Bob (optional)")
    await words.fill("I'm here.")
    await bob.get_by_role("button", name="Red: stop everything").click()
    dialog = bob.get_by_role("dialog")
    await dialog.get_by_label("Anything Alice should know? (optional)").fill("I need an hour")
    await dialog.get_by_role("button", name="Call red").click()
    await expect(takeover).to_contain_text("Bob: “I need an hour”", timeout=AT_ONCE_MS)
    await expect(words).to_have_value("I'm here.")
    await expect(words).to_be_focused()
    await words.fill("I'm here. Take your time.")
    await takeover.get_by_role("button", name="I see you").click()
    await expect(alice.locator("#seen-done")).to_contain_text("You told Bob you see them at")
    detail = bob.locator("#state-detail")
    await expect(detail).to_contain_text("Alice sees you: they saw your red at", timeout=AT_ONCE_MS)
    await expect(detail).to_contain_text("Alice: “I'm here. Take your time.”")
    await shot(bob, "live-red-seen")
    await axe(bob, "live red seen")

    # Bob lifts it: Alice's home lets go of the takeover, still without a reload.
    await bob.get_by_role("button", name="Resume").click()
    await bob.get_by_role("dialog").get_by_role("button", name="Resume").click()
    await expect(takeover).to_have_count(0, timeout=AT_ONCE_MS)
    await expect(alice.locator("#state")).to_have_text("Active")

    # A yellow with a note takes over too, in its own colour and words.
    await alice.get_by_role("button", name="Yellow: we need to talk").click()
    dialog = alice.get_by_role("dialog")
    await dialog.get_by_label("What would you like to talk about? (optional)").fill("tonight")
    await dialog.get_by_role("button", name="Raise yellow").click()
    bobs = bob.locator("#partner-signal")
    await expect(bobs).to_contain_text("Alice raised yellow", timeout=AT_ONCE_MS)
    await expect(bobs).to_contain_text("Alice: “tonight”")
    await expect(bob.locator("#state")).to_have_text("Active")
    await shot(bob, "live-yellow-takeover")
    assert errors == []
    await alice_context.close()
    await bob_context.close()


async def test_a_signal_on_a_page_nobody_has_tapped_yet_shows_without_an_error(
    browser: Browser, server: str
) -> None:
    """Bob's red stands when Alice opens the app in a new tab. Browsers allow vibration only
    after a tap on the page (Chromium logs its refusal as an error), and nobody has tapped the
    new tab: the red takes over its home, and the app does not ask to vibrate."""
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    await bob.get_by_role("button", name="Red: stop everything").click()
    await bob.get_by_role("dialog").get_by_role("button", name="Call red").click()
    await expect(alice.locator("#partner-signal")).to_contain_text("Bob called red")

    tab = await alice_context.new_page()
    errors = watch_console(tab)
    # Home asks for its live stream once it has drawn. Until then the test does nothing in the
    # page: Playwright acts and reads as a user gesture, which counts as a tap.
    async with tab.expect_request("**/api/events/ticket"):
        await tab.goto("/")
    await expect(tab.locator("#partner-signal")).to_contain_text("Bob called red")
    assert errors == []
    await alice_context.close()
    await bob_context.close()


async def test_a_phone_back_online_holds_the_stream_again_and_shows_what_it_missed(
    browser: Browser, server: str
) -> None:
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    await holds_the_stream(alice)
    await alice_context.set_offline(True)
    await expect(alice.locator("body")).to_have_attribute("data-live", "off")
    await bob.get_by_role("button", name="Red: stop everything").click()
    await bob.get_by_role("dialog").get_by_role("button", name="Call red").click()
    await expect(bob.locator("#state")).to_have_text("Paused")
    await alice_context.set_offline(False)
    await holds_the_stream(alice)
    await expect(alice.locator("#partner-signal")).to_contain_text("Bob called red")
    await alice_context.close()
    await bob_context.close()


async def test_after_pairing_each_phone_asks_once_for_notifications_and_says_why(
    browser: Browser, server: str
) -> None:
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    if await alice.evaluate("Notification.permission") != "default":
        raise AssertionError("this Chromium answers notification permission by itself")
    # The first minute comes first (it has its own notifications step); skipped, the ask shows.
    await expect(alice.locator("#notify-ask")).to_have_count(0)
    await alice.locator("#intro").get_by_role("button", name="Skip the rest").click()
    ask = alice.locator("#notify-ask")
    await expect(ask).to_contain_text("Let a red reach you")
    await expect(ask).to_contain_text("a red or yellow from Bob reaches this phone")
    await shot(alice, "live-notifications-ask")
    await axe(alice, "notifications ask")
    await ask.get_by_role("button", name="Not now").click()
    await expect(ask).to_have_count(0)
    await alice.reload()
    await expect(alice.get_by_role("heading", name="You and Bob")).to_be_visible()
    await expect(alice.locator("#notify-ask")).to_have_count(0)
    # Bob was not asked on Alice's behalf.
    await bob.locator("#intro").get_by_role("button", name="Skip the rest").click()
    await expect(bob.locator("#notify-ask")).to_be_visible()
    await alice_context.close()
    await bob_context.close()


async def test_a_live_redraw_leaves_the_keyboard_where_it_was(
    browser: Browser, server: str
) -> None:
    """Home is drawn again whenever the partner changes something: someone moving through it
    by keyboard stays on the control they reached (the redraw used to drop the focus)."""
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    await holds_the_stream(alice)
    await alice.locator("#yellow").focus()
    await bob.get_by_role("button", name="Yellow: we need to talk").click()
    await bob.get_by_role("dialog").get_by_role("button", name="Raise yellow").click()
    await expect(alice.locator("#partner-signal")).to_contain_text("Bob raised yellow")
    await expect(alice.locator("#yellow")).to_be_focused()
    await alice_context.close()
    await bob_context.close()
