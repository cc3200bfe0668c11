// This phone's keys, in memory only (docs/e2ee.md): the private key unwrapped after a sign-in,
// and a new recovery kit until its owner has seen it. Nothing here is written to storage, so a
// copy of the browser's storage holds no key; a reload forgets them.
//
// The server is asked only through app/keys' routes, and gets keys only wrapped or sealed.
import { api, recoverPassword } from "./api.js";
import * as crypto from "./crypto.js";
import { CLEAR_AGAIN, comparePin, KEY_CHANGED, KeyMismatch, pinOf, sealerOf, trustedKeys } from "./key-trust.js";
import { entities, subscribe, announce as tellScreens, trySync } from "./store.js";

const held = { userId: null, privateKey: null, kit: null, stale: false };
// Each private dynamic's pair key, opened here (dynamic id -> key); and whether a dynamic has a
// pair key at all, as last heard (a fact the server knows too, kept so that a phone offline or
// not yet unlocked still knows not to write words in clear there).
const pairKeys = new Map();
const PRIVATE_DYNAMICS = "accord:private-dynamics";
// Per account and dynamic, the partner's public key and the pair key's id this phone first
// opened the pair key with (public values only); and what was found wrong, to say where shown.
const PINNED_KEYS = "accord:pinned-keys";
const warnings = new Map();

function announce() {
  globalThis.dispatchEvent(new CustomEvent("accord:keys"));
}

function hold(userId, privateKey) {
  held.userId = userId;
  held.privateKey = privateKey;
  held.stale = false;
}

export function forget() {
  Object.assign(held, { userId: null, privateKey: null, kit: null, stale: false });
  pairKeys.clear();
  warnings.clear();
  announce();
}

function stored(name, fallback) {
  try {
    return JSON.parse(localStorage.getItem(name)) ?? fallback;
  } catch {
    return fallback; // unreadable: learnt again from the server
  }
}

function remembered() {
  return new Set(stored(PRIVATE_DYNAMICS, []));
}

// Only ever added: a dynamic this phone has seen private stays private here, whatever the
// server says later (docs/e2ee.md, "On the phone"), so words are never sent in clear there.
function remember(dynamicId) {
  const known = remembered();
  if (known.has(dynamicId)) return;
  known.add(dynamicId);
  localStorage.setItem(PRIVATE_DYNAMICS, JSON.stringify([...known]));
}

function warn(dynamicId, words) {
  if (warnings.get(dynamicId) === words) return;
  warnings.set(dynamicId, words);
  announce();
}

// What this phone found wrong with a dynamic's keys, in words to show, or null.
export function keyWarning(dynamicId) {
  return warnings.get(dynamicId) || null;
}

// The pair key of a dynamic, if this phone has opened it; else null.
export function pairKeyOf(dynamicId) {
  return pairKeys.get(dynamicId) || null;
}

// True when this phone holds its private key (signed in with the password since the last load).
export function unlocked() {
  return Boolean(held.privateKey);
}

// Whether a dynamic's words are private (it has a pair key): asked of the server when online,
// else as last heard. Where both members have keys and no pair key exists yet, this phone makes
// it (with its private key here). What was learnt opens the pair key. Screens asking at once
// share one request.
const asking = new Map();

export function isPrivate(dynamicId) {
  if (pairKeys.has(dynamicId)) return Promise.resolve(true);
  if (!asking.has(dynamicId)) {
    const ask = (async () => {
      try {
        await learn(dynamicId, await current(dynamicId, true));
      } catch {
        // Offline or refused: what this phone heard last stands.
      }
      return remembered().has(dynamicId);
    })().finally(() => asking.delete(dynamicId));
    asking.set(dynamicId, ask);
  }
  return asking.get(dynamicId);
}

// A dynamic's keys, with its pair key made here first if it is ready for one (`seal`).
async function current(dynamicId, seal) {
  const path = `/api/dynamics/${dynamicId}/keys`;
  const keys = await api("GET", path);
  // A dynamic seen private here that the server says has no pair key is not sealed anew: its
  // words stay locked and More says what is wrong (learn).
  if (!(seal && held.privateKey && keys.state === "ready_to_seal") || remembered().has(dynamicId)) return keys;
  return sealPairKey(dynamicId, keys.members);
}

