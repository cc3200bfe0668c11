"""Private words on two phones, end to end: Alice's check-in note and her need in her own words
are sealed on her phone and read on Bob's; Bob answers and checks in while offline, and his
phone's outbox holds envelopes, not his words; what PyNaCl seals the browser opens and what the
browser sealed PyNaCl opens; a protocol's title, description and a decline's reason are sealed
on one phone and read (and diffed between versions) on the other; a completion's note and its
acknowledgement's travel the same way; after a reload Alice's phone says her words
are locked until her password opens them again; and afterwards no table of the server's
database holds one of the sentences they wrote in private. Words written before the pair key
existed stay as they were, marked so."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Browser, BrowserContext, Page, Route, expect

from tests import e2ee
from tests.browser import (
    ANY_REFUSAL,
    NO_PUSH_IN_INCOGNITO,
    OFFLINE,
    api,
    axe,
    open_words,
    pair_key_of,
    pair_partners,
    phone,
    real_errors,
    shot,
    sign_up,
    stored_session,
    until,
    watch_console,
)
from tests.conftest import Served
from tests.helpers import PASSWORD, Member, register
from tests.helpers.keys import seal_pair_key, set_up_keys
from tests.test_browser_keys import written_down_kit
from tests.test_browser_push import deliver, notifications

WRITTEN_BEFORE = "written before your words were private"

ALICE_NOTE = "The walk by the river made my whole week"
ALICE_NEED = "a slow Sunday"
BOB_ANSWER = "Tea and the blue blanket tonight"
BOB_NOTE = "Missed you at lunch, thinking of you"
PYNACL_NOTE = "Sealed far from any browser"
EARLIER_NOTE = "Written before we had keys"
EARLIER_NEED = "a quiet evening"
EARLIER_TITLE = "Sunday letters"
EARLIER_LIMIT = "reading aloud on sundays"
# Whether the server's limits view of a dynamic holds no custom item in clear any more.
NO_CLEAR_LIMITS = """async (id) => {
  const { api } = await import("/js/api.js");
  const view = await api("GET", `/api/dynamics/${id}/limits`);
  const keys = new Set(view.catalogue.map((c) => c.key));
  return view.mine.every((a) => keys.has(a.item) || a.item.startsWith("b:"));
}"""
DONE_NOTE = "Watered them with the rain barrel"
THANKS_NOTE = "They look so happy, thank you"
PROTOCOL_TITLE = "Water the ferns by the window"
PROTOCOL_TEXT = "Every other morning, a full can each"
NEW_TEXT = "Every other morning, and the lemon tree too"
DECLINE_REASON = "The lemon tree is mine to fuss over"
WRITTEN = (
    ALICE_NOTE,
    ALICE_NEED,
    BOB_ANSWER,
    BOB_NOTE,
    PYNACL_NOTE,
    DONE_NOTE,
    THANKS_NOTE,
    PROTOCOL_TITLE,
    PROTOCOL_TEXT,
    NEW_TEXT,
    DECLINE_REASON,
)


async def headers_of(page: Page) -> dict[str, str]:
    stored = await stored_session(page)
    assert stored is not None
    return {"Authorization": f"Bearer {stored['access_token']}"}


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


async def protocol_in_private(alice: Page, bob: Page) -> str:
    """Alice proposes a protocol on her phone (its words sealed there), Bob reads and agrees to
    it on his; Alice changes its description, Bob sees the change (diffed on his phone, from
    opened words) and declines it with a reason Alice reads. Returns the protocol's id."""
    await alice.goto("/#/propose")
    form = alice.locator("#propose-form")
    await form.get_by_label("Title").fill(PROTOCOL_TITLE)
    await form.get_by_label("Description (optional)").fill(PROTOCOL_TEXT)
    await form.get_by_label("Kind").select_option("care")
    await form.get_by_label("Bob", exact=True).check()
    await form.get_by_role("button", name="Propose", exact=True).click()
    await expect(alice.get_by_role("heading", name=PROTOCOL_TITLE, level=1)).to_be_visible()
    pid = alice.url.rsplit("/", 1)[-1]
    await bob.goto("/#/home")
    await expect(bob.locator("#waiting-for-you")).to_contain_text(f"proposed “{PROTOCOL_TITLE}”")
    await bob.goto(f"/#/protocol/{pid}")
    await expect(bob.get_by_role("heading", level=1)).to_have_text(PROTOCOL_TITLE)
    await expect(bob.locator("#proposed-terms")).to_contain_text(PROTOCOL_TEXT)
    await bob.get_by_role("button", name="Agree to version 1").click()
    await expect(bob.locator("#protocol-status")).to_contain_text("In force")
    # Alice's phone hears of the agreement first: a change from terms it has not seen yet is
    # refused as stale (the app says so; the test failed that way once in a full run).
    await alice.goto(f"/#/protocol/{pid}")
    await expect(alice.locator("#protocol-status")).to_contain_text("In force")

    await alice.goto(f"/#/propose/{pid}")
    form = alice.locator("#propose-form")
    await expect(form.get_by_label("Title")).to_have_value(PROTOCOL_TITLE)
    await form.get_by_label("Description (optional)").fill(NEW_TEXT)
    await form.get_by_role("button", name="Propose this change").click()
    await expect(alice.locator("#protocol-status")).to_contain_text("waits for Bob")
    await bob.goto("/#/home")
    await bob.goto(f"/#/protocol/{pid}")
    description_row = bob.locator('#diff [data-field="description"]')
    await expect(description_row.locator(".proto-was")).to_contain_text(PROTOCOL_TEXT)
    await expect(description_row.locator(".proto-new")).to_contain_text(NEW_TEXT)
    # The title was sealed again for version 2, unchanged: no difference shown.
    await expect(bob.locator('#diff [data-field="title"]')).to_have_count(0)
    reason = bob.locator("#review").get_by_label("Reason (optional; kept in the history)")
    await reason.fill(DECLINE_REASON)
    await bob.get_by_role("button", name="Decline", exact=True).click()
    await expect(bob.locator("#protocol-notice")).to_contain_text("agreed terms stay in force")
    await alice.goto("/#/home")
    await alice.goto(f"/#/protocol/{pid}")
    await expect(alice.locator("#history")).to_contain_text(DECLINE_REASON)
    return pid


