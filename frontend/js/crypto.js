// Every piece of cryptography the app uses, each a few lines over libsodium (vendored, pinned:
// vendor/libsodium/LICENSE). Nothing here is hand-made: key pairs are crypto_box (X25519),
// wraps and envelopes crypto_aead_xchacha20poly1305_ietf, the password key crypto_pwhash
// (Argon2id), the recovery kit's two subkeys crypto_kdf, pair keys the AEAD under the key of
// crypto_box_beforenm (the first ones crypto_box_seal) and the safety code crypto_generichash
// (BLAKE2b). The design, and what it cannot promise, is docs/e2ee.md.
//
// Bytes travel as base64url without padding; keys stay Uint8Arrays in memory.
//
// libsodium is imported on first use, not with the app: opening the app does not download or
// compile it (about 190 kB compressed). Every function awaits ready() first; b64, unb64 and
// recoveryKitText are for values that came out of one of them.
let sodium = null;

const B64 = () => sodium.base64_variants.URLSAFE_NO_PADDING;
const KDF_CONTEXT = "accordrk";
const RECOVERY_WRAP_SUBKEY = 1;
const RECOVERY_PROOF_SUBKEY = 2;

// Loads libsodium and compiles its WebAssembly, once.
export async function ready() {
  if (!sodium) {
    const loaded = (await import("../vendor/libsodium/libsodium-wrappers.mjs")).default;
    await loaded.ready;
    sodium = loaded;
  }
}

export const b64 = (bytes) => sodium.to_base64(bytes, B64());
export const unb64 = (text) => sodium.from_base64(text, B64());

export async function generateKeyPair() {
  await ready();
  const { publicKey, privateKey } = sodium.crypto_box_keypair();
  return { publicKey, privateKey };
}

// The public key that belongs to a private one (to open what was sealed to it).
export function publicKeyOf(privateKey) {
  return sodium.crypto_scalarmult_base(privateKey);
}

// --- envelopes ------------------------------------------------------------------------------

// The associated data that binds a ciphertext to its record and field: moved anywhere else, it
// does not open.
export function associatedData(entity, id, field) {
  return `${entity}:${id}:${field}`;
}

function seal(key, plaintext, ad) {
  const nonce = sodium.randombytes_buf(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const cipher = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
  return { n: b64(nonce), c: b64(cipher) };
}

// Throws when the key, the associated data or the ciphertext is not the one it was made with.
function open(key, { n, c }, ad) {
  return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, unb64(c), ad, unb64(n), key);
}

// A field's text as stored: {"v": 1, "n", "c"} under the dynamic's pair key.
export async function encryptField(pairKey, text, entity, id, field) {
  await ready();
  return { v: 1, ...seal(pairKey, sodium.from_string(text), associatedData(entity, id, field)) };
}

export async function decryptField(pairKey, envelope, entity, id, field) {
  await ready();
  if (envelope?.v !== 1) throw new Error("not an envelope this app can open");
  return sodium.to_string(open(pairKey, envelope, associatedData(entity, id, field)));
}

// --- the private key, wrapped by the password and by the recovery kit ------------------------

export async function passwordKey(password, { salt, ops_limit, mem_limit }) {
  await ready();
  return sodium.crypto_pwhash(32, password, unb64(salt), ops_limit, mem_limit, sodium.crypto_pwhash_ALG_ARGON2ID13);
}

// `kdf` is GET /api/keys/kdf's answer: a fresh salt from the server, and Argon2id's limits.
export async function wrapWithPassword(userId, privateKey, password, kdf) {
  const key = await passwordKey(password, kdf);
  const { n, c } = seal(key, privateKey, `account:${userId}:password`);
  return { salt: kdf.salt, ops_limit: kdf.ops_limit, mem_limit: kdf.mem_limit, nonce: n, ciphertext: c };
}

export async function unwrapWithPassword(userId, wrap, password) {
  const key = await passwordKey(password, wrap);
  return open(key, { n: wrap.nonce, c: wrap.ciphertext }, `account:${userId}:password`);
}

export async function newRecoveryKey() {
  await ready();
  return sodium.randombytes_buf(32);
}

function recoverySubkey(recoveryKey, id) {
  return sodium.crypto_kdf_derive_from_key(32, id, KDF_CONTEXT, recoveryKey);
}

// What proves the kit to the server: unrelated to the key that wraps, so the server can check
// the one and learn nothing of the other.
export async function recoveryProof(recoveryKey) {
  await ready();
  return b64(recoverySubkey(recoveryKey, RECOVERY_PROOF_SUBKEY));
}

export async function wrapWithRecovery(userId, privateKey, recoveryKey) {
  await ready();
  const { n, c } = seal(recoverySubkey(recoveryKey, RECOVERY_WRAP_SUBKEY), privateKey, `account:${userId}:recovery`);
  return { nonce: n, ciphertext: c };
}

