"""The web app's cryptography (frontend/js/crypto.js over the vendored libsodium, in Chromium,
under the app's own Content-Security-Policy) checked against PyNaCl, written independently in
tests/e2ee.py: what one side makes the other opens, and a ciphertext moved to another record or
field opens on neither."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import nacl.exceptions
import nacl.utils
import pytest
from nacl.public import PrivateKey
from playwright.async_api import Browser, Page

from tests import e2ee
from tests.browser import phone, watch_console

KDF = {"salt": e2ee.b64(nacl.utils.random(16)), "ops_limit": 2, "mem_limit": 64 << 20}


@pytest.fixture
async def page(server: str, browser: Browser) -> AsyncIterator[Page]:
    context = await phone(browser, server)
    page = await context.new_page()
    errors = watch_console(page)
    await page.goto("/")
    await page.evaluate(
        "async () => { window.c = await import('/js/crypto.js'); await c.ready(); }"
    )
    yield page
    assert errors == []
    await context.close()


async def js(page: Page, body: str, arg: Any = None) -> Any:
    """Runs ``body`` (an async function of ``arg``, with crypto.js as ``c``) in the page."""
    return await page.evaluate(f"async (arg) => {{ {body} }}", arg)


async def test_envelopes_cross_between_browser_and_pynacl(page: Page) -> None:
    key = nacl.utils.random(32)
    record = str(uuid.uuid4())
    text = "Thank you for tonight 🌙 — I felt so looked after."
    made = await js(
        page,
        "return c.encryptField(c.unb64(arg.key), arg.text, 'checkin', arg.id, 'note');",
        {"key": e2ee.b64(key), "text": text, "id": record},
    )
    assert set(made) == {"v", "n", "c"} and made["v"] == 1
    assert e2ee.aead_open(key, made, f"checkin:{record}:note").decode() == text
    for moved in (f"checkin:{uuid.uuid4()}:note", f"checkin:{record}:needs", f"x:{record}:note"):
        with pytest.raises(nacl.exceptions.CryptoError):
            e2ee.aead_open(key, made, moved)

    theirs = e2ee.aead_seal(key, text.encode(), f"completion:{record}:note")
    opened = await js(
        page,
        """const key = c.unb64(arg.key);
        const out = [await c.decryptField(key, arg.env, 'completion', arg.id, 'note')];
        for (const [entity, id, field] of arg.moved) {
          try { await c.decryptField(key, arg.env, entity, id, field); out.push('opened'); }
          catch { out.push('refused'); }
        }
        return out;""",
        {
            "key": e2ee.b64(key),
            "env": theirs,
            "id": record,
            "moved": [
                ["completion", str(uuid.uuid4()), "note"],
                ["completion", record, "ack_note"],
                ["checkin", record, "note"],
            ],
        },
    )
    assert opened == [text, "refused", "refused", "refused"]


async def test_wraps_and_recovery_kits_cross(page: Page) -> None:
    user = str(uuid.uuid4())
    private = bytes(PrivateKey.generate())
    recovery = nacl.utils.random(32)
    made = await js(
        page,
        """const priv = c.unb64(arg.priv), kit = c.unb64(arg.kit);
        return {
          password: await c.wrapWithPassword(arg.user, priv, 'our secret words', arg.kdf),
          recovery: await c.wrapWithRecovery(arg.user, priv, kit),
          proof: await c.recoveryProof(kit),
          text: c.recoveryKitText(kit),
          parsed: c.b64(await c.parseRecoveryKit(c.recoveryKitText(kit).toUpperCase())),
        };""",
        {"user": user, "priv": e2ee.b64(private), "kit": e2ee.b64(recovery), "kdf": KDF},
    )
    assert e2ee.open_password_wrap(user, made["password"], "our secret words") == private
    assert e2ee.open_recovery_wrap(user, made["recovery"], recovery) == private
    assert made["proof"] == e2ee.recovery_proof(recovery)
    assert made["text"].replace(" ", "") == recovery.hex() and made["parsed"] == e2ee.b64(recovery)
    with pytest.raises(nacl.exceptions.CryptoError):
        e2ee.open_password_wrap(user, made["password"], "other words")

    wraps = {
        "password": e2ee.password_wrap(user, private, "our secret words", KDF),
        "recovery": e2ee.recovery_wrap(user, private, recovery),
    }
    opened = await js(
        page,
        """return [
          c.b64(await c.unwrapWithPassword(arg.user, arg.wraps.password, 'our secret words')),
          c.b64(await c.unwrapWithRecovery(arg.user, arg.wraps.recovery, c.unb64(arg.kit))),
          await c.unwrapWithPassword(arg.other, arg.wraps.password, 'our secret words')
            .then(() => 'opened', () => 'refused'),
        ];""",
        {"user": user, "other": str(uuid.uuid4()), "wraps": wraps, "kit": e2ee.b64(recovery)},
    )
    assert opened == [e2ee.b64(private), e2ee.b64(private), "refused"]


async def test_sealed_pair_keys_and_safety_codes_cross(page: Page) -> None:
    python_side = PrivateKey.generate()
    pair_key = nacl.utils.random(32)
    browser_side = await js(
        page,
        """const pair = await c.generateKeyPair();
        window.mine = pair.privateKey;
        return {
          public: c.b64(pair.publicKey),
          sealed: await c.sealTo(arg.theirs, c.unb64(arg.pairKey)),
        };""",
        {"theirs": e2ee.b64(bytes(python_side.public_key)), "pairKey": e2ee.b64(pair_key)},
    )
    assert e2ee.open_sealed(bytes(python_side), browser_side["sealed"]) == pair_key
    opened = await js(
        page,
        "return c.b64(await c.openSealed(arg.sealed, window.mine));",
        {"sealed": e2ee.seal_to(browser_side["public"], pair_key)},
    )
    assert opened == e2ee.b64(pair_key)

    # Sealed by its sealer (docs/e2ee.md, "Pair key"): each side opens what the other sealed,
    # and only with the sealer's public key and the same dynamic, key id, sealer and recipient.
    context = {"dynamicId": "d-1", "keyId": "k-1", "sealerId": "browser", "recipientId": "py"}
    ad = e2ee.pair_key_context("d-1", "k-1", "browser", "py")
    authenticated = await js(
        page,
        "return c.sealPairKeyFor(c.unb64(arg.pairKey), window.mine, arg.theirs, arg.context);",
        {
            "theirs": e2ee.b64(bytes(python_side.public_key)),
            "pairKey": e2ee.b64(pair_key),
            "context": context,
        },
    )
    assert len(e2ee.unb64(authenticated)) == 72
    mine = bytes(python_side)
    assert e2ee.open_pair_key_from(authenticated, mine, browser_side["public"], ad) == pair_key
    stranger = e2ee.b64(bytes(PrivateKey.generate().public_key))
    for sealer, moved in ((stranger, ad), (browser_side["public"], ad.replace("d-1", "d-2"))):
        with pytest.raises(nacl.exceptions.CryptoError):
            e2ee.open_pair_key_from(authenticated, mine, sealer, moved)
    back_ad = e2ee.pair_key_context("d-1", "k-1", "py", "browser")
    back = e2ee.seal_pair_key_for(pair_key, mine, browser_side["public"], back_ad)
    opened_back = await js(
        page,
        """const out = [];
        for (const context of arg.contexts) {
          try {
            const key = await c.openPairKeyFrom(arg.sealed, window.mine, arg.sealer, context);
            out.push(c.b64(key));
          }
          catch { out.push('refused'); }
        }
        return out;""",
        {
            "sealed": back,
            "sealer": e2ee.b64(bytes(python_side.public_key)),
            "contexts": [
                {"dynamicId": "d-1", "keyId": "k-1", "sealerId": "py", "recipientId": "browser"},
                {"dynamicId": "d-1", "keyId": "k-2", "sealerId": "py", "recipientId": "browser"},
                {
                    "dynamicId": "d-1",
                    "keyId": "k-1",
                    "sealerId": "browser",
                    "recipientId": "browser",
                },
            ],
        },
    )
    assert opened_back == [e2ee.b64(pair_key), "refused", "refused"]

    ours = e2ee.b64(bytes(python_side.public_key))
    codes = await js(
        page,
        "return [await c.safetyCode(arg.a, arg.b), await c.safetyCode(arg.b, arg.a)];",
        {"a": browser_side["public"], "b": ours},
    )
    assert codes == [e2ee.safety_code(browser_side["public"], ours)] * 2
    assert len(codes[0].split(" ")) == 6 and all(len(g) == 5 for g in codes[0].split(" "))


async def test_limit_indexes_are_the_same_on_the_phone_and_in_pynacl(page: Page) -> None:
    """Both partners' phones name a custom limit item by the same blind index, and a phone of
    either kind makes the same one (so the server can match items it cannot read); another key
    or other words give another index."""
    key = nacl.utils.random(32)
    for words in ("foot rubs", "reading to each other", "sous la pluie ☔"):
        made = await js(
            page,
            "const l = await import('/js/limits-words.js');"
            " return l.limitIndex(c.unb64(arg.key), arg.words);",
            {"key": e2ee.b64(key), "words": words},
        )
        assert made == e2ee.limit_index(key, words)
        assert made.startswith("b:") and len(made) == 45
    assert e2ee.limit_index(key, "foot rubs") != e2ee.limit_index(
        nacl.utils.random(32), "foot rubs"
    )
    assert e2ee.limit_index(key, "foot rubs") != e2ee.limit_index(key, "foot rub")


async def test_the_phone_names_custom_items_as_the_server_does(page: Page) -> None:
    """Items written in clear before the pair key were named by the server (``item_key``); the
    phone renames them by the index of its own name for them (``itemKey``): the two agree, so
    the item typed again later meets the renamed one."""
    from app.limits.schemas import item_key

    for words in ("Foot  Rubs", "Straße", "ΟΔΟΣ", "  Café au lait "):
        named = await js(
            page,
            "const w = await import('/js/screens/limits/words.js'); return w.itemKey(arg);",
            words,
        )
        assert named == item_key(words), words