async def push_titles(context: BrowserContext, alice: Page, server: str, pid: str) -> None:
    """A reminder's push names the protocol's sealed title: the service worker has the open,
    unlocked page open it; once the page is locked, the push keeps its plain words."""
    async with httpx.AsyncClient(base_url=server, headers=await headers_of(alice)) as http:
        protocol = (await http.get(f"/api/protocols/{pid}")).json()
    terms = protocol["in_force"]
    sealed = {
        "dynamic_id": protocol["dynamic_id"],
        "entity": "protocol_version",
        "id": terms["version_id"],
        "field": "title",
        "envelope": terms["title"],
        "body": "{title}",
    }
    await context.grant_permissions(["notifications"], origin=server)
    push = {"title": "Reminder", "body": "A protocol", "url": f"/#/protocol/{pid}"}
    await deliver(context, alice, server, {**push, "tag": "open", "sealed": sealed})
    (shown,) = await notifications(alice, 1)
    assert shown["body"] == PROTOCOL_TITLE
    await alice.reload()  # the keys are forgotten: nothing can open it now
    await expect(alice.locator("#protocol, #checkins, main").first).to_be_visible()
    await deliver(context, alice, server, {**push, "tag": "locked", "sealed": sealed})
    shown_all = await notifications(alice, 2)
    assert {n["tag"]: n["body"] for n in shown_all}["locked"] == "A protocol"


