"""A review in a real browser: two partners (two phone contexts) answer privately, the answers
show only once both submitted, side by side with the agenda, and a renegotiation opened from
the agenda goes through the consent flow and is agreed. Screenshots (light and dark, 360 px
wide) land in ``tests/artifacts/review-*.png``."""

from __future__ import annotations

import re

import httpx
from playwright.async_api import Browser, Page, expect

from tests.browser import (
    OFFLINE,
    axe,
    pair_partners,
    propose_sealed,
    real_errors,
    refused,
    shot,
    stored_session,
    watch_console,
)
from tests.conftest import Served
from tests.test_browser_private_words import clear_text_in

TITLE = "Morning words"
ALICE_WORDS = "Our Sunday walks felt close"


async def token(page: Page) -> dict[str, str]:
    stored = await stored_session(page)
    assert stored is not None
    return {"Authorization": f"Bearer {stored['access_token']}"}


async def open_reviews(page: Page) -> None:
    await page.goto("/#/review")
    await expect(page.get_by_role("heading", name="Reviews", level=1)).to_be_visible()


async def test_two_partners_review_then_renegotiate_from_the_agenda(
    served: Served, server: str, browser: Browser
) -> None:
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    alice_errors, bob_errors = watch_console(alice), watch_console(bob)
    # A protocol both agreed to, through the API (the protocol screens have their own tests),
    # its words sealed as Alice's phone would send them (both phones have keys since sign-up).
    async with httpx.AsyncClient(base_url=server) as api:
        a, b = await token(alice), await token(bob)
        dynamic = (await api.get("/api/dynamics", headers=a)).json()["items"][0]
        bob_id = next(m["user_id"] for m in dynamic["members"] if m["display_name"] == "Bob")
        proposed = await propose_sealed(
            server, alice, dynamic["id"], TITLE, "", kind="communication", performer_ids=[bob_id]
        )
        pid = proposed["id"]
        agreed = await api.post(f"/api/protocols/{pid}/agree", json={"version": 1}, headers=b)
        assert agreed.status_code == 200, agreed.text

    # Alice sets a rhythm and starts a review.
    await open_reviews(alice)
    await alice.locator("#r-cadence").select_option("14")
    await alice.get_by_role("button", name="Save the rhythm").click()
    await expect(alice.locator("#next-review")).to_contain_text("Next review on")
    await shot(alice, "review-start")
    await axe(alice, "review-start")
    await alice.get_by_role("button", name="Start a review now").click()
    form = alice.locator("#review-form")
    await expect(form).to_be_visible()
    await shot(alice, "review-questions")
    await form.get_by_label("I feel as important to this relationship as my partner").select_option(
        "3"
    )
    await form.locator("#r-deal").select_option("-1")
    await form.get_by_label("Care: I gave").select_option("5")
    await form.get_by_label("Care: I received").select_option("3")
    await form.get_by_label(TITLE).select_option("change")
    await form.locator(f"#r-comment-{pid}").fill("Shorter on weekdays")
    await form.get_by_label("What went well?").fill(ALICE_WORDS)
    await form.get_by_label("What I wish for").fill("More play")
    await shot(alice, "review-answer")
    await axe(alice, "review-answer")
    await form.get_by_role("button", name="Send my answers").click()
    await alice.locator("dialog").get_by_role("button", name="Send my answers").click()
    await expect(alice.locator("#review-waiting")).to_contain_text("Bob has not answered yet")

    # Bob: his updates say so, and the review waits for him on home; it opens sealed (nothing
    # of Alice's answers on screen).
    await bob.goto("/#/inbox")
    started = bob.locator("#inbox").get_by_role("link", name=re.compile("Alice started a review"))
    await expect(started).to_have_attribute(
        "href", re.compile(r"^#/dynamics/[0-9a-f-]{36}/review/[0-9a-f-]{36}$")
    )
    await bob.goto("/#/home")
    entry = bob.locator("#waiting-for-you .waiting-review a")
    await expect(entry).to_contain_text("A review to answer")
    await entry.evaluate("e => e.scrollIntoView({ block: 'center' })")
    await shot(bob, "review-home")
    await entry.click()
    await expect(bob.locator("#review-partner-done")).to_contain_text("Alice has answered")
    assert ALICE_WORDS not in await bob.locator("#screen").inner_text()
    bob_form = bob.locator("#review-form")
    await bob_form.get_by_label(
        "I feel as important to this relationship as my partner"
    ).select_option("5")
    await bob_form.get_by_label(TITLE).select_option("keep")
    await bob_form.get_by_label("What went well?").fill("Your messages every morning")
    await bob_form.get_by_role("button", name="Save for now").click()
    await expect(bob_form).to_contain_text("Saved. Only you can see them.")
    # Bob sends his answers on a train: kept on the phone, sent once he is back online.
    await bob_context.set_offline(True)
    await bob_form.get_by_role("button", name="Send my answers").click()
    await bob.locator("dialog").get_by_role("button", name="Send my answers").click()
    await expect(bob_form).to_contain_text("saved on this phone")
    await expect(alice.locator("#review-waiting")).to_be_visible()
    await bob_context.set_offline(False)

    # Revealed for both, side by side, with the agenda.
    table = bob.locator("#side-by-side")
    await expect(table).to_contain_text(ALICE_WORDS)
    await expect(table).to_contain_text("Your messages every morning")
    await expect(alice.locator("#side-by-side")).to_contain_text("Your messages every morning")
    agenda = alice.locator("#agenda")
    await expect(agenda).to_contain_text("Alice would like to change it")
    # The server cannot read the title, so its agenda says "One of your protocols": the phone,
    # which can, names it.
    await expect(agenda.locator("li").first).to_contain_text(
        re.compile(f"^\u201c{TITLE}\u201d: (Alice|Bob) would like")
    )
    await expect(alice.locator("#side-by-side")).to_contain_text(
        "Change it — “Shorter on weekdays”"
    )
    await shot(alice, "review-revealed")
    await axe(alice, "review-revealed")
    await agenda.scroll_into_view_if_needed()
    await shot(alice, "review-agenda")

    # From the agenda, one tap to the pre-filled renegotiation; Bob agrees to it.
    await agenda.get_by_role("link", name="Renegotiate").first.click()
    await expect(alice.get_by_role("heading", name=f"Renegotiate “{TITLE}”")).to_be_visible()
    await expect(alice.locator("#p-title")).to_have_value(TITLE)
    await alice.locator("#p-title").fill("Short morning words")
    await alice.get_by_role("button", name="Propose this change").click()
    await expect(alice.locator("#protocol-status")).to_contain_text("Bob")
    await bob.goto(f"/#/protocol/{pid}")
    await bob.get_by_role("button", name="Agree to version 2").click()
    await expect(bob.locator("#protocol-status")).to_contain_text("you both agreed to version 2")

    # Closing with a shared summary; both see it.
    await alice.go_back()
    await alice.go_back()
    await expect(alice.locator("#close-form")).to_be_visible()
    await alice.get_by_label("What did you decide together?").fill("Shorter morning words")
    await alice.get_by_role("button", name="Close the review").click()
    await expect(alice.locator("#review-summary")).to_contain_text("Shorter morning words")
    await open_reviews(bob)
    await expect(bob.locator("#past-reviews")).to_contain_text("Shorter morning words")
    await shot(bob, "review-list")
    # Their words were private (both phones have keys): sealed on the phones, so no table holds
    # them. (The summary here is also the new protocol title, which is not encrypted yet.)
    async with httpx.AsyncClient(base_url=server) as api:
        keys = await api.get(f"/api/dynamics/{dynamic['id']}/keys", headers=await token(bob))
        assert keys.json()["state"] == "sealed", keys.text
    written = (ALICE_WORDS, "More play", "Your messages every morning", "Shorter on weekdays")
    assert clear_text_in(str(served.data_dir / "accord.db"), written) == []
    expected = (refused(409), refused(422), OFFLINE)
    assert real_errors(alice_errors, *expected) == []
    assert real_errors(bob_errors, *expected) == []
    await alice_context.close()
    await bob_context.close()
