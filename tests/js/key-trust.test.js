// Which keys a phone trusts (frontend/js/key-trust.js): its own is derived from the private key
// it holds, never taken from the server's list.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as c from "../../frontend/js/crypto.js";
import { comparePin, KeyMismatch, pinOf, trustedKeys } from "../../frontend/js/key-trust.js";

async function member(userId) {
  const pair = await c.generateKeyPair();
  return { userId, privateKey: pair.privateKey, public_key: c.b64(pair.publicKey) };
}

test("the own key is derived from the private key; the partner's is as listed", async () => {
  const [me, partner] = [await member("me"), await member("partner")];
  const members = [
    { user_id: "partner", public_key: partner.public_key },
    { user_id: "me", public_key: me.public_key },
  ];
  assert.deepEqual(await trustedKeys(members, "me", me.privateKey), {
    own: me.public_key,
    partnerId: "partner",
    partner: partner.public_key,
  });
  const waiting = [members[1], { user_id: "partner", public_key: null }];
  assert.equal((await trustedKeys(waiting, "me", me.privateKey)).partner, null);
});

test("a listed own key that is not this phone's is refused", async () => {
  const [me, partner, server] = [await member("me"), await member("partner"), await member("me")];
  const swapped = [
    { user_id: "me", public_key: server.public_key },
    { user_id: "partner", public_key: partner.public_key },
  ];
  await assert.rejects(trustedKeys(swapped, "me", me.privateKey), KeyMismatch);
  await assert.rejects(trustedKeys(swapped.slice(1), "me", me.privateKey), KeyMismatch);
});

test("a pinned partner key or pair key that changes is seen as changed", () => {
  const pinned = pinOf({ partner: "K1" }, "id-1");
  assert.equal(comparePin(null, pinned), "new");
  assert.equal(comparePin(pinned, { partner: "K1", keyId: "id-1" }), "same");
  assert.equal(comparePin(pinned, { partner: "K2", keyId: "id-1" }), "changed");
  assert.equal(comparePin(pinned, { partner: "K1", keyId: "id-2" }), "changed");
});
