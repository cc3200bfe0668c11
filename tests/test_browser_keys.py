"""Keys on two phones, through the screens: both partners get keys at sign-up and see their
recovery kit once; the pair key is sealed to both; the safety code in More is the same on both
phones; and a forgotten password is recovered on a third phone with the kit alone, keeping the
same key (the recovered password opens it, and it opens the pair key sealed before)."""

from __future__ import annotations

import sqlite3

import httpx
from playwright.async_api import Browser, Page, expect

from tests import e2ee
from tests.browser import (
    ANY_REFUSAL,
    NO_PUSH_IN_INCOGNITO,
    axe,
    open_words,
    pair_partners,
    phone,
    real_errors,
    shot,
    sign_up,
    stored_session,
    watch_console,
)
from tests.conftest import Served

NEW_PASSWORD = "found again with my kit"


async def written_down_kit(page: Page) -> str:
    """Follows the banner to the recovery kit, reads it, marks it written down."""
    await page.locator("#kit-waiting").click()
    await expect(page.get_by_role("heading", name="Your recovery kit")).to_be_visible()
    kit = (await page.locator("#kit-code").inner_text()).strip()
    await page.get_by_role("button", name="I have written it down").click()
    await expect(page.locator("#kit-waiting")).to_have_count(0)
    return kit


async def safety_code(page: Page) -> str:
    await page.get_by_role("link", name="More").click()
    code = page.locator("#safety-code")
    await expect(code).to_be_visible()
    return (await code.inner_text()).strip()


async def session_of(page: Page) -> dict[str, object]:
    stored = await stored_session(page)
    assert stored is not None
    return stored


async def test_two_phones_set_up_keys_compare_codes_and_recover(
    server: str, browser: Browser
) -> None:
    alice_context, alice, bob_context, bob = await pair_partners(browser, server)
    alice_errors, bob_errors = watch_console(alice), watch_console(bob)
    alice_kit = await written_down_kit(alice)
    await written_down_kit(bob)
    assert len(alice_kit.split(" ")) == 16
    # Shown once: the kit's screen has nothing more to show.
    await alice.goto("/#/recovery-kit")
    await expect(alice.locator("#kit-code")).to_have_count(0)

    alice_code = await safety_code(alice)
    bob_code = await safety_code(bob)
    assert alice_code == bob_code
    await expect(alice.locator("#keys-today")).to_contain_text("titles, descriptions and reasons")
    await alice.locator("#keys-today").scroll_into_view_if_needed()
    await shot(alice, "settings-private-words")
    await axe(alice, "settings-private-words")

    alice_session, bob_session = await session_of(alice), await session_of(bob)
    alice_user = alice_session["user"]
    assert isinstance(alice_user, dict)
    async with httpx.AsyncClient(base_url=server) as http:
        views = []
        for stored in (alice_session, bob_session):
            headers = {"Authorization": f"Bearer {stored['access_token']}"}
            dynamic = (await http.get("/api/dynamics", headers=headers)).json()["items"][0]
            views.append(
                (await http.get(f"/api/dynamics/{dynamic['id']}/keys", headers=headers)).json()
            )
        assert [v["state"] for v in views] == ["sealed", "sealed"]
        assert views[0]["pair_key"]["key_id"] == views[1]["pair_key"]["key_id"]
        public = {m["user_id"]: m["public_key"] for m in views[0]["members"]}
        assert e2ee.safety_code(*public.values()) == alice_code

    # A new phone, the password forgotten: the kit and a new password sign Alice in.
    new_context = await phone(browser, server)
    new_phone = await new_context.new_page()
    new_errors = watch_console(new_phone)
    await new_phone.goto("/")
    await new_phone.get_by_role("link", name="Use my recovery kit").click()
    await expect(
        new_phone.get_by_role("heading", name="Back in with your recovery kit")
    ).to_be_visible()
    await axe(new_phone, "recover")
    await new_phone.get_by_label("Email").fill(str(alice_user["email"]))
    await new_phone.get_by_label("Recovery kit").fill("0123 4567")
    await new_phone.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    await new_phone.get_by_label("New password again").fill(NEW_PASSWORD)
    await new_phone.get_by_role("button", name="Use my kit and sign in").click()
    await expect(new_phone.locator("#recover-error")).to_contain_text(
        "does not look like a recovery kit"
    )
    await new_phone.get_by_label("Recovery kit").fill(alice_kit.upper())
    await new_phone.get_by_role("button", name="Use my kit and sign in").click()
    await expect(new_phone.get_by_role("heading", name="You and Bob")).to_be_visible()
    assert await safety_code(new_phone) == bob_code

    # The first phone was signed out; the new password opens the very same key, which opens
    # the pair key sealed before the password was lost.
    await alice.reload()
    await expect(alice.get_by_role("button", name="Create account")).to_be_visible()
    async with httpx.AsyncClient(base_url=server) as http:
        signed_in = await http.post(
            "/api/auth/login", json={"email": alice_user["email"], "password": NEW_PASSWORD}
        )
        assert signed_in.status_code == 200
        headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        mine = (await http.get("/api/keys/mine", headers=headers)).json()
        private = e2ee.open_password_wrap(
            str(alice_user["id"]), mine["password_wrap"], NEW_PASSWORD
        )
        dynamic = (await http.get("/api/dynamics", headers=headers)).json()["items"][0]
        view = (await http.get(f"/api/dynamics/{dynamic['id']}/keys", headers=headers)).json()
        # Sealed by the phone that made it, to this member, for this dynamic and key id.
        copy = view["pair_key"]
        sealer = next(m for m in view["members"] if m["user_id"] == copy["sealed_by"])
        ad = e2ee.pair_key_context(
            dynamic["id"], copy["key_id"], copy["sealed_by"], str(alice_user["id"])
        )
        opened = e2ee.open_pair_key_from(copy["sealed_key"], private, sealer["public_key"], ad)
        assert len(opened) == 32
    for errors in (alice_errors, bob_errors, new_errors):
        assert real_errors(errors, ANY_REFUSAL, NO_PUSH_IN_INCOGNITO) == []
    for context in (alice_context, bob_context, new_context):
        await context.close()


