"""The protocol screens in a real browser: two partners negotiate a protocol through the PWA.

Alice proposes (the form shows the server's 422 next to its fields first), Bob reviews and
agrees, the performer records a completion and the other acknowledges it, a renegotiation is
reviewed field by field and declined, a stale review is refused rather than agreed unread, one
withdrawal stops the protocol, a red refuses agreements, and the history tells all of it.
Screenshots (light and dark, 360 px wide) land in ``tests/artifacts/protocol-*.png``.
"""

from __future__ import annotations

import datetime as dt
import re

import httpx
from playwright.async_api import Browser, Page, expect

from tests.browser import (
    OFFLINE,
    axe,
    open_words,
    pair_partners,
    real_errors,
    refused,
    shot,
    stored_session,
    watch_console,
    without_live_stream,
)

TITLE = "Good-morning message"


async def open_list(page: Page) -> None:
    """The Protocols tab (opening the list catches up with the server)."""
    await page.locator("nav.tabs").get_by_role("link", name="Protocols").click()
    await expect(page.get_by_role("heading", name="Protocols", level=1)).to_be_visible()


async def open_protocol(page: Page, pid: str) -> None:
    """The list, then the protocol: the screens a person takes, each catching up on the way."""
    await open_list(page)
    await page.locator(f'a.proto-item[data-id="{pid}"]').click()
    await expect(page.locator("#protocol-status")).not_to_be_empty()


def protocol_id(page: Page) -> str:
    match = re.search(r"#/protocol/([0-9a-f-]{36})$", page.url)
    assert match, page.url
    return match.group(1)


