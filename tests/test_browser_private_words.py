"""Private words on two phones, end to end: Alice's check-in note and her need in her own words
are sealed on her phone and read on Bob's; Bob answers and checks in while offline, and his
phone's outbox holds envelopes, not his words; what PyNaCl seals the browser opens and what the
browser sealed PyNaCl opens; a completion's note and its acknowledgement's travel the same way;
after a reload Alice's phone says her words
are locked until her password opens them again; and afterwards no table of the server's
database holds one of the sentences they wrote in private. Words written before the pair key
existed stay as they were, marked so."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import httpx
from playwright.async_api import Browser, Page, expect

from tests import e2ee
from tests.browser import (
    ANY_REFUSAL,
    NO_PUSH_IN_INCOGNITO,
    OFFLINE,
    axe,
    pair_partners,
    phone,
    real_errors,
    shot,
    sign_up,
    stored_session,
    watch_console,
)
from tests.conftest import Served
from tests.helpers import register
from tests.helpers.keys import set_up_keys
from tests.test_browser_keys import open_words, written_down_kit

ALICE_NOTE = "The walk by the river made my whole week"
ALICE_NEED = "a slow Sunday"
BOB_ANSWER = "Tea and the blue blanket tonight"
BOB_NOTE = "Missed you at lunch, thinking of you"
PYNACL_NOTE = "Sealed far from any browser"
EARLIER_NOTE = "Written before we had keys"
DONE_NOTE = "Watered them with the rain barrel"
THANKS_NOTE = "They look so happy, thank you"
WRITTEN = (ALICE_NOTE, ALICE_NEED, BOB_ANSWER, BOB_NOTE, PYNACL_NOTE, DONE_NOTE, THANKS_NOTE)


async def headers_of(page: Page) -> dict[str, str]:
    stored = await stored_session(page)
    assert stored is not None
    return {"Authorization": f"Bearer {stored['access_token']}"}


async def pair_key_of(page: Page, dynamic_id: str) -> bytes:
    """The pair key as the phone opened it (the keyring module the app itself uses)."""
    text = await page.evaluate(
        """async (id) => {
          const keyring = await import('/js/keyring.js');
          const crypto = await import('/js/crypto.js');
          const key = keyring.pairKeyOf(id);
          return key ? crypto.b64(key) : null;
        }""",
        dynamic_id,
    )
    assert text, "the phone has not opened the pair key"
    return e2ee.unb64(text)


async def outbox_bodies(page: Page) -> list[Any]:
    return await page.evaluate(
        """() => new Promise((resolve, reject) => {
          const open = indexedDB.open("accord");
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const all = open.result.transaction("outbox").objectStore("outbox").getAll();
            all.onsuccess = () => resolve(all.result.map((item) => item.body));
            all.onerror = () => reject(all.error);
          };
        })"""
    )


def clear_text_in(database: str, sentences: tuple[str, ...]) -> list[tuple[str, str]]:
    """Every (table, sentence) where one of ``sentences`` stands in clear, in any column."""
    found = []
    with sqlite3.connect(database) as db:
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in db.execute(f'SELECT * FROM "{table}"'):
                cells = " ".join(str(cell) for cell in row)
                found += [(table, sentence) for sentence in sentences if sentence in cells]
    return found


async def alice_checks_in(alice: Page) -> None:
    await alice.goto("/#/checkin")
    hint = alice.locator("#note-privacy")
    await expect(hint).to_have_attribute("data-privacy", "private")
    await expect(hint).to_contain_text("Only you and Bob can read this")
    form = alice.locator("#checkin-form")
    await form.get_by_label("4 — good").click()
    await form.get_by_label("Praise").check()
    await form.get_by_label("Something else, in your own words").fill(ALICE_NEED)
    await form.get_by_label("A note (optional)").fill(ALICE_NOTE)
    await shot(alice, "checkin-private")
    await axe(alice, "checkin-private")
    await form.get_by_role("button", name="Save check-in").click()
    await expect(alice.locator("#toast")).to_contain_text("Checked in")


async def bob_answers_offline(bob: Page, bob_context: Any) -> None:
    await bob.goto("/#/checkins")
    need = bob.locator("#open-needs .cards > li").filter(has_text=ALICE_NEED)
    await expect(need).to_contain_text(ALICE_NOTE)
    await expect(need).to_contain_text("Praise")
    await bob_context.set_offline(True)
    await need.get_by_label("A note back (optional)").fill(BOB_ANSWER)
    await need.get_by_role("button", name="On it").click()
    await expect(bob.locator("#checkins-status")).to_contain_text("Saved on this phone")
    await bob.get_by_role("navigation", name="Main").get_by_role("link", name="Check in").click()
    await bob.locator("#checkin-form").get_by_label("3 — okay").click()
    await bob.locator("#checkin-form").get_by_label("A note (optional)").fill(BOB_NOTE)
    await bob.locator("#checkin-form").get_by_role("button", name="Save check-in").click()
    await expect(bob.locator("#toast")).to_contain_text("Saved on this phone")
    # What waits on the phone is sealed already: the words are not in the outbox.
    waiting = str(await outbox_bodies(bob))
    assert BOB_ANSWER not in waiting and BOB_NOTE not in waiting and "'c':" in waiting
    await bob.goto("/#/checkins")
    await expect(bob.locator(".checkin-card.waiting")).to_contain_text(BOB_NOTE)
    await bob_context.set_offline(False)
    await expect(bob.locator(".checkin-card.waiting")).to_have_count(0)


async def follow_through(server: str, alice: Page, bob: Page, dynamic_id: str) -> None:
    """Bob does what they agreed, with a note; Alice thanks him with one."""
    async with httpx.AsyncClient(base_url=server) as http:
        bob_id = (await http.get("/api/me", headers=await headers_of(bob))).json()["id"]
        body = {"title": "Water the plants", "kind": "care", "performer_ids": [bob_id]}
        proposed = await http.post(
            f"/api/dynamics/{dynamic_id}/protocols", json=body, headers=await headers_of(alice)
        )
        pid = proposed.json()["id"]
        agreed = await http.post(
            f"/api/protocols/{pid}/agree", json={"version": 1}, headers=await headers_of(bob)
        )
        assert agreed.status_code == 200, agreed.text
    await bob.goto(f"/#/protocol/{pid}")
    await bob.get_by_label("Note (optional)").fill(DONE_NOTE)
    await bob.get_by_role("button", name="I did it").click()
    await expect(bob.locator("#protocol-notice")).to_contain_text("Recorded")
    await alice.goto(f"/#/protocol/{pid}")
    done = alice.locator("#completions li").first
    await expect(done).to_contain_text(DONE_NOTE)
    await done.get_by_label("Note to Bob (optional)").fill(THANKS_NOTE)
    await done.get_by_role("button", name="Acknowledge").click()
    await expect(alice.locator("#completions")).to_contain_text("Acknowledged by you")
    await bob.goto("/#/home")
    await bob.goto(f"/#/protocol/{pid}")
    await expect(bob.locator("#completions")).to_contain_text("Acknowledged by Alice")
    await expect(bob.locator("#completions")).to_contain_text(THANKS_NOTE)


async def test_private_words_on_two_phones(served: Served, server: str, browser: Browser) -> None:
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    alice_errors, bob_errors = watch_console(alice), watch_console(bob)
    await written_down_kit(alice)
    await written_down_kit(bob)
    async with httpx.AsyncClient(base_url=server, headers=await headers_of(bob)) as http:
        dynamic_id = (await http.get("/api/dynamics")).json()["items"][0]["id"]

    await alice_checks_in(alice)
    await bob_answers_offline(bob, bob_context)

    # Alice reads what Bob wrote offline, once it arrived.
    await alice.goto("/#/checkins")
    await expect(alice.locator(".checkin-card").filter(has_text=BOB_NOTE)).to_be_visible()
    await expect(alice.locator(".responses")).to_contain_text(f"Bob: On it — {BOB_ANSWER}")

    await follow_through(server, alice, bob, dynamic_id)

    # Browser -> PyNaCl: the stored envelopes open with the pair key, only where they belong.
    key = await pair_key_of(alice, dynamic_id)
    assert key == await pair_key_of(bob, dynamic_id)
    async with httpx.AsyncClient(base_url=server, headers=await headers_of(alice)) as http:
        items = (await http.get(f"/api/dynamics/{dynamic_id}/checkins")).json()["items"]
        mine = next(c for c in items if c["needs"])
        ad = f"checkin:{mine['id']}"
        assert e2ee.aead_open(key, mine["note"], f"{ad}:note").decode() == ALICE_NOTE
        assert e2ee.aead_open(key, mine["needs"][1], f"{ad}:needs").decode() == ALICE_NEED
        assert mine["needs"][0] == "praise"

    # PyNaCl -> browser: Bob's check-in sealed outside any browser shows on Alice's phone.
    record = str(uuid.uuid4())
    sealed = e2ee.aead_seal(key, PYNACL_NOTE.encode(), f"checkin:{record}:note")
    async with httpx.AsyncClient(base_url=server, headers=await headers_of(bob)) as http:
        made = await http.post(
            f"/api/dynamics/{dynamic_id}/checkins",
            json={"id": record, "mood": 5, "note": sealed},
            headers={"Idempotency-Key": str(uuid.uuid4())},
        )
        assert made.status_code == 201, made.text
    await alice.goto("/#/home")
    await alice.goto("/#/checkins")
    await expect(alice.locator(f'[data-checkin="{record}"] .note')).to_have_text(PYNACL_NOTE)

    # A reload forgets the keys: the words say they are locked, and the password opens them.
    await alice.reload()
    await expect(alice.locator(f'[data-checkin="{record}"] .note')).to_contain_text(
        "Locked on this phone"
    )
    await shot(alice, "checkins-locked")
    await open_words(alice)
    await alice.goto("/#/checkins")
    await expect(alice.locator(f'[data-checkin="{record}"] .note')).to_have_text(PYNACL_NOTE)

    # Nothing they wrote is in clear anywhere in the server's database.
    database = str(served.data_dir / "accord.db")
    assert clear_text_in(database, WRITTEN) == []
    # (The scan does see what is stored in clear: their names.)
    assert ("users", "Alice") in clear_text_in(database, ("Alice",))

    expected = (ANY_REFUSAL, NO_PUSH_IN_INCOGNITO, OFFLINE)
    assert real_errors(alice_errors, *expected) == []
    assert real_errors(bob_errors, *expected) == []
    await alice_context.close()
    await bob_context.close()


async def test_words_from_before_the_pair_key_are_marked(server: str, browser: Browser) -> None:
    context = await phone(browser, server)
    alice = await context.new_page()
    errors = watch_console(alice)
    await alice.goto("/")
    await sign_up(alice, "Alice")
    await written_down_kit(alice)
    async with httpx.AsyncClient(base_url=server) as http:
        # Bob has no keys yet, so their words are not private: his note is stored as written.
        bob = await register(http, "Bob")
        invite = await http.post("/api/invites", json={}, headers=bob.headers)
        accepted = await http.post(
            f"/api/invites/{invite.json()['code']}/accept", json={}, headers=await headers_of(alice)
        )
        assert accepted.status_code == 201, accepted.text
        dynamic_id = accepted.json()["id"]
        before = await http.post(
            f"/api/dynamics/{dynamic_id}/checkins",
            json={"mood": 3, "note": EARLIER_NOTE},
            headers=bob.headers,
        )
        assert before.status_code == 201, before.text
        await set_up_keys(http, bob)
    # Alice's phone makes the pair key when she writes next; the earlier note says what it is.
    await alice.goto("/#/checkin")
    await expect(alice.locator("#note-privacy")).to_have_attribute("data-privacy", "private")
    await alice.goto("/#/checkins")
    earlier = alice.locator(".checkin-card").filter(has_text=EARLIER_NOTE)
    await expect(earlier).to_contain_text("written before your words were private")
    assert real_errors(errors, ANY_REFUSAL, NO_PUSH_IN_INCOGNITO) == []
    await context.close()
