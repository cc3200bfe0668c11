"""Web Push in the browser: the service worker shows what the server pushes and a
notification's link opens the right screen.

Chromium's own push service (FCM) is not reachable from here, so the push is delivered to the
worker through the DevTools protocol, exactly as the browser would after decrypting it; the
server's side (RFC 8291 encryption, VAPID) is tested against a real push service in
tests/test_push*.py. A trusted `notificationclick` cannot be synthesised: the test checks the
two halves, the notification's data and the page's handling of the worker's "open" message.

What the worker shows is read from the worker itself (every `showNotification` it makes, still
passed on to the browser), not from `registration.getNotifications()`: headless Chromium's list
of notifications on screen sometimes misses one that was shown (about 1 run in 15 here).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, Worker, expect

from tests.browser import pair_partners, to_service_worker

# Records every notification the worker shows, once the browser took it (showNotification
# resolved), passing each call on as before.
WATCH = """() => {
  if (self.__shown) return;
  self.__shown = [];
  const show = self.registration.showNotification.bind(self.registration);
  self.registration.showNotification = (title, options = {}) => {
    const { body, tag, data } = options;
    return show(title, options).then(() => {
      self.__shown.push({ title, body, tag, url: data && data.url });
    });
  };
}"""


async def _worker(context: BrowserContext) -> Worker:
    if not context.service_workers:
        await context.wait_for_event("serviceworker")
    (worker,) = context.service_workers
    return worker


async def deliver(context: BrowserContext, page: Page, server: str, message: object) -> None:
    """Delivers a push to the page's service worker (a str is sent as it is, else as JSON)."""
    await (await _worker(context)).evaluate(WATCH)
    data = message if isinstance(message, str) else json.dumps(message)
    await to_service_worker(context, page, server, "deliverPushMessage", {"data": data})


async def notifications(page: Page, count: int) -> list[dict[str, Any]]:
    """The notifications the worker has shown since the first push delivered, once there are
    `count` (a bounded number of looks: on a loaded machine the worker may take seconds)."""
    shown: list[dict[str, Any]] = []
    for _ in range(200):
        shown = await (await _worker(page.context)).evaluate("self.__shown")
        if len(shown) >= count:
            return shown
        await asyncio.sleep(0.1)
    raise AssertionError(f"expected {count} notifications, saw {shown}")


async def test_a_push_is_shown_and_its_link_opens_the_screen(server: str, browser: Browser) -> None:
    alice_context, alice, bob_context, _bob = await pair_partners(browser, server)
    await alice_context.grant_permissions(["notifications"], origin=server)
    assert await alice.evaluate("navigator.serviceWorker.ready.then((r) => r.active !== null)")
    await alice.reload()
    assert await alice.evaluate("navigator.serviceWorker.controller !== null")

    await deliver(
        alice_context,
        alice,
        server,
        {
            "title": "Accord",
            "body": "Bob checked in",
            "url": "/#/checkins",
            "tag": "partner_checked_in",
        },
    )
    (shown,) = await notifications(alice, 1)
    assert shown == {
        "title": "Accord",
        "body": "Bob checked in",
        "tag": "partner_checked_in",
        "url": "/#/checkins",
    }

    # A link that is not a path of this app never gets into a notification.
    await deliver(
        alice_context,
        alice,
        server,
        {"title": "Hi", "body": "x", "url": "https://evil.example/", "tag": "t2"},
    )
    shown_all = await notifications(alice, 2)
    assert {n["tag"]: n["url"] for n in shown_all}["t2"] == "/"
    # A push that is not JSON is shown as the neutral line, not dropped (the browser would
    # then show its own generic notice) and without breaking the worker.
    await deliver(alice_context, alice, server, "not json")
    shown_all = await notifications(alice, 3)
    assert {n["tag"]: (n["title"], n["body"], n["url"]) for n in shown_all}["accord"] == (
        "Accord",
        "You have something new in Accord",
        "/",
    )

    # The click: the worker focuses the open app and asks it to show the notification's screen.
    worker = await _worker(alice_context)
    await worker.evaluate(
        """() => clients.matchAll({ type: "window" }).then((all) =>
             all.forEach((c) => c.postMessage({ type: "open", url: "/#/checkins" })))"""
    )
    await expect(alice).to_have_url(f"{server}/#/checkins")
    # A message naming another origin is ignored.
    await worker.evaluate(
        """() => clients.matchAll({ type: "window" }).then((all) => all.forEach((c) =>
             c.postMessage({ type: "open", url: "https://evil.example/#/x" })))"""
    )
    await alice.wait_for_timeout(300)
    await expect(alice).to_have_url(f"{server}/#/checkins")
    await alice_context.close()
    await bob_context.close()
