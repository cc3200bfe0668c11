"""Red, yellow and "I see you" notes on two phones, end to end, and the red rule: a red is never
lost or delayed because of its note.

Alice calls red offline, with a note, while their words are not private yet (Bob has no keys),
so it waits in her outbox in clear. Bob signs in on his phone: keys are made and their words
become private. Alice's phone, locked meanwhile (its keys forgotten, as a reload forgets them),
comes back online: the server refuses the waiting red for its note in clear (422, storing
nothing), and her phone sends the red again at once without the note, which lands on Bob's phone;
Alice is told in warm words that her note was kept on her phone. She opens her words and sends
it: Bob reads it. Bob answers "I see you" with a sealed note that Alice reads, and a yellow with
a sealed note on an unlocked phone goes with its note. No table holds one of their sentences."""

from __future__ import annotations

import httpx
from playwright.async_api import Browser, Page, expect

from tests import e2ee
from tests.browser import (
    ANY_REFUSAL,
    NO_PUSH_IN_INCOGNITO,
    OFFLINE,
    axe,
    pair_key_of,
    phone,
    real_errors,
    shot,
    sign_up,
    watch_console,
)
from tests.conftest import Served
from tests.helpers import PASSWORD, register
from tests.test_browser_account import sign_in
from tests.test_browser_keys import written_down_kit
from tests.test_browser_private_words import clear_text_in, headers_of, outbox_bodies

RED_NOTE = "The scene went somewhere I could not follow"
SEEN_NOTE = "I am right here, take all the time you need"
YELLOW_NOTE = "Can we talk about the weekend plans"
WRITTEN = (RED_NOTE, SEEN_NOTE, YELLOW_NOTE)


async def call(page: Page, button: str, label: str, confirm: str, note: str) -> None:
    await page.get_by_role("button", name=button).click()
    dialog = page.get_by_role("dialog")
    await dialog.get_by_label(label).fill(note)
    await dialog.get_by_role("button", name=confirm).click()


async def forget_keys(page: Page) -> None:
    """The phone's keys forgotten, as a reload forgets them (kept in memory only)."""
    await page.evaluate("async () => (await import('/js/keyring.js')).forget()")


async def test_a_red_waiting_in_clear_lands_without_its_note_then_the_note_follows(
    served: Served, server: str, browser: Browser
) -> None:
    alice_context = await phone(browser, server)
    alice = await alice_context.new_page()
    alice_errors = watch_console(alice)
    await alice.goto("/")
    await sign_up(alice, "Alice")
    await written_down_kit(alice)
    async with httpx.AsyncClient(base_url=server) as http:
        bob_member = await register(http, "Bob")  # no keys yet: their words are not private
        invite = await http.post("/api/invites", json={}, headers=bob_member.headers)
        accepted = await http.post(
            f"/api/invites/{invite.json()['code']}/accept", json={}, headers=await headers_of(alice)
        )
        assert accepted.status_code == 201, accepted.text
        dynamic_id = accepted.json()["id"]
    await alice.goto("/#/home")
    await expect(alice.get_by_role("heading", name="You and Bob")).to_be_visible()

    # Offline, in a dynamic whose words are not private yet: the red waits with its note.
    await alice_context.set_offline(True)
    await call(
        alice, "Red: stop everything", "Anything Bob should know? (optional)", "Call red", RED_NOTE
    )
    await expect(alice.locator("#state-detail")).to_contain_text("Waiting to be sent: Red")
    assert RED_NOTE in str(await outbox_bodies(alice))

    # Bob signs in on his phone: his keys are made, and the pair key with them.
    bob_context = await phone(browser, server)
    bob = await bob_context.new_page()
    bob_errors = watch_console(bob)
    await bob.goto("/")
    await sign_in(bob, bob_member.email, PASSWORD)
    await expect(bob.get_by_role("heading", name="You and Alice")).to_be_visible()
    await written_down_kit(bob)
    await bob.goto("/#/checkin")
    await expect(bob.locator("#note-privacy")).to_have_attribute("data-privacy", "private")
    await bob.goto("/#/home")
    async with httpx.AsyncClient(base_url=server, headers=bob_member.headers) as http:
        keys = (await http.get(f"/api/dynamics/{dynamic_id}/keys")).json()
        assert keys["state"] == "sealed", keys

    # Alice's phone, locked meanwhile, comes back: the red lands on Bob's phone at once,
    # without the note, which stays on her phone and she is told so.
    await forget_keys(alice)
    await alice_context.set_offline(False)
    await expect(bob.locator("#partner-signal")).to_contain_text("Alice called red")
    await expect(bob.locator("#partner-signal .signal-note")).to_have_count(0)
    held = alice.locator("#held-notes")
    await expect(held).to_contain_text("Your red went out at once, without your note")
    await expect(held).to_contain_text(RED_NOTE)
    await expect(alice.locator("#state")).to_have_text("Paused")
    assert await outbox_bodies(alice) == []
    await shot(alice, "red-note-held")
    await axe(alice, "red note held")

    # She opens her words, and sends the note: Bob reads it under the red.
    await held.get_by_role("link", name="Open my words").click()
    unlock = alice.locator("#unlock-words")
    await unlock.get_by_label("Password for your keys").fill(PASSWORD)
    await unlock.get_by_role("button", name="Open my words").click()
    await expect(unlock.get_by_role("status")).to_contain_text("open on this phone")
    await alice.goto("/#/home")
    await alice.locator("#held-notes").get_by_role("button", name="Send my note").click()
    await expect(alice.locator("#held-notes")).to_have_count(0)
    await expect(alice.locator("#state-detail")).to_contain_text(f"Your note: “{RED_NOTE}”")
    await expect(bob.locator("#partner-signal .signal-note")).to_have_text(f"Alice: “{RED_NOTE}”")

    # Bob answers "I see you" with a note, sealed on his phone; Alice reads it.
    takeover = bob.locator("#partner-signal")
    await takeover.get_by_label("A few words for Alice (optional)").fill(SEEN_NOTE)
    await takeover.get_by_role("button", name="I see you").click()
    await expect(alice.locator("#state-detail")).to_contain_text(f"Bob: “{SEEN_NOTE}”")

    # A yellow from an unlocked phone goes with its note, sealed.
    await call(
        alice,
        "Yellow: we need to talk",
        "What would you like to talk about? (optional)",
        "Raise yellow",
        YELLOW_NOTE,
    )
    await expect(bob.locator("#partner-signal")).to_contain_text(YELLOW_NOTE)

    # PyNaCl opens what the phones sealed, where it belongs.
    key = await pair_key_of(alice, dynamic_id)
    async with httpx.AsyncClient(base_url=server, headers=bob_member.headers) as http:
        members = (await http.get(f"/api/dynamics/{dynamic_id}")).json()["members"]
    hers = next(m for m in members if m["user_id"] != bob_member.id)
    his = next(m for m in members if m["user_id"] == bob_member.id)
    red_ad = f"member:{hers['user_id']}:red_note"
    assert e2ee.aead_open(key, hers["red_note"], red_ad).decode() == RED_NOTE
    assert e2ee.aead_open(key, his["saw_note"], f"member:{bob_member.id}:saw_note").decode() == (
        SEEN_NOTE
    )

    assert clear_text_in(str(served.data_dir / "accord.db"), WRITTEN) == []
    expected = (ANY_REFUSAL, NO_PUSH_IN_INCOGNITO, OFFLINE)
    assert real_errors(alice_errors, *expected) == []
    assert real_errors(bob_errors, *expected) == []
    await alice_context.close()
    await bob_context.close()