async def follow_through(alice: Page, bob: Page, pid: str) -> None:
    """Bob does what they agreed, with a note; Alice thanks him with one."""
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

    pid = await protocol_in_private(alice, bob)
    await follow_through(alice, bob, pid)

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
        protocol = (await http.get(f"/api/protocols/{pid}")).json()
        ad = f"protocol_version:{protocol['in_force']['version_id']}"
        title = e2ee.aead_open(key, protocol["in_force"]["title"], f"{ad}:title").decode()
        assert title == PROTOCOL_TITLE

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

    await push_titles(alice_context, alice, server, pid)

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


HOLDS_PAIR_KEY = "async (id) => Boolean((await import('/js/keyring.js')).pairKeyOf(id))"


async def alice_alone(browser: Browser, server: str) -> tuple[BrowserContext, Page]:
    """Alice's phone, signed up (keys made, the kit written down), not yet paired."""
    context = await phone(browser, server)
    alice = await context.new_page()
    await alice.goto("/")
    await sign_up(alice, "Alice")
    await written_down_kit(alice)
    return context, alice


async def bob_invites(http: httpx.AsyncClient, alice: Page) -> tuple[Member, str]:
    """Bob, through the API (a device without keys yet), invites Alice, whose phone's session
    accepts: Bob, and the dynamic's id."""
    bob = await register(http, "Bob")
    invite = await http.post("/api/invites", json={}, headers=bob.headers)
    accepted = await http.post(
        f"/api/invites/{invite.json()['code']}/accept", json={}, headers=await headers_of(alice)
    )
    assert accepted.status_code == 201, accepted.text
    return bob, str(accepted.json()["id"])


