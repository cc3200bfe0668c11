"""What the browser tests share: the real app served by uvicorn on a free port with its own
own SQLite database and Debian's chromium driven by Playwright (both started once per worker,
in tests/conftest.py: a test signs up people of its own, with unique emails, and never counts on
an empty database), phone-sized contexts, two partners signed up and paired, screenshots in
light and dark, and axe-core accessibility checks.

Chromium comes from ``make browser-deps`` (apt), never from ``playwright install``; axe-core is
vendored under ``tests/vendor/axe-core`` (MPL-2.0).
"""

from __future__ import annotations

import re
import struct
import uuid
from typing import Any

import httpx
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    expect,
)

from tests import e2ee
from tests.conftest import ROOT
from tests.helpers import PASSWORD

ARTIFACTS = ROOT / "tests" / "artifacts"
PHONE: ViewportSize = {"width": 360, "height": 740}
# The paths the service worker precached, across its caches.
CACHED_PATHS = """async () => {
  const paths = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) paths.push(new URL(request.url).pathname);
  }
  return paths;
}"""


async def phone(browser: Browser, base: str) -> BrowserContext:
    context = await browser.new_context(
        base_url=base, viewport=PHONE, timezone_id="Europe/Paris", locale="en-GB"
    )
    context.set_default_timeout(10_000)
    return context


def watch_console(page: Page) -> list[str]:
    """Console errors (a CSP violation, a failed module) collected for the test to check."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


# What Chromium itself logs as a console error: a request answered with an error status
# ("Failed to load resource: the server responded with a status of 409 (Conflict)"), one that met
# no network, and its note on a push subscription it cannot make. A test that provokes those on
# purpose leaves them out with ``real_errors``.
ANY_REFUSAL = "Failed to load resource"
OFFLINE = "ERR_INTERNET_DISCONNECTED"
NO_PUSH_IN_INCOGNITO = "does not support the Push API in incognito"


def refused(status: int) -> str:
    """Chromium's console line for a request answered with ``status``."""
    return f"status of {status} ("


def real_errors(errors: list[str], *expected: str) -> list[str]:
    """The console errors that are bugs (an exception, a CSP violation, a failed module): all
    but those containing one of ``expected``."""
    return [e for e in errors if not any(x in e for x in expected)]


async def shot(page: Page, name: str) -> None:
    """Saves the screen as it is, in light and in dark, as ``tests/artifacts/<name>-light.png``
    and ``-dark.png`` (360 x 740 in a phone context)."""
    ARTIFACTS.mkdir(exist_ok=True)
    await fits_a_phone(page, name)
    await no_code_words(page, name)
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        await page.screenshot(path=str(ARTIFACTS / f"{name}-{scheme}.png"))
    await page.emulate_media(color_scheme="light")


# Words a person should never read: a value the code forgot to turn into words.
CODE_WORDS = r"(?<![\w-])(?:null|undefined|NaN)+(?![\w-])|\[object \w+\]"


async def no_code_words(page: Page, name: str) -> None:
    """Fails where the screen shows ``null``, ``undefined``, ``NaN`` or ``[object Object]``."""
    text = await page.locator("body").inner_text()
    found = re.search(CODE_WORDS, text)
    if found is not None:
        around = text[max(0, found.start() - 60) : found.end() + 20]
        raise AssertionError(f"{name}: the screen shows {found.group(0)!r}: …{around}…")


# Controls a thumb must hit: buttons, fields, tabs and links styled as buttons.
SMALL_TARGETS = """() => {
  const small = [];
  const selector = "button, select, textarea, a.button, nav a, " +
    "input:not([type=hidden]):not([type=checkbox]):not([type=radio])";
  for (const el of document.querySelectorAll(selector)) {
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height || getComputedStyle(el).visibility === "hidden") continue;
    if (el.closest("dialog:not([open])")) continue;
    if (box.height < 44 || box.width < 44) {
      small.push(`${el.tagName.toLowerCase()}#${el.id}.${el.className} "${
        (el.textContent || el.getAttribute("aria-label") || "").trim().slice(0, 30)
      }" ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""


async def fits_a_phone(page: Page, name: str) -> None:
    """Nothing scrolls sideways at the page's width, and every control is at least 44 x 44."""
    width = await page.evaluate("window.innerWidth")
    scroll = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{name}: {scroll} px wide content in a {width} px window"
    assert await page.evaluate(SMALL_TARGETS) == [], name


AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"