async function learn(dynamicId, keys) {
  if (keys.state === "sealed") remember(dynamicId);
  else if (remembered().has(dynamicId)) warn(dynamicId, CLEAR_AGAIN);
  if (keys.state !== "sealed" || !keys.pair_key || !held.privateKey) return;
  let key;
  try {
    key = await openCopy(dynamicId, keys);
    if (!(await keptPin(dynamicId, keys))) return;
  } catch {
    // A copy sealed to an earlier key pair, or not by one of the two of you: this phone does not
    // open it, and says so where words show.
    return;
  }
  pairKeys.set(dynamicId, key);
  // Words written before the pair key, sealed now (once; in the background: the next opening
  // goes on where an interrupted run stopped). The local copy hears of it through the feed.
  // Loaded on first use: it needs the network anyway, so a first visit does not download it.
  // The limits' too (custom items and conditions), by this person: `who`.
  const who = { me: held.userId, partnerId: keys.members.find((m) => m.user_id !== held.userId)?.user_id };
  import("./older-words.js")
    .then(({ sealOlderWords }) => sealOlderWords(dynamicId, key, who))
    .then((sealed) => sealed && trySync())
    // Offline or refused: nothing is lost, the next opening of the key goes on from here.
    .catch(() => {});
}

// A dynamic's keys changed (the feed says so: the partner set up keys, or a pair key was made):
// this phone makes the pair key if it is the first to find the dynamic ready, and opens it.
// Screens showing words draw again with it.
async function keysChanged() {
  if (!held.privateKey) return;
  let opened = false;
  for (const heard of await entities("dynamic_keys")) {
    const id = heard.dynamic_id;
    if (pairKeys.has(id)) continue;
    // The feed's copy may be older than what this phone knows already: a dynamic it remembers as
    // private, read "ready to seal" from that copy, would be taken for the server turning its
    // words back to clear (a false alarm seen in a full run). Only a sealed copy is taken as it
    // is; otherwise the server is asked now, and nothing is learnt if it cannot be.
    let keys = heard;
    if (heard.state !== "sealed") {
      try {
        keys = await current(id, heard.state === "ready_to_seal");
      } catch {
        continue; // offline or refused: the next change heard asks again
      }
    }
    await learn(id, keys);
    opened ||= pairKeys.has(id);
  }
  if (opened) tellScreens({ type: "sync", entities: ["pair_key"] });
}

subscribe((message) => {
  if (message.type === "sync" && message.entities.includes("dynamic_keys")) keysChanged().catch(() => {});
});

// This phone's copy of the pair key opens only if one of the two members whose keys the safety
// code covers sealed it, for this dynamic and this key id (docs/e2ee.md, "Pair key"). Copies
// sealed anonymously before that (crypto_box_seal) still open, so older dynamics keep their words.
async function openCopy(dynamicId, keys) {
  const copy = keys.pair_key;
  if (await crypto.isAnonymousSeal(copy.sealed_key)) return crypto.openSealed(copy.sealed_key, held.privateKey);
  const trusted = await trustedKeys(keys.members, held.userId, held.privateKey);
  const sealer = sealerOf(copy, trusted, pinOfDynamic(dynamicId));
  if (!sealer) throw new Error("not sealed by a member of this dynamic");
  const context = { dynamicId, keyId: copy.key_id, sealerId: sealer.id, recipientId: held.userId };
  return crypto.openPairKeyFrom(copy.sealed_key, held.privateKey, sealer.key, context);
}

// What this phone pinned for a dynamic, or null.
function pinOfDynamic(dynamicId) {
  return stored(PINNED_KEYS, {})[`${held.userId}:${dynamicId}`] ?? null;
}

// The partner's key and the pair key id, pinned the first time; false (with a warning) when
// either changed since, and the pair key is then not used.
async function keptPin(dynamicId, keys) {
  const trusted = await trustedKeys(keys.members, held.userId, held.privateKey);
  const copy = keys.pair_key;
  const pins = stored(PINNED_KEYS, {});
  const name = `${held.userId}:${dynamicId}`;
  const onCopy = copy.sealer_id && copy.sealer_id !== held.userId ? copy.sealer_public_key : null;
  const seen = pinOf(trusted, copy.key_id, pins[name]?.partner ?? onCopy);
  const verdict = comparePin(pins[name], seen);
  if (verdict === "changed") warn(dynamicId, KEY_CHANGED);
  if (verdict === "new") localStorage.setItem(PINNED_KEYS, JSON.stringify({ ...pins, [name]: seen }));
  return verdict !== "changed";
}

