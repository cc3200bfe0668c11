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
// the partner's as listed (null until they have one). Throws KeyMismatch when the server lists
// another key for this phone's own account.
export async function trustedKeys(members, myId, privateKey) {
  await crypto.ready();
  const own = crypto.b64(crypto.publicKeyOf(privateKey));
  const listed = members.find((m) => m.user_id === myId);
  if (!listed || (listed.public_key && listed.public_key !== own)) throw new KeyMismatch();
  const partner = members.find((m) => m.user_id !== myId);
  return { own, partnerId: partner?.user_id ?? null, partner: partner?.public_key ?? null };
}

// What this phone remembers of a dynamic's keys, once it has opened its pair key: the partner's
// public key (the one the safety code was made from) and the pair key's id. Neither changes in
// Accord today, so a change means someone in between, and the phone refuses the new one.
export function pinOf(trusted, keyId) {
  return { partner: trusted.partner, keyId };
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