async def test_words_from_before_the_pair_key_are_sealed_once(
    served: Served, server: str, browser: Browser
) -> None:
    """Bob writes before he has keys; then his device (PyNaCl) sets up keys and makes the pair
    key (Alice's phone held back: CI once saw hers make it first). Alice's phone, open on her
    check-ins, hears of it through the feed, opens it, and marks the older words until they are
    sealed; the first attempt is cut off, the next one (when she opens More) seals them, and
    then no table holds them in clear."""
    context, alice = await alice_alone(browser, server)
    errors = watch_console(alice)
    async with httpx.AsyncClient(base_url=server) as http:
        # Bob has no keys yet, so their words are not private: his words are stored as written.
        bob, dynamic_id = await bob_invites(http, alice)
        before = await http.post(
            f"/api/dynamics/{dynamic_id}/checkins",
            json={"mood": 3, "note": EARLIER_NOTE, "needs": ["rest", EARLIER_NEED]},
            headers=bob.headers,
        )
        assert before.status_code == 201, before.text
        proposed = await http.post(
            f"/api/dynamics/{dynamic_id}/protocols",
            json={"title": EARLIER_TITLE, "kind": "ritual", "performer_ids": [bob.id]},
            headers=bob.headers,
        )
        assert proposed.status_code == 201, proposed.text
        # A custom limit item both said yes to: a match, shown to both, in clear for now.
        limits = f"/api/dynamics/{dynamic_id}/limits/mine"
        said = {"items": [{"item": EARLIER_LIMIT, "answer": "yes"}]}
        await api(server, alice, "PUT", limits, said)
        assert (await http.put(limits, json=said, headers=bob.headers)).status_code == 200
        await alice.goto("/#/checkins")
        # Bob's check-in asks for something: it shows with its needs, its note beneath.
        earlier = alice.locator("#checkins p").filter(has_text=EARLIER_NOTE)
        await expect(earlier).to_be_visible()
        await expect(alice.locator("#checkins")).to_contain_text(EARLIER_NEED)
        await expect(earlier).not_to_contain_text(WRITTEN_BEFORE)

        # The first sealing is cut off: the words stay in clear, and say so.
        async def cut_off(route: Route) -> None:
            if route.request.method == "POST":
                await route.abort()
            else:
                await route.continue_()

        await alice.route("**/clear-words", cut_off)
        # Alice's phone would make the pair key the moment it hears both have keys: held back
        # until Bob's device has made it, so that hers is the phone that hears of it.
        await alice.route("**/pair-key", lambda route: route.abort())
        bob_keys = await set_up_keys(http, bob)
        keys = (await http.get(f"/api/dynamics/{dynamic_id}/keys", headers=bob.headers)).json()
        alice_keys = next(m for m in keys["members"] if m["user_id"] != bob.id)
        pair_key = await seal_pair_key(
            http,
            bob,
            dynamic_id,
            {bob.id: bob_keys.public_key, alice_keys["user_id"]: alice_keys["public_key"]},
        )
        await alice.unroute("**/pair-key")
    # Heard through the feed, without Alice doing anything: the older words are marked.
    await expect(earlier).to_contain_text(WRITTEN_BEFORE)
    # Bob's need in his own words too (not one of the fixed needs), said once under the chips.
    card = alice.locator("#checkins li.card").filter(has_text=EARLIER_NOTE)
    await expect(card.locator(".need-list li").filter(has_text=EARLIER_NEED)).to_be_visible()
    await expect(card.locator("p.clear-words")).to_have_text(
        f"The needs in words of your own were {WRITTEN_BEFORE}."
    )
    await shot(alice, "checkins-written-before")
    assert await pair_key_of(alice, dynamic_id) == pair_key
    database = str(served.data_dir / "accord.db")
    assert ("checkins", EARLIER_NOTE) in clear_text_in(database, (EARLIER_NOTE,))

    # Opening More tries again, and this time the words are sealed on her phone.
    await alice.unroute("**/clear-words")
    await alice.goto("/#/settings")
    # More asks for the keys again once drawn (its safety code shows after): leaving before it
    # was drawn asked nothing (the test failed that way when the machine was busy).
    await expect(alice.locator("#safety-code")).to_be_visible()
    await alice.goto("/#/checkins")
    await expect(earlier).not_to_contain_text(WRITTEN_BEFORE)
    await expect(earlier).to_have_attribute("data-sealed", "")
    await expect(
        alice.locator("#checkins [data-sealed]").filter(has_text=EARLIER_NEED)
    ).to_be_visible()
    await expect(card.locator("p.clear-words")).to_have_count(0)
    # Every word of before, the protocol's title and the limit item too: sealed, and shown
    # opened on her phone; the match still stands, under the item's blind index.
    written = (EARLIER_NOTE, EARLIER_NEED, EARLIER_TITLE, EARLIER_LIMIT)
    await until(alice, NO_CLEAR_LIMITS, dynamic_id, what="the limit item is renamed")
    assert clear_text_in(database, written) == []
    view = await api(server, alice, "GET", f"/api/dynamics/{dynamic_id}/limits")
    assert [m[:2] for m in view["matches"]] == ["b:"]
    assert view["revealed"][0]["withdrawn_at"] is None
    # On her phone the match reads in their words, opened there.
    await alice.goto("/#/limits")
    await expect(alice.locator("#matches .lim-match-name")).to_have_text([EARLIER_LIMIT])
    await shot(alice, "limits-private-match")
    await alice.goto("/#/protocols")
    await expect(alice.locator("#protocols-mine")).to_contain_text(EARLIER_TITLE)
    await alice.goto("/#/checkins")
    async with httpx.AsyncClient(base_url=server, headers=await headers_of(alice)) as http:
        item = (await http.get(f"/api/dynamics/{dynamic_id}/checkins")).json()["items"][0]
    ad = f"checkin:{item['id']}"
    assert e2ee.aead_open(pair_key, item["note"], f"{ad}:note").decode() == EARLIER_NOTE
    assert e2ee.aead_open(pair_key, item["needs"][1], f"{ad}:needs").decode() == EARLIER_NEED
    assert item["needs"][0] == "rest"

    # More → export: the server's copy holds envelopes; the phone makes one with the words.
    await alice_checks_in(alice)
    await alice.goto("/#/settings")
    async with alice.expect_download() as download:
        await alice.get_by_role("button", name="Download with my words opened").click()
    path = await (await download.value).path()
    opened = json.loads(await asyncio.to_thread(Path(path).read_text))
    assert [(c["note"], c["needs"]) for c in opened["checkins"]] == [
        (ALICE_NOTE, ["praise", ALICE_NEED])
    ]
    await expect(alice.get_by_text("private words opened on this phone")).to_be_visible()
    assert real_errors(errors, ANY_REFUSAL, NO_PUSH_IN_INCOGNITO, "ERR_FAILED") == []
    await context.close()


