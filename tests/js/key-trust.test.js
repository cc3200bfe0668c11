// Which keys a phone trusts (frontend/js/key-trust.js): its own is derived from the private key
// it holds, never taken from the server's list.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as c from "../../frontend/js/crypto.js";
import { comparePin, KeyMismatch, pinOf, sealerOf, trustedKeys } from "../../frontend/js/key-trust.js";

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
    ownId: "me",
    own: me.public_key,
    partnerId: "partner",
    partner: partner.public_key,
    partnerGone: false,
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

test("a copy opens with its sealer's key: a member's as listed, a partner's who left as kept", async () => {
  const [me, partner] = [await member("me"), await member("partner")];
  const listed = await trustedKeys(
    [
      { user_id: "me", public_key: me.public_key },
      { user_id: "partner", public_key: partner.public_key },
    ],
    "me",
    me.privateKey,
  );
  const copy = { sealed_by: "partner", sealer_id: "partner", sealer_public_key: partner.public_key };
  assert.deepEqual(sealerOf(copy, listed, null), { id: "partner", key: partner.public_key });
  assert.deepEqual(sealerOf({ ...copy, sealed_by: "me", sealer_id: "me" }, listed, null), { id: "me", key: me.public_key });
  // The server's word on the copy is not taken while the sealer is listed with another key.
  assert.equal(sealerOf({ ...copy, sealed_by: "stranger", sealer_id: "stranger" }, listed, null), null);

  // The partner deleted their account: listed without id or key, their copy keeps both.
  const gone = await trustedKeys(
    [
      { user_id: "me", public_key: me.public_key },
      { user_id: null, public_key: null },
    ],
    "me",
    me.privateKey,
  );
  assert.equal(gone.partnerGone, true);
  const left = { ...copy, sealed_by: null };
  assert.deepEqual(sealerOf(left, gone, null), { id: "partner", key: partner.public_key });
  assert.deepEqual(sealerOf(left, gone, { partner: partner.public_key }), { id: "partner", key: partner.public_key });
  // A kept key that is not the one pinned here for the partner is not used.
  assert.equal(sealerOf(left, gone, { partner: me.public_key }), null);
  // While the partner is listed, a copy without its sealer is not opened with a kept key.
  assert.equal(sealerOf(left, listed, null), null);
  // The pin of a partner who left: the key kept, so only a new pair key reads as a change.
  const pinned = pinOf(listed, "id-1");
  assert.equal(comparePin(pinned, pinOf(gone, "id-1", partner.public_key)), "same");
  assert.equal(comparePin(pinned, pinOf(gone, "id-2", partner.public_key)), "changed");
});