async def axe(page: Page, name: str) -> None:
    """Runs axe-core (WCAG 2 A and AA rules) on the screen in light and in dark and fails on
    any serious or critical violation, naming the rule and the elements."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        # Through the debugging protocol, not a <script>: the app's CSP forbids inline scripts.
        await page.evaluate(f"(() => {{ {AXE.read_text()}\n; return typeof axe; }})()")
    problems = []
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        result = await page.evaluate(
            """async () => {
              const r = await axe.run(document, {
                runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] },
              });
              return r.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
            }"""
        )
        problems += [f"{name} ({scheme}) {p}" for p in result]
    await page.emulate_media(color_scheme="light")
    assert problems == []


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def sign_up(page: Page, name: str) -> None:
    form = page.locator("#signup")
    await form.get_by_label("Your name").fill(name)
    await form.get_by_label("Email").fill(f"{name.lower()}-{uuid.uuid4().hex[:8]}@example.org")
    await form.get_by_label("Password").fill(PASSWORD)
    await form.get_by_label("I am an adult").check()
    await form.get_by_role("button", name="Create account").click()


async def pair_partners(
    browser: Browser, base: str
) -> tuple[BrowserContext, Page, BrowserContext, Page]:
    """Alice and Bob, each in a phone context, signed up through the screens and paired by
    Alice's invite link; both end on home."""
    alice_context = await phone(browser, base)
    bob_context = await phone(browser, base)
    alice = await alice_context.new_page()
    bob = await bob_context.new_page()
    await alice.goto("/")
    await sign_up(alice, "Alice")
    await alice.get_by_role("button", name="Create an invite").click()
    # Awaited as an expectation: if the invite never shows, the failure prints the page (an
    # invite once never reached the server, and nothing said why).
    await expect(alice.locator("#invite-link")).to_be_visible()
    link = await alice.locator("#invite-link").get_attribute("href")
    assert link
    await bob.goto(link)
    await sign_up(bob, "Bob")
    await bob.get_by_role("button", name="Join").click()
    await expect(bob.get_by_role("heading", name="You and Alice")).to_be_visible()
    await expect(alice.get_by_role("heading", name="You and Bob")).to_be_visible()
    return alice_context, alice, bob_context, bob


async def without_live_stream(page: Page) -> None:
    """From now on this phone hears of changes only when it asks (its live stream is refused,
    and it falls back to a catch-up every 30 s): for the tests of what a screen drawn before a
    change does when it is acted on. Reloads the page so that the open stream is dropped."""
    # As if that one request met no network: Chromium logs it as ERR_INTERNET_DISCONNECTED.
    await page.route("**/api/events?**", lambda route: route.abort("internetdisconnected"))
    await page.reload()
    await expect(page.locator("body")).to_have_attribute("data-live", "retrying")


async def open_words(page: Page) -> None:
    """After a reload a phone's keys are forgotten: its password opens its private words again
    (More → "Private words" → "Open my words")."""
    await page.goto("/#/settings")
    unlock = page.locator("#unlock-words")
    await unlock.get_by_label("Password for your keys").fill(PASSWORD)
    await unlock.get_by_role("button", name="Open my words").click()
    await expect(unlock.get_by_role("status")).to_contain_text("open on this phone")


async def until(page: Page, script: str, arg: Any = None, what: str = "", tries: int = 100) -> None:
    """Asks the page ``script`` (an async function of ``arg``) every 100 ms until it answers
    true, as ``expect`` does for a locator; fails after ``tries``. (``wait_for_function`` would
    take the promise an async function returns for a true answer.)"""
    for _ in range(tries):
        if await page.evaluate(script, arg):
            return
        await page.wait_for_timeout(100)
    raise AssertionError(f"the page never said so: {what or script}")


async def stored_session(page: Page) -> dict[str, object] | None:
    """The session as the app keeps it, in IndexedDB (``accord`` / ``kv`` / ``session``)."""
    return await page.evaluate(
        """() => new Promise((resolve, reject) => {
          const open = indexedDB.open("accord");
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const db = open.result;
            if (!db.objectStoreNames.contains("kv")) { db.close(); return resolve(null); }
            const get = db.transaction("kv").objectStore("kv").get("session");
            get.onsuccess = () => { db.close(); resolve(get.result || null); };
            get.onerror = () => reject(get.error);
          };
        })"""
    )


async def to_service_worker(
    context: BrowserContext, page: Page, server: str, command: str, params: dict[str, object]
) -> None:
    """Sends a DevTools ``ServiceWorker.<command>`` (deliverPushMessage, dispatchSyncEvent) to
    the origin's service worker, as the browser itself would fire the event."""
    cdp = await context.new_cdp_session(page)
    registrations: list[dict[str, Any]] = []
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda e: registrations.extend(e["registrations"]),
    )
    await cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if registrations:
            break
        await page.wait_for_timeout(100)
    (registration,) = [r for r in registrations if not r.get("isDeleted")]
    await cdp.send(
        f"ServiceWorker.{command}",
        {"origin": server, "registrationId": registration["registrationId"], **params},
    )
    await cdp.detach()


async def token(page: Page) -> str:
    session = await stored_session(page)
    assert session is not None
    access = session["access_token"]
    assert isinstance(access, str)
    return access


async def api(server: str, page: Page, method: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {await token(page)}"}
    async with httpx.AsyncClient(base_url=server, headers=headers) as http:
        answer = await http.request(method, path, json=body)
    assert answer.status_code < 300, answer.text
    return answer.json()


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


async def propose_sealed(
    server: str, page: Page, dynamic_id: str, title: str, description: str, **terms: Any
) -> Any:
    """A proposal through the API with its words sealed by the pair key the phone holds, as the
    phone would send it (both phones have keys since sign-up, so the dynamic is private)."""
    # A phone makes the pair key where it first meets both keys (More, a form with words):
    # More here, until it shows the safety code (made once the pair key is open), then back.
    where = page.url
    await page.goto("/#/settings")
    await expect(page.locator("#safety-code")).to_be_visible()
    key = await pair_key_of(page, dynamic_id)
    await page.goto(where)
    version_id = str(uuid.uuid4())

    def sealed(text: str, field: str) -> dict[str, Any]:
        return e2ee.aead_seal(key, text.encode(), f"protocol_version:{version_id}:{field}")

    body = {
        "version_id": version_id,
        "title": sealed(title, "title"),
        "description": sealed(description, "description"),
        "schedule": None,
        "review_on": None,
        **terms,
    }
    return await api(server, page, "POST", f"/api/dynamics/{dynamic_id}/protocols", body)
