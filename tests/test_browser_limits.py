"""The limits screen, second version, in a real browser with two partners on two phones: the
partner's hard limits and no's sit at the top; a yes to one of them says so right there;
directions and a condition on a maybe; matches and things to talk about; a proposal started
from a match, and a warning before sending one that names a hard limit; leaving with unsaved
answers asks first (in-app links and closing the page); what was shown and withdrawn stays
visible to both, and the partner's inbox counts every save."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser, Dialog, Locator, Page, expect

from tests.browser import axe, pair_partners, shot, watch_console
from tests.test_browser_settings import real_errors


def item(page: Page, key: str) -> Locator:
    return page.locator(f'fieldset.limit-item[data-item="{key}"]')


async def open_item(page: Page, key: str) -> Locator:
    """The item's row, its category opened if needed (once the screen has drawn it)."""
    row = item(page, key)
    await expect(row).to_be_attached()
    group = page.locator("details.limit-group").filter(has=row)
    if await group.count() and not await group.evaluate("d => d.open"):
        await group.locator("summary").click()
    return row


async def choose(page: Page, key: str, value: str, role: str = "either") -> None:
    row = await open_item(page, key)
    await (
        row.locator(f'fieldset.lim-dir[data-role="{role}"]').get_by_label(value, exact=True).check()
    )


async def save(page: Page) -> None:
    await page.get_by_role("button", name="Save my answers").click()
    await expect(page.locator("#limits-status")).to_contain_text("Saved.")


