"""The check-in, check-ins and balance screens in a real browser (Debian's chromium, a 360 px
phone): a check-in in three taps from home, needs answered by the partner, the balance view
identical for both partners, and a refused check-in explained. Each screen is screenshotted in
light and dark and checked with axe-core.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from playwright.async_api import Browser, Locator, Page, expect

from tests.browser import (
    AXE,
    OFFLINE,
    api,
    pair_partners,
    real_errors,
    refused,
    shot,
    watch_console,
    without_live_stream,
)
from tests.browser import axe as run_axe


async def axe(page: Page, name: str) -> None:
    """tests.browser.axe, with axe-core loaded first through the DevTools protocol: the app's
    CSP (script-src 'self') refuses the inline <script> that ``add_script_tag`` would add."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE.read_text() + "\n;undefined")
    await run_axe(page, name)


async def test_checkin_needs_and_balance(server: str, browser: Browser) -> None:
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    alice_errors, bob_errors = watch_console(alice), watch_console(bob)
    dynamic = (await api(server, alice, "GET", "/api/dynamics"))["items"][0]
    checkins_path = f"/api/dynamics/{dynamic['id']}/checkins"

    # A check-in in three taps from home: the "Check in" tab, a mood, Save.
    taps = 0

    async def tap(target: Locator) -> None:
        nonlocal taps
        await target.click()
        taps += 1

    started = datetime.now(UTC)
    await tap(alice.get_by_role("navigation", name="Main").get_by_role("link", name="Check in"))
    await expect(alice.get_by_role("heading", name="Check in", level=1)).to_be_visible()
    await shot(alice, "checkin")
    await axe(alice, "checkin")
    await tap(alice.get_by_label("4 — good"))
    await tap(alice.get_by_role("button", name="Save", exact=True))
    await expect(alice.get_by_role("heading", name="You and Bob")).to_be_visible()
    await expect(alice.locator("#toast")).to_contain_text("Checked in")
    assert taps == 3
    stored = (await api(server, alice, "GET", checkins_path))["items"]
    assert [(c["mood"], c["needs"], c["gave"]) for c in stored] == [(4, [], None)]
    occurred = datetime.fromisoformat(stored[0]["occurred_at"])
    assert abs((occurred - started).total_seconds()) < 60

    # One check-in each is not enough for a verdict: the balance says so, kindly.
    await alice.get_by_role("navigation", name="Main").get_by_role("link", name="Balance").click()
    await expect(alice.locator("#verdict")).to_have_text("Too early to tell")
    await expect(alice.locator("#reasons")).to_contain_text("at least 2")
    await expect(alice.locator("#verdict-card")).to_contain_text("nothing is wrong")
    await expect(alice.locator("#next-step")).to_contain_text("A check-in or two")
    await shot(alice, "balance-not-enough")
    await axe(alice, "balance-not-enough")

    # A longer check-in, with needs: a custom need over 24 characters is refused in words.
    await alice.get_by_role("navigation", name="Main").get_by_role("link", name="Check in").click()
    form = alice.locator("#checkin-form")
    await form.get_by_label("2 — low", exact=True).click()
    await form.locator("#energy-field").get_by_label("3 — medium").click()
    await form.locator("#gave-field").get_by_label("5 — very much").click()
    await form.locator("#received-field").get_by_label("2 — a little").click()
    await form.get_by_label("Reassurance").check()
    own_need = form.get_by_label("Something else, in your own words")
    await own_need.fill("a very long custom need indeed")
    await form.get_by_label("Bob, clearly").click()
    await form.get_by_label("A note (optional)").fill("A long week.")
    await shot(alice, "checkin-filled")
    await form.get_by_role("button", name="Save check-in").click()
    alert = alice.get_by_role("alert")
    await expect(alert).to_contain_text("Needs")
    await expect(alert).to_contain_text("24 characters at most")
    await shot(alice, "checkin-refused")
    assert len((await api(server, alice, "GET", checkins_path))["items"]) == 1
    await own_need.fill("Foot rub")
    await form.get_by_role("button", name="Save", exact=True).click()
    await expect(alice.get_by_role("heading", name="You and Bob")).to_be_visible()
    latest = (await api(server, alice, "GET", checkins_path))["items"][0]
    # Both have keys, so their words are private (docs/e2ee.md): the fixed chip stays in clear,
    # her own need and her note are envelopes that Bob's phone opens below.
    assert latest["needs"][0] == "reassurance" and set(latest["needs"][1]) == {"v", "n", "c"}
    assert (latest["mood"], latest["energy"], latest["gave"], latest["received"]) == (2, 3, 5, 2)
    assert latest["deal"] == -2 and set(latest["note"]) == {"v", "n", "c"}

    # Bob checks in twice (by the API); he feels he gets the better deal.
    for mood in (4, 5):
        body = {"mood": mood, "gave": 2, "received": 5, "deal": 2}
        await api(server, bob, "POST", checkins_path, body)

    # Bob finds Alice's open needs first, and answers "On it", then "Done".
    await bob.goto("/#/checkins")
    await expect(bob.get_by_role("heading", name="Check-ins", level=1)).to_be_visible()
    need = bob.locator("#open-needs .cards > li").filter(has_text="Foot rub")
    await expect(need).to_be_visible()
    await expect(need).to_contain_text("Reassurance")
    await expect(need).to_contain_text("A long week.")
    # Her first check-in raised no need, so it is not an open one.
    await expect(bob.locator("#open-needs .cards > li")).to_have_count(1)
    await shot(bob, "checkins-open-needs")
    await axe(bob, "checkins")
    await need.get_by_label("A note back (optional)").fill("Coming over tonight")
    await need.get_by_role("button", name="On it").click()
    await expect(bob.locator("#checkins-status")).to_have_text("Sent to Alice: On it.")
    await expect(need).to_contain_text("Your answer so far: On it")
    await expect(need).to_contain_text("Bob: On it — Coming over tonight")
    await need.get_by_role("button", name="Done").click()
    await expect(bob.locator("#open-needs .cards > li")).to_have_count(0)
    await expect(bob.locator("#open-needs")).to_contain_text("no open needs")
    answered = bob.locator("#recent .cards > li").filter(has_text="Foot rub")
    await expect(answered).to_contain_text("You: Done")
    await shot(bob, "checkins-answered")
    latest = (await api(server, alice, "GET", checkins_path))["items"]
    assert [c["response_kind"] for c in latest if c["needs"]] == ["done"]

    # Alice sees the answers to her check-in.
    await alice.goto("/#/checkins")
    mine = alice.locator("#recent .cards > li").filter(has_text="Foot rub")
    await expect(mine).to_contain_text("Bob: Done")
    await expect(mine.locator(".responses li")).to_have_count(2)
    await expect(mine.locator(".responses")).to_contain_text("Bob: On it — Coming over tonight")
    await expect(alice.locator("#open-needs")).to_contain_text("Bob has no open needs")
    await shot(alice, "checkins-mine")
    await axe(alice, "checkins-mine")

    # The balance: words first, charts naming both behind "details", the weekly trend, and the
    # same words for both partners.
    texts = []
    for page in (alice, bob):
        await page.goto("/#/balance")
        await expect(page.locator("#verdict")).to_have_text("Out of balance")
        await expect(page.locator("#balance-details")).not_to_have_attribute("open", "")
        await page.locator("#balance-details summary").click()
        await expect(page.locator("#trend svg.chart")).to_have_count(3)
        await expect(page.locator("#balance-details svg.chart")).to_have_count(4)
        charts = page.locator("#balance-details svg.chart")
        for chart in await charts.all():
            label = await chart.get_attribute("aria-label") or ""
            assert "Alice" in label and "Bob" in label, label
        await expect(page.locator("#chart-gave text", has_text="Alice")).to_have_count(1)
        await expect(page.locator("#balance-table thead")).to_contain_text("Alice")
        texts.append(
            (
                await page.locator("#verdict-card").inner_text(),
                await page.locator("#in-numbers").inner_text(),
                [await c.get_attribute("aria-label") for c in await charts.all()],
            )
        )
    assert texts[0] == texts[1]
    reasons = texts[0][0]
    assert "Alice has been giving more than receiving these four weeks." in reasons
    assert "resentment" not in reasons and "guilt" not in reasons
    assert not re.search(r"\d\.\d", reasons)
    await shot(bob, "balance")
    await axe(bob, "balance")
    for part in ("chart-gave", "chart-share", "in-numbers"):
        await bob.locator(f"#{part}").scroll_into_view_if_needed()
        await shot(bob, f"balance-{part}")

    # The window switch asks for another window; the answer is still the same for both.
    await bob.get_by_label("7 days").check()
    await expect(bob).to_have_url(re.compile(r"#/balance/7$"))
    await expect(bob.locator("#verdict")).to_have_text("Out of balance")
    await expect(bob.locator("#in-numbers")).to_contain_text("Check-ins")

    # While a red stands, checking in is still possible (that is when it matters most).
    await api(server, bob, "POST", f"/api/dynamics/{dynamic['id']}/red")
    await alice.goto("/#/checkin")
    await alice.reload()
    await expect(alice.locator("#paused-note")).to_contain_text("You can still check in")
    await shot(alice, "checkin-paused")
    await alice.get_by_label("5 — very good").click()
    await alice.get_by_role("button", name="Save", exact=True).click()
    await expect(alice.locator("#toast")).to_contain_text("Checked in")
    assert len((await api(server, alice, "GET", checkins_path))["items"]) == 5

    # Once the dynamic has ended, a check-in made from a screen drawn before is refused in words
    # (a phone that has not heard yet: with its live stream, the form would close at once).
    await without_live_stream(alice)
    await alice.goto("/#/checkin")
    await expect(alice.get_by_role("heading", name="Check in", level=1)).to_be_visible()
    await api(server, bob, "POST", f"/api/dynamics/{dynamic['id']}/leave")
    await alice.get_by_label("3 — okay").click()
    await alice.get_by_role("button", name="Save", exact=True).click()
    await expect(alice.get_by_role("alert")).to_have_text(
        "This dynamic has ended, so check-ins are closed."
    )

    assert real_errors(alice_errors, refused(422), refused(409), OFFLINE) == []
    assert real_errors(bob_errors, refused(422), refused(409), OFFLINE) == []
    await alice_context.close()
    await bob_context.close()
