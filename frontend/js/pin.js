// The PIN lock on this device: a privacy screen against someone who picks up the phone, not
// encryption (the data in IndexedDB stays readable to whoever controls the browser profile).
// The PIN itself is never stored: only a PBKDF2-SHA-256 hash with a random salt. The app locks
// when it starts and after five minutes in the background. Ten wrong PINs in a row sign this
// device out and wipe its local data, so the PIN cannot be guessed by trying them all.
import { del, get, put } from "./idb.js";

const KEY = "pin";
const ITERATIONS = 200_000;
const AWAY_MS = 5 * 60 * 1000;
export const MAX_ATTEMPTS = 10;
let unlocked = false;
let hiddenAt = null;

async function derive(pin, salt, iterations) {
  const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(pin), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, material, 256);
  return new Uint8Array(bits);
}

export function validPin(pin) {
  return /^[0-9]{4,8}$/.test(pin);
}

export async function hasPin() {
  return Boolean(await get("kv", KEY));
}

export async function setPin(pin) {
  if (!validPin(pin)) throw new Error("A PIN is 4 to 8 digits.");
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await derive(pin, salt, ITERATIONS);
  await put("kv", { salt, hash, iterations: ITERATIONS, failures: 0 }, KEY);
  unlocked = true;
}

export async function removePin() {
  await del("kv", KEY);
  unlocked = true;
}

export async function isLocked() {
  if (unlocked) return false;
  return hasPin();
}

// Resolves "ok", "wrong" (with attempts left in .left) or "wiped".
export async function unlock(pin) {
  const stored = await get("kv", KEY);
  if (!stored) {
    unlocked = true;
    return { result: "ok" };
  }
  const hash = await derive(pin, stored.salt, stored.iterations);
  let same = hash.length === stored.hash.length;
  for (let i = 0; i < hash.length; i += 1) same = same && hash[i] === stored.hash[i];
  if (same) {
    await put("kv", { ...stored, failures: 0 }, KEY);
    unlocked = true;
    return { result: "ok" };
  }
  const failures = (stored.failures || 0) + 1;
  await put("kv", { ...stored, failures }, KEY);
  if (failures >= MAX_ATTEMPTS) return { result: "wiped" };
  return { result: "wrong", left: MAX_ATTEMPTS - failures };
}

export function lockNow() {
  unlocked = false;
}

// Locks again after AWAY_MS in the background, and re-renders so the lock screen shows.
export function watchForLock(render) {
  document.addEventListener("visibilitychange", async () => {
    if (document.visibilityState === "hidden") {
      hiddenAt = Date.now();
    } else if (hiddenAt !== null && Date.now() - hiddenAt > AWAY_MS && (await hasPin())) {
      unlocked = false;
      hiddenAt = null;
      render();
    }
  });
}