// Whoever signs out, or is replaced by another account in another tab, takes their keys along.
// Which dynamics were private and the pinned keys stay: they are ids and public keys, and they
// are what keeps this phone from trusting a server that changes its story later.
globalThis.addEventListener("accord:signed-out", forget);
globalThis.addEventListener("accord:session-changed", forget);

// The kit made on this phone and not yet marked as written down, or null.
export function pendingKit() {
  return held.kit;
}

export function kitWrittenDown() {
  held.kit = null;
  announce();
}

// True when the stored wrap did not open with the password of this sign-in: it was made under
// an earlier password (after the operator's reset link), and the kit or that password opens it.
export function wrapIsStale() {
  return held.stale;
}

// The keys as the server holds them, or null before key setup (a 204).
export async function myKeys() {
  return (await api("GET", "/api/keys/mine")) || null;
}

async function newKit(userId, privateKey) {
  const recoveryKey = await crypto.newRecoveryKey();
  const wrap = await crypto.wrapWithRecovery(userId, privateKey, recoveryKey);
  return { recoveryKey, wrap, proof: await crypto.recoveryProof(recoveryKey) };
}

// Make and publish this account's key pair. Resolves the recovery kit's words.
async function createKeys(userId, password) {
  const { publicKey, privateKey } = await crypto.generateKeyPair();
  const kdf = await api("GET", "/api/keys/kdf");
  const kit = await newKit(userId, privateKey);
  await api("POST", "/api/keys/mine", {
    public_key: crypto.b64(publicKey),
    password_wrap: await crypto.wrapWithPassword(userId, privateKey, password, kdf),
    recovery_wrap: kit.wrap,
    recovery_proof: kit.proof,
  });
  hold(userId, privateKey);
  held.kit = crypto.recoveryKitText(kit.recoveryKey);
  announce();
}

// After a sign-up or sign-in, with the password just typed: key setup for an account that has
// none, else the private key unwrapped into memory. Then pair keys where both partners are ready.
export async function afterSignIn(user, password) {
  forget(); // nothing of whoever used this phone before
  const keys = await myKeys();
  if (!keys) await createKeys(user.id, password);
  else {
    try {
      hold(user.id, await crypto.unwrapWithPassword(user.id, keys.password_wrap, password));
    } catch {
      held.stale = true; // the wrap is under an earlier password; settings offers the way back
      announce();
    }
  }
  await sealWhereReady();
}

// Set up keys from settings, for an account that has none (key setup at sign-in failed).
export async function setUp(user, password) {
  await createKeys(user.id, password);
  await sealWhereReady();
  return held.kit;
}

// The private key unwrapped with the password, even when it is in memory: a new kit is a way
// into the account, so whoever holds this unlocked phone must still know the password.
async function privateKeyFor(user, password) {
  const keys = await myKeys();
  const privateKey = await crypto.unwrapWithPassword(user.id, keys.password_wrap, password);
  hold(user.id, privateKey);
  return privateKey;
}

// A new recovery kit replaces the old one, which stops working. Resolves the new kit's words.
export async function replaceKit(user, password) {
  const privateKey = await privateKeyFor(user, password);
  const kit = await newKit(user.id, privateKey);
  await api("PUT", "/api/keys/mine/recovery", {
    current_password: password,
    recovery_wrap: kit.wrap,
    recovery_proof: kit.proof,
  });
  return crypto.recoveryKitText(kit.recoveryKey);
}

// After the password changed: the private key wrapped again under the new one (which the server
// checks, being the account's password now).
export async function rewrap(user, currentPassword, newPassword) {
  const keys = await myKeys();
  if (!keys) return;
  const privateKey = await privateKeyFor(user, currentPassword);
  const kdf = await api("GET", "/api/keys/kdf");
  const wrap = await crypto.wrapWithPassword(user.id, privateKey, newPassword, kdf);
  await api("PUT", "/api/keys/mine/password-wrap", { current_password: newPassword, password_wrap: wrap });
}

// A key wrapped under an earlier password, opened with the kit and wrapped under the current one.
export async function rewrapWithKit(user, kitText, password) {
  const recoveryKey = await crypto.parseRecoveryKit(kitText);
  if (!recoveryKey) return false;
  const keys = await myKeys();
  const privateKey = await crypto.unwrapWithRecovery(user.id, keys.recovery_wrap, recoveryKey);
  const kdf = await api("GET", "/api/keys/kdf");
  await api("PUT", "/api/keys/mine/password-wrap", {
    current_password: password,
    password_wrap: await crypto.wrapWithPassword(user.id, privateKey, password, kdf),
  });
  hold(user.id, privateKey);
  announce();
  return true;
}

