"""The PWA in a real browser: Debian's chromium driven by Playwright, against the real app
served by uvicorn on a free local port (SQLite only; the API suite covers PostgreSQL).

Chromium comes from ``make browser-deps`` (apt), never from ``playwright install``.
Screenshots of each screen, at 360 x 740, land in ``tests/artifacts/`` for review.
"""

from __future__ import annotations

import uuid

import httpx
from playwright.async_api import (
    Browser,
    expect,
)

from tests.browser import (
    CACHED_PATHS,
    phone,
    png_size,
    shot,
    sign_up,
    stored_session,
    watch_console,
)


async def test_shell_manifest_and_service_worker(server: str, browser: Browser) -> None:
    context = await phone(browser, server)
    page = await context.new_page()
    errors = watch_console(page)
    response = await page.goto("/")
    assert response is not None and response.ok
    await expect(page.get_by_role("heading", name="Accord", exact=True)).to_be_visible()
    await expect(page.get_by_role("button", name="Create account")).to_be_visible()
    assert await page.get_attribute('meta[name="theme-color"]', "content")
    await shot(page, "welcome")

    href = await page.get_attribute('link[rel="manifest"]', "href")
    assert href == "/manifest.webmanifest"
    async with httpx.AsyncClient(base_url=server) as http:
        answer = await http.get(href)
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("application/manifest+json")
        manifest = answer.json()
        assert manifest["name"] == "Accord"
        assert manifest["short_name"]
        assert manifest["start_url"] == "/"
        assert manifest["scope"] == "/"
        assert manifest["display"] == "standalone"
        assert manifest["background_color"] and manifest["theme_color"]
        sizes = set()
        for icon in manifest["icons"]:
            assert icon["type"] == "image/png"
            image = await http.get(icon["src"])
            assert image.status_code == 200
            assert image.headers["content-type"] == "image/png"
            width, height = png_size(image.content)
            assert f"{width}x{height}" == icon["sizes"]
            sizes.add((icon["sizes"], icon.get("purpose", "any")))
        assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes

    # The worker installs (precaching the shell), then controls the page once it reloads.
    assert await page.evaluate("navigator.serviceWorker.ready.then((r) => r.active !== null)")
    await page.reload()
    assert await page.evaluate("navigator.serviceWorker.controller !== null")
    await expect(page.get_by_role("button", name="Create account")).to_be_visible()
    cached = await page.evaluate(CACHED_PATHS)
    assert {"/", "/js/app.js", "/style.css", "/manifest.webmanifest"} <= set(cached)
    assert not [p for p in cached if p.startswith("/api")]

    # Offline, the shell still opens from the cache.
    await context.set_offline(True)
    await page.reload()
    await expect(page.get_by_role("button", name="Create account")).to_be_visible()
    await context.set_offline(False)
    assert errors == []
    await context.close()


