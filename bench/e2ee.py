"""What end-to-end encryption costs on a phone: the web app's own crypto.js (the vendored
libsodium) in headless Chromium, its CPU slowed down like a phone's with DevTools'
``Emulation.setCPUThrottlingRate``.

    .venv/bin/python -m bench.e2ee [--runs N] [--notes N] [--throttle 1,4,6]

The app is started as ``make run`` starts it (SQLite, a fresh data directory), and a 360 x 740
page opens it; everything is then timed inside the page with ``performance.now()``:

- **load libsodium**: a fresh page's ``import("/js/crypto.js")`` and ``ready()`` (compiling the
  WebAssembly), the cost paid once per page load;
- **password key**: one Argon2id derivation with the limits the server hands out (ops 2,
  64 MiB): paid at each sign-in and password change;
- **encrypt / decrypt a note**: one 500-character note as an envelope (XChaCha20-Poly1305, the
  associated data ``checkin:<id>:note``), averaged over ``--notes`` notes per run;
- **seal / open a pair key**: ``crypto_box_seal`` and its opening, once per dynamic and sign-in.

A throttle of 4 is what Lighthouse uses for a mid-range phone; 6 for a slow one. The machine
is shared and noisy: compare the rows with each other, not with another day's numbers.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, async_playwright

from bench.common import app_on_fresh_database, log, table

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
NOTE = ("I loved how you checked on me after the long day; " * 10)[:500]

LOAD = """async () => {
  const start = performance.now();
  const c = await import("/js/crypto.js");
  await c.ready();
  window.c = c;
  return performance.now() - start;
}"""

MEASURE = """async ({ notes, text }) => {
  const time = async (work) => {
    const t = performance.now();
    await work();
    return performance.now() - t;
  };
  const salt = c.b64(crypto.getRandomValues(new Uint8Array(16)));
  const kdf = { salt, ops_limit: 2, mem_limit: 64 << 20 };
  const passwordKey = await time(() => c.passwordKey("a long and happy password", kdf));
  const { key } = await c.newPairKey();
  const ids = Array.from({ length: notes }, () => crypto.randomUUID());
  const envelopes = [];
  const encrypt = await time(async () => {
    for (const id of ids) envelopes.push(await c.encryptField(key, text, "checkin", id, "note"));
  });
  const decrypt = await time(async () => {
    for (let i = 0; i < ids.length; i++) {
      await c.decryptField(key, envelopes[i], "checkin", ids[i], "note");
    }
  });
  const pair = await c.generateKeyPair();
  let sealed;
  const seal = await time(async () => { sealed = await c.sealTo(c.b64(pair.publicKey), key); });
  const open = await time(() => c.openSealed(sealed, pair.privateKey));
  return { passwordKey, encrypt: encrypt / notes, decrypt: decrypt / notes, seal, open };
}"""


async def measure(
    browser: Browser, base: str, throttle: float, runs: int, notes: int
) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {}
    for _ in range(runs):
        context = await browser.new_context(base_url=base, viewport={"width": 360, "height": 740})
        page = await context.new_page()
        await page.goto("/")
        cdp = await context.new_cdp_session(page)
        await cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        sample: dict[str, Any] = {"load": await page.evaluate(LOAD)}
        sample |= await page.evaluate(MEASURE, {"notes": notes, "text": NOTE})
        for name, value in sample.items():
            results.setdefault(name, []).append(float(value))
        await context.close()
    return results


async def run(
    base: str, throttles: list[float], runs: int, notes: int
) -> dict[float, dict[str, list[float]]]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        out = {}
        for throttle in throttles:
            log(f"CPU throttle {throttle:g}x: {runs} runs")
            out[throttle] = await measure(browser, base, throttle, runs, notes)
        await browser.close()
    return out


ROWS = [
    ("load", "load libsodium (per page load)"),
    ("passwordKey", "password key, Argon2id 64 MiB"),
    ("encrypt", "encrypt a 500-char note"),
    ("decrypt", "decrypt a 500-char note"),
    ("seal", "seal a pair key"),
    ("open", "open a pair key"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--notes", type=int, default=200)
    parser.add_argument(
        "--throttle", default="1,4,6", help="CPU slow-down factors, comma-separated"
    )
    options = parser.parse_args()
    if not Path(CHROMIUM).exists():
        log("no /usr/bin/chromium: run `make browser-deps`")
        return 1
    throttles = [float(t) for t in options.throttle.split(",")]
    with (
        tempfile.TemporaryDirectory(prefix="accord-bench-e2ee-") as tmp,
        app_on_fresh_database("sqlite", Path(tmp)) as (_, app),
    ):
        results = asyncio.run(run(app.base_url, throttles, options.runs, options.notes))
    lines = []
    for throttle, measured in results.items():
        for key, label in ROWS:
            values = measured[key]
            lines.append(
                (
                    label,
                    f"{throttle:g}x",
                    str(len(values)),
                    f"{statistics.median(values):.2f}",
                    f"{max(values):.2f}",
                )
            )
    print(f"{options.notes} notes per run; times in ms")
    print(table(["operation", "CPU", "runs", "p50 ms", "max ms"], lines, 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