// A forgotten password, replaced with the kit (signed out). Resolves false for a kit that is not
// one; the server's refusals are thrown as ApiError.
export async function recover(email, kitText, newPassword) {
  const recoveryKey = await crypto.parseRecoveryKit(kitText);
  if (!recoveryKey) return false;
  const proof = await crypto.recoveryProof(recoveryKey);
  const found = await api("POST", "/api/keys/recovery-wrap", { email, recovery_proof: proof });
  const privateKey = await crypto.unwrapWithRecovery(found.user_id, found.recovery_wrap, recoveryKey);
  const wrap = await crypto.wrapWithPassword(found.user_id, privateKey, newPassword, found.kdf);
  await recoverPassword({ email, recovery_proof: proof, new_password: newPassword, password_wrap: wrap });
  hold(found.user_id, privateKey);
  return true;
}

// Every open dynamic whose two members have keys and no pair key yet gets one, made here and
// sealed to both. If the partner's phone was first, the server answers with theirs, which stands.
// Then every pair key of this person's dynamics is opened here.
export async function sealWhereReady() {
  const { items } = await api("GET", "/api/dynamics?limit=50");
  for (const dynamic of items) await learn(dynamic.id, await current(dynamic.id, dynamic.state !== "ended"));
  announce();
}

// After a reload: the private key unwrapped with the password again, and the pair keys opened.
export async function unlock(user, password) {
  const keys = await myKeys();
  hold(user.id, await crypto.unwrapWithPassword(user.id, keys.password_wrap, password));
  await sealWhereReady();
}

// Sealed by this phone's private key, so each copy proves who made it. The own copy is sealed to
// the key derived here, never to the server's word for it: a listed key that differs is refused
// (KeyMismatch), and nothing is sealed.
async function sealPairKey(dynamicId, members) {
  const trusted = await trustedKeys(members, held.userId, held.privateKey);
  const { keyId, key } = await crypto.newPairKey();
  const sealFor = async (recipientId, publicKey) => ({
    user_id: recipientId,
    sealed_key: await crypto.sealPairKeyFor(key, held.privateKey, publicKey, { dynamicId, keyId, sealerId: held.userId, recipientId }),
  });
  const sealed = [await sealFor(held.userId, trusted.own), await sealFor(trusted.partnerId, trusted.partner)];
  // The answer is the dynamic's keys as they now stand: this pair key, or the one the partner's
  // phone made a moment before (the server keeps the first).
  return api("POST", `/api/dynamics/${dynamicId}/pair-key`, { key_id: keyId, sealed });
}

// The key code of this person's own key, made from the private key held here (never from the
// server's word); null where it is not open on this phone.
export async function myKeyCode() {
  if (!held.privateKey) return null;
  await crypto.ready();
  return crypto.keyCode(crypto.b64(crypto.publicKeyOf(held.privateKey)));
}

// The key code of the inviter of invite `code`, made here from the public key the server hands
// out for them; null where they have no keys yet.
export async function inviterKeyCode(code) {
  const { public_key: publicKey } = await api("GET", `/api/invites/${encodeURIComponent(code)}/key`);
  return publicKey ? crypto.keyCode(publicKey) : null;
}

// The safety code of a dynamic, computed here from this phone's own public key (derived from the
// private key it holds) and the partner's. No code while locked ({locked: true}), nor when the
// server lists another key for this phone ({mismatch: true}); null until both have keys.
export async function safetyCodeOf(dynamicId, myId) {
  const keys = await api("GET", `/api/dynamics/${dynamicId}/keys`);
  if (!held.privateKey || held.userId !== myId) return { code: null, locked: true, keys };
  let trusted;
  try {
    trusted = await trustedKeys(keys.members, myId, held.privateKey);
  } catch (error) {
    if (error instanceof KeyMismatch) return { code: null, mismatch: true, keys };
    throw error;
  }
  if (!trusted.partner || !keys.members.find((m) => m.user_id === myId)?.public_key) return { code: null, keys };
  return { code: await crypto.safetyCode(trusted.own, trusted.partner), keys };
}
