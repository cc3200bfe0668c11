// The web app's cryptography (frontend/js/crypto.js) on Node, over the same vendored libsodium:
// what it makes opens only where it was made for. Cross-checks with PyNaCl, in Chromium, are in
// tests/test_crypto_cross.py.
import assert from "node:assert/strict";
import { describe as group, test } from "node:test";
import * as c from "../../frontend/js/crypto.js";

group("envelopes", () => {
  test("open under the same entity, id and field only", async () => {
    const { key } = await c.newPairKey();
    const envelope = await c.encryptField(key, "à demain 🌙", "checkin", "id-1", "note");
    assert.equal(envelope.v, 1);
    assert.equal(await c.decryptField(key, envelope, "checkin", "id-1", "note"), "à demain 🌙");
    for (const [entity, id, field] of [
      ["checkin", "id-2", "note"],
      ["checkin", "id-1", "needs"],
      ["completion", "id-1", "note"],
    ]) {
      await assert.rejects(c.decryptField(key, envelope, entity, id, field));
    }
    const other = await c.newPairKey();
    await assert.rejects(c.decryptField(other.key, envelope, "checkin", "id-1", "note"));
    await assert.rejects(c.decryptField(key, { ...envelope, v: 2 }, "checkin", "id-1", "note"));
  });

  test("the same text twice makes two different envelopes (a fresh nonce each time)", async () => {
    const { key } = await c.newPairKey();
    const [a, b] = [await c.encryptField(key, "same", "x", "1", "f"), await c.encryptField(key, "same", "x", "1", "f")];
    assert.notEqual(a.n, b.n);
    assert.notEqual(a.c, b.c);
  });
});

group("recovery kit", () => {
  test("reads back as written, with spaces, dashes and capitals forgiven", async () => {
    const key = await c.newRecoveryKey();
    const text = c.recoveryKitText(key);
    assert.match(text, /^([0-9a-f]{4} ){15}[0-9a-f]{4}$/);
    const typed = text.toUpperCase().replaceAll(" ", "-");
    assert.equal(c.b64(await c.parseRecoveryKit(typed)), c.b64(key));
    assert.equal(await c.parseRecoveryKit("0123 4567"), null);
    assert.equal(await c.parseRecoveryKit(`${text.slice(0, -1)}g`), null);
  });

  test("its proof is not its wrapping key: the wrap opens with the kit, not with the proof", async () => {
    const { privateKey } = await c.generateKeyPair();
    const kit = await c.newRecoveryKey();
    const wrap = await c.wrapWithRecovery("user-1", privateKey, kit);
    assert.equal(c.b64(await c.unwrapWithRecovery("user-1", wrap, kit)), c.b64(privateKey));
    await assert.rejects(c.unwrapWithRecovery("user-1", wrap, c.unb64(await c.recoveryProof(kit))));
    await assert.rejects(c.unwrapWithRecovery("user-2", wrap, kit));
  });
});

group("safety code", () => {
  test("the same on both phones, different for another key", async () => {
    const [a, b, d] = [await c.generateKeyPair(), await c.generateKeyPair(), await c.generateKeyPair()];
    const [pa, pb, pd] = [a, b, d].map((k) => c.b64(k.publicKey));
    const code = await c.safetyCode(pa, pb);
    assert.match(code, /^(\d{5} ){5}\d{5}$/);
    assert.equal(await c.safetyCode(pb, pa), code);
    assert.notEqual(await c.safetyCode(pa, pd), code);
  });
});