async def test_protocol_negotiated_through_the_screens(server: str, browser: Browser) -> None:
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    alice_errors, bob_errors = watch_console(alice), watch_console(bob)

    # Alice: an empty list, then the form. Sent empty, the server's 422 lands by the fields.
    await open_list(alice)
    await expect(alice.locator("#no-protocols")).to_be_visible()
    await alice.get_by_role("link", name="Propose a protocol").click()
    await expect(alice.get_by_role("heading", name="Propose a protocol", level=1)).to_be_visible()
    form = alice.locator("#propose-form")
    await form.get_by_role("button", name="Propose", exact=True).click()
    await expect(alice.locator("#err-title")).to_have_text("Give it a title.")
    await expect(alice.locator("#err-kind")).not_to_be_empty()
    await expect(alice.locator("#err-performer_ids")).to_have_text("Choose who performs it.")
    await expect(form.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    await expect(alice.locator("#propose-error")).to_contain_text("need another look")
    await shot(alice, "protocol-propose-errors")

    await form.get_by_label("Title").fill(TITLE)
    await form.get_by_label("Description (optional)").fill("A few words when I wake up.")
    await form.get_by_label("Kind").select_option("communication")
    await form.get_by_label("Bob", exact=True).check()
    await form.get_by_label("At set times").check()
    await form.get_by_label("Time 1", exact=True).fill("08:00")
    await form.get_by_role("button", name="Add a time").click()
    await form.get_by_label("Time 2", exact=True).fill("07:30")
    await form.get_by_label("Sunday").uncheck()
    review_on = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    await form.get_by_label("Review date (optional)").fill(review_on)
    await shot(alice, "protocol-propose")
    await axe(alice, "protocol-propose")
    await form.get_by_role("button", name="Propose", exact=True).click()

    await expect(alice.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    await expect(alice.locator("#protocol-status")).to_contain_text("waiting for Bob")
    pid = protocol_id(alice)
    # What Alice proposes she agrees to; she cannot agree or decline it again.
    await expect(alice.locator("#agree")).to_have_count(0)
    await expect(alice.locator("#decline")).to_have_count(0)

    # Bob: the proposal waits for his answer; he reviews the exact terms and agrees.
    await open_list(bob)
    mine = bob.locator("#protocols-mine")
    await expect(mine.locator(f'a[data-id="{pid}"]')).to_contain_text(TITLE)
    await expect(mine).to_contain_text("Waiting for you")
    await shot(bob, "protocol-list")
    await axe(bob, "protocol-list")
    await mine.locator(f'a[data-id="{pid}"]').click()
    review = bob.locator("#review")
    await expect(review).to_contain_text("Proposed terms: version 1")
    terms = bob.locator("#proposed-terms")
    await expect(terms).to_contain_text("Communication")
    await expect(terms).to_contain_text("Mon, Tue, Wed, Thu, Fri, Sat at 07:30, 08:00")
    await expect(terms).to_contain_text("You")  # Bob performs it
    await expect(review).to_contain_text("Alice agrees to this version.")
    await shot(bob, "protocol-review")
    await axe(bob, "protocol-review")
    await bob.get_by_role("button", name="Agree to version 1").click()
    await expect(bob.locator("#protocol-status")).to_have_text(
        "In force: you both agreed to version 1."
    )
    await expect(bob.locator("#review")).to_have_count(0)

    # Alice sees it in force.
    await open_list(alice)
    await expect(alice.locator(f'#protocols-active a[data-id="{pid}"]')).to_contain_text("In force")
    await alice.locator(f'a.proto-item[data-id="{pid}"]').click()
    await expect(alice.locator("#protocol-status")).to_contain_text("you both agreed")
    # Only the performer records completions.
    await expect(alice.locator("#complete")).to_have_count(0)

    # Bob performs it; Alice acknowledges; Bob sees the acknowledgement.
    await bob.get_by_label("Note (optional)").fill("Sent before coffee")
    await bob.get_by_role("button", name="I did it").click()
    await expect(bob.locator("#protocol-notice")).to_contain_text("Recorded")
    await expect(bob.locator("#completions")).to_contain_text("You did it")
    await expect(bob.locator("#completions")).to_contain_text("Not acknowledged yet")
    adherence = await bob.locator("#adherence").inner_text()
    assert re.match(r"(Done \d+ of \d+ scheduled times|Nothing was due)", adherence), adherence
    assert "streak" not in (await bob.locator("#screen").inner_text()).lower()

    await open_protocol(alice, pid)
    done = alice.locator("#completions li").first
    await expect(done).to_contain_text("Bob did it")
    await expect(done).to_contain_text("Sent before coffee")
    await done.get_by_label("Note to Bob (optional)").fill("Thank you")
    await done.get_by_role("button", name="Acknowledge").click()
    await expect(alice.locator("#completions")).to_contain_text("Acknowledged by you")
    await expect(alice.get_by_role("button", name="Acknowledge")).to_have_count(0)
    await alice.locator("#follow-through").evaluate("e => e.scrollIntoView({block: 'start'})")
    await shot(alice, "protocol-follow-through")
    await open_protocol(bob, pid)
    await expect(bob.locator("#completions")).to_contain_text("Acknowledged by Alice")
    await expect(bob.locator("#completions")).to_contain_text("Thank you")

    # Offline, a completion waits on the phone and is sent once back online; retiring (which
    # needs fresh state) is refused plainly instead.
    await bob_context.set_offline(True)
    await bob.get_by_role("button", name="I did it").click()
    await expect(bob.locator("#protocol-notice")).to_contain_text("Saved on this phone")
    await expect(bob.locator("#completions")).to_contain_text("waiting to be sent")
    await shot(bob, "protocol-offline-completion")
    await bob.get_by_role("button", name="Retire").click()
    await expect(bob.locator("#protocol-error")).to_contain_text("You are offline")
    await expect(bob.get_by_role("dialog")).to_have_count(0)
    await bob_context.set_offline(False)
    await expect(bob.locator("#completions")).not_to_contain_text("waiting to be sent")
    await expect(bob.locator("#completions li")).to_have_count(2)
    await expect(bob.locator("#protocol-status")).to_contain_text("In force")

    # Alice renegotiates: the agreed version stays in force meanwhile.
    await alice.get_by_role("link", name="Renegotiate").click()
    await expect(alice.get_by_role("heading", level=1)).to_have_text(f"Renegotiate “{TITLE}”")
    form = alice.locator("#propose-form")
    await expect(form.get_by_label("Title")).to_have_value(TITLE)
    await expect(form.get_by_label("Bob", exact=True)).to_be_checked()
    await form.get_by_label("Title").fill("Morning message")
    await form.get_by_label("Description (optional)").fill("A few words and a photo of the sky.")
    await shot(alice, "protocol-renegotiate")
    await form.get_by_role("button", name="Propose this change").click()
    await expect(alice.locator("#protocol-status")).to_contain_text("waits for Bob")
    await expect(alice.get_by_role("heading", level=1)).to_have_text(TITLE)

    # Bob reviews the change field by field, old against new, and declines it.
    await open_protocol(bob, pid)
    await expect(bob.locator("#review")).to_contain_text("Proposed change: version 2")
    title_row = bob.locator('#diff [data-field="title"]')
    await expect(title_row.locator(".proto-was")).to_contain_text(TITLE)
    await expect(title_row.locator(".proto-new")).to_contain_text("Morning message")
    description_row = bob.locator('#diff [data-field="description"]')
    await expect(description_row.locator(".proto-was")).to_contain_text("A few words when")
    await expect(description_row.locator(".proto-new")).to_contain_text("photo of the sky")
    await expect(bob.locator('#diff [data-field="schedule"]')).to_have_count(0)
    await expect(bob.locator("#review")).to_contain_text("Unchanged: kind, who performs it")
    await shot(bob, "protocol-review-change")
    await axe(bob, "protocol-review-change")
    await (
        bob.locator("#review")
        .get_by_label("Reason (optional; kept in the history)")
        .fill("The first one is fine")
    )
    await bob.get_by_role("button", name="Decline", exact=True).click()
    await expect(bob.locator("#protocol-notice")).to_contain_text("agreed terms stay in force")
    await expect(bob.locator("#protocol-status")).to_have_text(
        "In force: you both agreed to version 1."
    )
    await expect(bob.get_by_role("heading", level=1)).to_have_text(TITLE)

    # The conflict: Bob reads version 3; Alice replaces it with version 4 before Bob answers
    # (on a phone that has not heard of it yet: with its live stream, the screen would show
    # version 4 at once).
    await without_live_stream(bob)
    await open_words(bob)  # the reload forgot the keys that open the protocol's words
    await renegotiate(alice, pid, "Morning text")
    await open_protocol(bob, pid)
    read = bob.get_by_role("button", name=re.compile(r"^Agree to version \d+$"))
    read_label = await read.inner_text()
    await expect(bob.locator('#diff [data-field="title"] .proto-new')).to_contain_text(
        "Morning text"
    )
    await renegotiate(alice, pid, "Morning voice note")
    await expect(bob.locator('#diff [data-field="title"] .proto-new')).to_contain_text(
        "Morning text"
    )  # Bob's screen is stale, and nothing told him yet
    await read.click()
    await expect(bob.locator("#protocol-error")).to_contain_text(
        "It changed while you were reading it, so nothing was agreed"
    )
    # Nothing was agreed: the old terms stay in force, and the new version is shown for review.
    await expect(bob.locator("#protocol-status")).to_contain_text("In force as agreed")
    await expect(bob.get_by_role("heading", level=1)).to_have_text(TITLE)
    await expect(bob.locator('#diff [data-field="title"] .proto-new')).to_contain_text(
        "Morning voice note"
    )
    again = bob.get_by_role("button", name=re.compile(r"^Agree to version \d+$"))
    assert await again.inner_text() != read_label
    await shot(bob, "protocol-stale")
    await again.click()
    await expect(bob.get_by_role("heading", level=1)).to_have_text("Morning voice note")
    await expect(bob.locator("#protocol-status")).to_contain_text("In force: you both agreed")
    await expect(bob.locator("#protocol-error")).to_be_empty()

    # Withdrawing consent asks first (cancel changes nothing), then stops it at once.
    await bob.get_by_role("button", name="Withdraw consent").click()
    dialog = bob.get_by_role("dialog")
    await expect(dialog.get_by_role("heading", name="Withdraw consent?")).to_be_visible()
    await dialog.get_by_role("button", name="Cancel").click()
    await expect(bob.locator("#protocol-status")).to_contain_text("In force")
    await bob.get_by_label("Reason (optional; kept in the history)").fill("Too much this week")
    await bob.get_by_role("button", name="Withdraw consent").click()
    await shot(bob, "protocol-withdraw-confirm")
    await dialog.get_by_role("button", name="Withdraw consent").click()
    await expect(bob.locator("#protocol-status")).to_contain_text("Stopped: consent was withdrawn")
    await expect(bob.locator("#complete")).to_have_count(0)
    await expect(bob.locator("#withdraw")).to_have_count(0)
    await open_protocol(alice, pid)
    await expect(alice.locator("#protocol-status")).to_contain_text("Stopped")

    # While a red stands, an agreement is refused, and the screen says why.
    stored = await stored_session(alice)
    assert stored
    async with httpx.AsyncClient(base_url=server) as http:
        dynamics = await http.get(
            "/api/dynamics", headers={"Authorization": f"Bearer {stored['access_token']}"}
        )
        dynamic_id = dynamics.json()["items"][0]["id"]
        red = await http.post(
            f"/api/dynamics/{dynamic_id}/red",
            headers={"Authorization": f"Bearer {stored['access_token']}"},
            json={},
        )
        assert red.status_code == 200, red.text
    await bob.get_by_role("button", name=re.compile(r"^Agree to version \d+$")).click()
    await expect(bob.locator("#protocol-error")).to_contain_text("A red stands")
    await expect(bob.locator("#paused-note")).to_be_visible()
    await expect(bob.locator("#protocol-status")).to_contain_text("Stopped")

    # The history: who did what, and when, newest first.
    events = bob.locator("#history-events")
    for text in (
        "Alice proposed version 1",
        "You agreed to version 1",
        "Version 1 came into force: you both agreed",
        "Alice proposed a change: version 2",
        "You declined version 2",
        "Reason: The first one is fine",
        "You withdrew consent",
        "Reason: Too much this week",
        "It stopped at once",
    ):
        await expect(events).to_contain_text(text)
    await expect(events.locator("li[data-action]").first).to_contain_text("It stopped at once")
    await expect(events.locator('li[data-action="renegotiated"]').first).to_contain_text(
        "Title: Morning text → Morning voice note"
    )
    # Version 3 was made from the terms in force (version 2 was declined), not from version 2.
    third = events.locator('li[data-action="renegotiated"]').nth(1)
    await expect(third).to_contain_text("version 3")
    await expect(third).to_contain_text("Title: Good-morning message → Morning text")
    await expect(third).not_to_contain_text("Description")
    await expect(events.locator("time").first).to_have_attribute("datetime", re.compile(r"^\d{4}-"))
    await bob.locator("#history").evaluate("e => e.scrollIntoView({block: 'start'})")
    await shot(bob, "protocol-history")
    await axe(bob, "protocol-history")

    # Stopping never waits for a red to be lifted: retiring asks first, then closes it for good.
    await bob.get_by_role("button", name="Retire").click()
    await bob.get_by_role("dialog").get_by_role("button", name="Retire").click()
    await expect(bob.locator("#protocol-status")).to_have_text(
        "Retired: none of it is in force any more."
    )
    await expect(bob.locator("#manage")).to_have_count(0)
    await expect(bob.locator("#agree")).to_have_count(0)
    await open_list(bob)
    await expect(bob.locator(f'#protocols-closed a[data-id="{pid}"]')).to_contain_text("Retired")

    assert real_errors(alice_errors, refused(409), refused(422), OFFLINE) == []
    assert real_errors(bob_errors, refused(409), refused(422), OFFLINE) == []
    await alice_context.close()
    await bob_context.close()


async def renegotiate(page: Page, pid: str, title: str) -> None:
    """Alice's renegotiation of the title, through the protocol's page and the form."""
    await open_protocol(page, pid)
    await page.get_by_role("link", name="Renegotiate").click()
    form = page.locator("#propose-form")
    await form.get_by_label("Title").fill(title)
    await form.get_by_role("button", name="Propose this change").click()
    await expect(page.locator("#protocol-status")).to_contain_text("waits for Bob")