async def test_two_partners_pair_pause_and_resume(server: str, browser: Browser) -> None:
    alice_context = await phone(browser, server)
    bob_context = await phone(browser, server)
    alice = await alice_context.new_page()
    bob = await bob_context.new_page()
    alice_errors, bob_errors = watch_console(alice), watch_console(bob)
    writes: list[tuple[str, str | None]] = []
    alice.on(
        "request",
        lambda r: (
            writes.append((r.url, r.headers.get("idempotency-key")))
            if r.method in ("POST", "PATCH") and "/api/auth/" not in r.url
            else None
        ),
    )

    # Alice signs up and lands on pairing (no dynamic yet), then makes an invite.
    await alice.goto("/")
    await sign_up(alice, "Alice")
    await expect(alice.get_by_role("heading", name="Link with your partner")).to_be_visible()
    await alice.get_by_role("button", name="Create an invite").click()
    code = (await alice.locator("#invite-code").inner_text()).strip()
    link = await alice.locator("#invite-link").get_attribute("href")
    assert len(code) == 8
    assert link == f"{server}/join/{code}"
    await shot(alice, "pair-invite")

    # Bob opens the link, signs up, and finds the code filled in.
    await bob.goto(link)
    await sign_up(bob, "Bob")
    await expect(bob.get_by_label("Invite code")).to_have_value(code)
    await shot(bob, "pair-join")
    await bob.get_by_role("button", name="Join").click()
    await expect(bob.get_by_role("heading", name="You and Alice")).to_be_visible()
    await expect(bob.locator("#state")).to_have_text("Active")
    await shot(bob, "home-active")

    # Alice's pairing screen notices the new dynamic by itself.
    await expect(alice.get_by_role("heading", name="You and Bob")).to_be_visible()

    # Red, confirmed in a dialog, pauses everything.
    await alice.get_by_role("button", name="Red: stop everything").click()
    dialog = alice.get_by_role("dialog")
    await expect(dialog).to_be_visible()
    await shot(alice, "home-red-confirm")
    await dialog.get_by_role("button", name="Call red").click()
    await expect(alice.locator("#state")).to_have_text("Paused")
    await expect(alice.get_by_role("button", name="Resume")).to_be_enabled()
    await shot(alice, "home-paused-mine")

    # Bob's access token has gone stale: the client refreshes once and carries on.
    await bob.evaluate(
        """() => new Promise((resolve, reject) => {
          const open = indexedDB.open("accord");
          open.onsuccess = () => {
            const store = open.result.transaction("kv", "readwrite").objectStore("kv");
            const get = store.get("session");
            get.onsuccess = () => {
              const put = store.put({ ...get.result, access_token: "stale" }, "session");
              put.onsuccess = () => resolve(null);
              put.onerror = () => reject(put.error);
            };
          };
          open.onerror = () => reject(open.error);
        })"""
    )
    await bob.reload()
    await expect(bob.locator("#state")).to_have_text("Paused")
    # The app's first call (the live stream's ticket, or the catch-up) meets the 401 and
    # refreshes: the stored token changes (checked a bounded number of times).
    for _ in range(100):
        stored = await stored_session(bob)
        assert stored and stored["access_token"]
        if stored["access_token"] != "stale":
            break
        await bob.wait_for_timeout(100)
    else:
        raise AssertionError("the stale access token was never refreshed")
    await expect(bob.locator("#state-detail")).to_contain_text("Alice called red")
    await expect(bob.get_by_role("button", name="Resume")).to_be_disabled()
    await shot(bob, "home-paused-partner")

    # Cancelling the resume dialog changes nothing; confirming it lifts the red.
    await alice.get_by_role("button", name="Resume").click()
    await alice.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    await expect(alice.locator("#state")).to_have_text("Paused")
    await alice.get_by_role("button", name="Resume").click()
    await shot(alice, "home-resume-confirm")
    await alice.get_by_role("dialog").get_by_role("button", name="Resume").click()
    await expect(alice.locator("#state")).to_have_text("Active")

    await bob.reload()
    await expect(bob.locator("#state")).to_have_text("Active")
    await shot(bob, "home-resumed")

    # Every write carried its own Idempotency-Key (a UUID).
    # (Besides the live stream's tickets, asked for whenever the stream is opened, and the key
    # setup the app does itself after sign-up, POST /api/keys/mine, and the pair key its phone
    # makes once both have keys, here when the red's note field asks whether words are private.)
    app_own = ("/api/events/ticket", "/api/keys/mine", "/pair-key")
    changes = [url.rsplit("/", 1)[-1] for url, _ in writes if not url.endswith(app_own)]
    assert changes == ["invites", "red", "resume"]
    keys = [key for _, key in writes]
    assert all(key and uuid.UUID(key) for key in keys) and len(set(keys)) == len(keys)
    # Bob's only console errors are the 401s of his stale token (requests in flight at once),
    # before the one refresh they share: a second refresh would have ended his session.
    assert alice_errors == []
    assert bob_errors and all("401" in e for e in bob_errors)
    await alice_context.close()
    await bob_context.close()