async def test_the_limits_screen(server: str, browser: Browser) -> None:
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    errors = watch_console(alice) + watch_console(bob)
    try:
        # ---- Bob: a hard limit, a no, a yes, and a maybe for receiving with a condition
        await bob.goto("/#/limits")
        await expect(bob.get_by_role("heading", name="Limits and desires", level=1)).to_be_visible()
        await expect(bob.locator("#partner-limits")).to_contain_text(
            "Alice hasn't marked any hard limits or no's yet."
        )
        await choose(bob, "restraint.rope", "Hard limit")
        await choose(bob, "verbal.degradation", "No")
        await choose(bob, "care.praise", "Yes")
        spanking = await open_item(bob, "sensation.spanking_hand")
        await spanking.get_by_label("Answer for giving and receiving apart").check()
        await choose(bob, "sensation.spanking_hand", "Maybe", "receiving")
        condition = spanking.get_by_label("What would make Spanking by hand (receiving) a yes")
        await expect(condition).to_be_visible()
        await condition.fill("Gently, and we check in after")
        await save(bob)

        # ---- Alice: Bob's limits are the first thing on her screen, not folded away
        await alice.goto("/#/limits")
        safety = alice.locator("#partner-limits")
        await expect(safety.locator(".lim-hard-list li")).to_have_text(["Rope bondage"])
        await expect(safety.locator(".lim-no-list li")).to_have_text(["Degradation or humiliation"])
        await expect(safety).to_be_in_viewport(ratio=1)
        # Bob's yes and maybe are private: nothing of them shows.
        await expect(alice.locator("#matches")).to_contain_text("No matches yet")
        await expect(item(alice, "care.praise").locator(".lim-partner")).to_have_count(0)
        await alice.evaluate("window.scrollTo(0, 0)")
        await shot(alice, "limits2-safety")

        # A yes to Bob's hard limit says so right there.
        await choose(alice, "restraint.rope", "Yes")
        warning = item(alice, "restraint.rope").locator(".lim-warn")
        await expect(warning).to_have_text(
            "This is a hard limit for Bob, so it stays off the table: your answer won't show "
            "up as a match."
        )
        await item(alice, "restraint.rope").scroll_into_view_if_needed()
        await shot(alice, "limits2-hard-limit-warning")
        await choose(alice, "restraint.rope", "No")
        await expect(warning).to_be_hidden()

        # ---- No lost answers: the in-app router asks first
        # The question reaches the test as an event after the click has returned (a full run
        # once read the list before it came): each one is awaited.
        asked: asyncio.Queue[Dialog] = asyncio.Queue()

        async def dismiss(dialog: Dialog) -> None:
            await dialog.dismiss()
            asked.put_nowait(dialog)

        alice.on("dialog", dismiss)
        await alice.get_by_role("link", name="Home").click()
        question = await asyncio.wait_for(asked.get(), 10)
        assert question.type == "confirm" and "haven't saved" in question.message
        await expect(alice.locator("#limits-status")).to_have_text("Not saved yet.")
        assert alice.url.endswith("#/limits")
        # ... and so does closing the page (the browser's own question).
        await alice.close(run_before_unload=True)
        assert (await asyncio.wait_for(asked.get(), 10)).type == "beforeunload"
        await expect(alice.locator("#limits-status")).to_have_text("Not saved yet.")
        assert asked.empty()
        assert not alice.is_closed()
        alice.remove_listener("dialog", dismiss)

        # ---- Alice gives, Bob receives: a yes meets his maybe; praise is a match
        await choose(alice, "care.praise", "Yes")
        spanking = await open_item(alice, "sensation.spanking_hand")
        await spanking.get_by_label("Answer for giving and receiving apart").check()
        await choose(alice, "sensation.spanking_hand", "Yes", "giving")
        await choose(alice, "sensation.spanking_hand", "No", "receiving")
        await spanking.scroll_into_view_if_needed()
        await shot(alice, "limits2-directions")
        await save(alice)
        await expect(alice.locator("#matches .lim-match-name")).to_have_text(["Praise"])
        talk = alice.locator("#talk li")
        await expect(talk.locator(".lim-match-name")).to_have_text(["Spanking by hand"])
        await expect(talk.locator(".lim-side")).to_have_text("You give, Bob receives")
        await expect(talk.locator(".lim-match-condition")).to_have_text(
            "Bob: Maybe — “Gently, and we check in after”"
        )
        await expect(item(alice, "care.praise").locator(".lim-history")).to_contain_text(
            "Shown to both of you on"
        )
        await alice.evaluate("window.scrollTo(0, 0)")
        await shot(alice, "limits2-matches")
        await axe(alice, "limits2")

        # Bob sees the same, from his side, and his inbox counts Alice's save.
        await bob.reload()
        await expect(bob.locator("#talk .lim-side")).to_have_text("Alice gives, you receive")
        await expect(bob.locator("#matches .lim-match-name")).to_have_text(["Praise"])
        await expect(item(bob, "sensation.spanking_hand").locator(".lim-partner")).to_have_text(
            ["Alice: Yes (giving)", "Alice: No (receiving)"]
        )
        await bob.goto("/#/inbox")
        await expect(bob.locator('#inbox li[data-kind="limits_updated"]').first).to_contain_text(
            "Alice changed 4 answers about limits; 2 now meet your answers, so you both see them"
        )

        # ---- From a match to a proposal, warned about a hard limit it names. With an answer
        # not saved yet, it asks first; staying keeps no draft behind.
        await choose(alice, "care.rewards", "Maybe")
        propose = alice.locator("#matches").get_by_role("button", name="Propose from this: Praise")
        alice.once("dialog", dismiss)
        await propose.click()
        assert (await asyncio.wait_for(asked.get(), 10)).type == "confirm"
        await expect(alice.locator("#limits-status")).to_have_text("Not saved yet.")
        assert alice.url.endswith("#/limits")
        assert await alice.evaluate("sessionStorage.length") == 0

        async def accept(dialog: Dialog) -> None:
            await dialog.accept()

        alice.once("dialog", accept)
        await propose.click()
        await expect(alice.get_by_role("heading", name="Propose a protocol")).to_be_visible()
        await expect(alice.locator("#p-title")).to_have_value("Praise")
        await expect(alice.locator("#p-description")).to_have_value(
            "From our limits: we both said yes to Praise."
        )
        await alice.locator("#p-description").fill(
            "From our limits: we both said yes to Praise. Maybe with rope bondage too?"
        )
        await alice.locator("#p-kind").select_option("care")
        await alice.get_by_label("Bob", exact=True).check()
        await alice.get_by_role("button", name="Propose").click()
        limits_warning = alice.locator("#limits-warning")
        await expect(limits_warning).to_contain_text("“Rope bondage” is a hard limit for Bob.")
        await expect(limits_warning).to_contain_text("“Rope bondage” is a no for you.")
        await shot(alice, "limits2-proposal-warning")
        # Said once: pressing again sends it as it is.
        await alice.get_by_role("button", name="Propose").click()
        await expect(alice.get_by_role("heading", name="Praise")).to_be_visible()

        # ---- Taking it back: both see "withdrawn by Alice"
        await alice.goto("/#/limits")
        row = await open_item(alice, "care.praise")
        await row.get_by_role("button", name="Clear my answer to Praise").click()
        await save(alice)
        await expect(alice.locator("#withdrawn")).to_contain_text("withdrawn by you")
        await bob.goto("/#/limits")
        await expect(bob.locator("#withdrawn")).to_contain_text("Praise")
        await expect(bob.locator("#withdrawn")).to_contain_text("withdrawn by Alice")
        await expect(item(bob, "care.praise").locator(".lim-history")).to_contain_text(
            "withdrawn by Alice"
        )
        await expect(bob.locator("#matches")).to_contain_text("No matches yet")
        await bob.locator("#withdrawn").scroll_into_view_if_needed()
        await shot(bob, "limits2-withdrawn")
        assert real_errors(errors) == []
    finally:
        await alice_context.close()
        await bob_context.close()