export async function unwrapWithRecovery(userId, wrap, recoveryKey) {
  await ready();
  const key = recoverySubkey(recoveryKey, RECOVERY_WRAP_SUBKEY);
  return open(key, { n: wrap.nonce, c: wrap.ciphertext }, `account:${userId}:recovery`);
}

// The kit as people write it down: 64 hex digits in sixteen groups of four.
export function recoveryKitText(recoveryKey) {
  return sodium.to_hex(recoveryKey).match(/.{4}/g).join(" ");
}

// The kit as typed back: spaces, dashes and capitals are forgiven. Null when it cannot be one.
export async function parseRecoveryKit(text) {
  await ready();
  const hex = String(text).toLowerCase().replace(/[\s-]/g, "");
  return /^[0-9a-f]{64}$/.test(hex) ? sodium.from_hex(hex) : null;
}

// --- pair keys ------------------------------------------------------------------------------

export async function newPairKey() {
  await ready();
  return { keyId: b64(sodium.randombytes_buf(16)), key: sodium.crypto_aead_xchacha20poly1305_ietf_keygen() };
}

// A pair key sealed so that its recipient knows who sealed it (docs/e2ee.md, "Pair key"): the
// key crypto_box_beforenm gives the sealer's private key and the recipient's public key (the
// same from either side) encrypts it with XChaCha20-Poly1305, under associated data naming the
// dynamic, the pair key's id, the sealer and the recipient. 24 bytes of nonce, then 48.
export function pairKeyContext({ dynamicId, keyId, sealerId, recipientId }) {
  return `pair-key:${dynamicId}:${keyId}:${sealerId}:${recipientId}`;
}

export async function sealPairKeyFor(pairKey, privateKey, recipientPublicKey, context) {
  await ready();
  const shared = sodium.crypto_box_beforenm(unb64(recipientPublicKey), privateKey);
  const nonce = sodium.randombytes_buf(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const cipher = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(pairKey, pairKeyContext(context), null, nonce, shared);
  const sealed = new Uint8Array(nonce.length + cipher.length);
  sealed.set(nonce, 0);
  sealed.set(cipher, nonce.length);
  return b64(sealed);
}

// Throws unless it was sealed by the holder of `sealerPublicKey`, for this phone, with `context`.
export async function openPairKeyFrom(sealed, privateKey, sealerPublicKey, context) {
  await ready();
  const bytes = unb64(sealed);
  const at = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  const shared = sodium.crypto_box_beforenm(unb64(sealerPublicKey), privateKey);
  return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, bytes.slice(at), pairKeyContext(context), bytes.slice(0, at), shared);
}

// The first copies were sealed anonymously (crypto_box_seal, 80 bytes against 72): still opened,
// so that older dynamics keep their words, but they prove nothing of who sealed them.
export async function isAnonymousSeal(sealed) {
  await ready();
  return unb64(sealed).length === sodium.crypto_box_SEALBYTES + 32;
}

export async function sealTo(publicKey, pairKey) {
  await ready();
  return b64(sodium.crypto_box_seal(pairKey, unb64(publicKey)));
}

export async function openSealed(sealed, privateKey) {
  await ready();
  return sodium.crypto_box_seal_open(unb64(sealed), publicKeyOf(privateKey), privateKey);
}

// --- safety code ----------------------------------------------------------------------------

// Byte by byte, as strings sort (sodium.compare reads the bytes as a little-endian number).
function byteOrder(a, b) {
  const at = a.findIndex((byte, i) => byte !== b[i]);
  return at < 0 ? 0 : a[at] - b[at];
}

// A digest as groups of five digits, one group per five bytes.
function digitGroups(digest) {
  const groups = [];
  for (let i = 0; i < digest.length; i += 5) {
    const value = digest.slice(i, i + 5).reduce((acc, byte) => acc * 256 + byte, 0);
    groups.push(String(value % 100000).padStart(5, "0"));
  }
  return groups.join(" ");
}

// The same six groups of five digits on both phones: BLAKE2b over the two public keys in
// sorted order. Computed here from the keys, never taken from the server's word.
export async function safetyCode(publicKeyA, publicKeyB) {
  await ready();
  const keys = [unb64(publicKeyA), unb64(publicKeyB)].sort(byteOrder);
  const joined = new Uint8Array(64);
  joined.set(keys[0], 0);
  joined.set(keys[1], 32);
  return digitGroups(sodium.crypto_generichash(30, joined, null));
}

// One person's key as four groups of five digits (BLAKE2b keyed for this use, so it never
// equals part of a safety code): shown beside an invite's QR code and on the join screen.
export async function keyCode(publicKey) {
  await ready();
  return digitGroups(sodium.crypto_generichash(20, unb64(publicKey), sodium.from_string("accord-key-code:v1")));
}