async def test_words_stay_readable_after_the_partner_who_sealed_the_pair_key_leaves(
    server: str, browser: Browser
) -> None:
    """Bob's device (PyNaCl) makes the pair key, so Alice's copy is sealed by Bob. Alice writes
    a private note; Bob deletes his account (the dynamic ends, his key set goes with him). After
    a reload her password opens her words again: her copy keeps Bob's id and key, so it still
    opens, and no warning says a key changed."""
    context, alice = await alice_alone(browser, server)
    errors = watch_console(alice)
    # Alice's phone would make the pair key the moment it hears both have keys: held back here,
    # so that Bob's device makes it.
    await alice.route("**/pair-key", lambda route: route.abort())
    async with httpx.AsyncClient(base_url=server) as http:
        bob, dynamic_id = await bob_invites(http, alice)
        bob_keys = await set_up_keys(http, bob)
        keys = (await http.get(f"/api/dynamics/{dynamic_id}/keys", headers=bob.headers)).json()
        alice_id = next(m["user_id"] for m in keys["members"] if m["user_id"] != bob.id)
        alice_key = next(m["public_key"] for m in keys["members"] if m["user_id"] == alice_id)
        pair_key = await seal_pair_key(
            http, bob, dynamic_id, {bob.id: bob_keys.public_key, alice_id: alice_key}
        )
        await alice.unroute("**/pair-key")
        await alice_checks_in(alice)
        assert await pair_key_of(alice, dynamic_id) == pair_key

        gone = await http.request(
            "DELETE", "/api/me", json={"password": PASSWORD}, headers=bob.headers
        )
        assert gone.status_code == 204, gone.text
        copy = await http.get(f"/api/dynamics/{dynamic_id}/keys", headers=await headers_of(alice))
        assert copy.json()["pair_key"]["sealed_by"] is None

    await alice.reload()
    # The app settles first on what it shows after a dynamic ended (a later move of its own
    # would otherwise take More away from under the test).
    await expect(alice.locator("#ended")).to_contain_text("has ended")
    # Her password opens her words again, and then each dynamic's pair key, this ended one's
    # too (More may redraw as they open, so the phone itself is asked).
    await alice.goto("/#/settings")
    unlock = alice.locator("#unlock-words")
    await unlock.get_by_label("Password for your keys").fill(PASSWORD)
    await unlock.get_by_role("button", name="Open my words").click()
    await until(alice, HOLDS_PAIR_KEY, dynamic_id, "the pair key is open")
    await expect(alice.locator("#keys-body")).not_to_contain_text("Something is not right")
    assert await pair_key_of(alice, dynamic_id) == pair_key
    async with httpx.AsyncClient(base_url=server, headers=await headers_of(alice)) as http:
        mine = (await http.get(f"/api/dynamics/{dynamic_id}/checkins")).json()["items"][0]
    ad = f"checkin:{mine['id']}:note"
    assert e2ee.aead_open(pair_key, mine["note"], ad).decode() == ALICE_NOTE
    assert real_errors(errors, ANY_REFUSAL, NO_PUSH_IN_INCOGNITO, "ERR_FAILED") == []
    await context.close()
