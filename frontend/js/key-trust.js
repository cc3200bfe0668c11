// Which public keys this phone trusts for a dynamic (docs/e2ee.md, "Safety codes"). The server
// lists each member's public key, but a phone never takes the server's word for its own: it
// derives it from the private key it holds, and refuses to seal or to show a safety code when
// the listed one differs (a server that swaps it could read what is sealed to it).
import * as crypto from "./crypto.js";

export class KeyMismatch extends Error {
  constructor() {
    super("the server lists a public key for you that is not the one your phone holds");
    this.name = "KeyMismatch";
  }
}

// The two keys of a dynamic as this phone trusts them: its own, derived from `privateKey`, and
// the partner's as listed (null until they have one; `partnerGone` once their account is
// deleted). Throws KeyMismatch when the server lists another key for this phone's own account.
export async function trustedKeys(members, myId, privateKey) {
  await crypto.ready();
  const own = crypto.b64(crypto.publicKeyOf(privateKey));
  const listed = members.find((m) => m.user_id === myId);
  if (!listed || (listed.public_key && listed.public_key !== own)) throw new KeyMismatch();
  const partner = members.find((m) => m.user_id !== myId);
  return {
    ownId: myId,
    own,
    partnerId: partner?.user_id ?? null,
    partner: partner?.public_key ?? null,
    partnerGone: !partner?.user_id,
  };
}

// Who sealed a copy of the pair key, with the key it opens with ({id, key}), or null where it
// was sealed by anyone but the two members. A partner who deleted their account is no longer
// listed: the copy keeps their id and public key, trusted where that key is the one this phone
// pinned for them, or where nothing was pinned here yet (a first look, as any first look is).
export function sealerOf(copy, trusted, pinned) {
  const id = copy.sealed_by ?? copy.sealer_id ?? null;
  if (!id) return null;
  if (id === trusted.ownId) return { id, key: trusted.own };
  if (copy.sealed_by && id === trusted.partnerId && trusted.partner) return { id, key: trusted.partner };
  const kept = copy.sealer_public_key;
  if (!copy.sealed_by && trusted.partnerGone && kept && (!pinned || pinned.partner === kept)) return { id, key: kept };
  return null;
}

// What this phone remembers of a dynamic's keys, once it has opened its pair key: the partner's
// public key (the one the safety code was made from) and the pair key's id. Neither changes in
// Accord today, so a change means someone in between, and the phone refuses the new one.
// A partner who left keeps the key this phone pinned for them (`kept`), or the one their copy
// keeps: their key can no longer change, and the pair key still must not.
export function pinOf(trusted, keyId, kept = null) {
  return { partner: trusted.partner ?? (trusted.partnerGone ? kept : null), keyId };
}

// "new" (nothing pinned yet), "same", or "changed": the partner's key or the pair key differs.
export function comparePin(pinned, seen) {
  if (!pinned) return "new";
  return pinned.partner === seen.partner && pinned.keyId === seen.keyId ? "same" : "changed";
}

// Words for the two warnings, plain and warm: neither is the reader's doing.
export const KEY_CHANGED =
  "Something is not right: the key for this dynamic is not the one your phone knew, so your phone does not use it. Compare your safety codes in person or on a call, and tell whoever runs Accord for you.";
export const CLEAR_AGAIN =
  "Your words here were private on this phone, and the server now says they are not. Your phone keeps them private and will not send them in clear. Please tell whoever runs Accord for you.";