async def test_a_dynamic_seen_private_stays_private_when_the_server_says_otherwise(
    served: Served, server: str, browser: Browser
) -> None:
    """An operator who deletes a dynamic's sealed pair keys (to have the phones write in clear,
    or seal a pair key of its own) meets a phone that remembers: no new pair key is sealed, and
    More says in plain words that something is not right (docs/e2ee.md, "On the phone")."""
    alice_context, alice, bob_context, _ = await pair_partners(browser, server)
    await written_down_kit(alice)
    assert await safety_code(alice)  # the pair key is made, opened and pinned here
    database = str(served.data_dir / "accord.db")
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM sealed_pair_keys")
    await alice.reload()
    await open_words(alice)
    await alice.goto("/#/home")
    await alice.get_by_role("link", name="More").click()
    await expect(alice.locator("#safety-code-note")).to_contain_text("now says they are not")
    await expect(alice.locator("#safety-code")).to_be_hidden()
    await alice.locator("#safety-code-note").scroll_into_view_if_needed()
    await shot(alice, "settings-keys-clear-again")
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM sealed_pair_keys").fetchone() == (0,)
    for context in (alice_context, bob_context):
        await context.close()


async def test_the_kit_banner_keeps_its_link_when_drawn_again(
    server: str, browser: Browser
) -> None:
    """The banner is drawn again on every outbox and key event. A part that reads as before
    stays where it is, never taken out and put back: a link removed between a finger's press
    and its lift takes no tap (Chromium gives the click to what both share, the banner), which
    once left Alice on home after tapping "write it down" just as the pair key was made."""
    context = await phone(browser, server)
    page = await context.new_page()
    await page.goto("/")
    await sign_up(page, "Alice")
    link = page.locator("#kit-waiting")
    await expect(link).to_be_visible()
    # Every node the banner loses from now on, and whether the kit's link was one of them.
    await page.evaluate(
        """() => {
          const banner = document.querySelector("#kit-waiting").parentElement;
          window.bannerLost = [];
          new MutationObserver((changes) => {
            for (const change of changes) window.bannerLost.push(...change.removedNodes);
          }).observe(banner, { childList: true });
        }"""
    )
    link_lost = "() => window.bannerLost.some((node) => node.id === 'kit-waiting')"
    # Drawn again for a key event with nothing new to say, then for going offline (a part
    # before the link comes) and back online (it goes): the link stays in place throughout.
    await page.evaluate("() => window.dispatchEvent(new Event('accord:keys'))")
    await context.set_offline(True)
    await expect(page.locator("#offline")).to_be_visible()
    await context.set_offline(False)
    await expect(page.locator("#offline")).to_have_count(0)
    assert await page.evaluate("() => window.bannerLost.length") == 1  # the offline note
    assert not await page.evaluate(link_lost)
    await link.click()
    await expect(page.get_by_role("heading", name="Your recovery kit")).to_be_visible()
    await context.close()
