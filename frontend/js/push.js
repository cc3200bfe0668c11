// Web Push on this device: subscribe with the server's VAPID key, tell the server, and undo
// both. Used by the settings screen and by the service worker (no DOM here).
import { api, OfflineError } from "./api.js";

function keyBytes(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const raw = atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function registration() {
  if (globalThis.registration?.pushManager) return globalThis.registration;
  return navigator.serviceWorker.ready;
}

// The registration if there is one, without waiting for a worker that may never come (ready
// never resolves when the worker failed to register).
async function existing() {
  if (globalThis.registration?.pushManager) return globalThis.registration;
  return (await navigator.serviceWorker.getRegistration()) || null;
}

export function supported() {
  return "serviceWorker" in navigator && "PushManager" in globalThis && "Notification" in globalThis;
}

// "on" when this device is subscribed, "off" when not, "blocked" when the person said no.
export async function status() {
  if (!supported()) return "unsupported";
  if (Notification.permission === "denied") return "blocked";
  const reg = await existing();
  const subscription = reg && (await reg.pushManager.getSubscription());
  return subscription ? "on" : "off";
}

// Asks for permission (must run from a tap), subscribes, and registers the device.
export async function enable() {
  if (!supported()) throw new Error("This browser cannot show notifications from Accord.");
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new Error("Notifications are blocked for Accord in this browser's settings.");
  const { public_key } = await api("GET", "/api/push/key");
  const reg = await Promise.race([
    registration(),
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error("The app's background worker is not running. Reload the page and try again.")), 10_000),
    ),
  ]);
  let subscription = await reg.pushManager.getSubscription();
  if (subscription) {
    // Subscribed with another key (the server's key changed): start again.
    const current = subscription.options?.applicationServerKey;
    const wanted = keyBytes(public_key);
    if (current && new Uint8Array(current).join() !== wanted.join()) {
      await subscription.unsubscribe();
      subscription = null;
    }
  }
  if (!subscription) {
    try {
      subscription = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(public_key) });
    } catch (error) {
      throw new Error(`The browser's push service did not answer (${error.message || error.name}). Try again later.`);
    }
  }
  await api("POST", "/api/push/subscriptions", subscription.toJSON());
  return subscription;
}

// Stops pushes to this device: on the server first (so a shared phone stops getting them),
// then in the browser. Called from settings and before signing out.
export async function disable() {
  if (!supported()) return;
  const reg = await existing();
  const subscription = reg && (await reg.pushManager.getSubscription());
  if (!subscription) return;
  try {
    await api("DELETE", "/api/push/subscriptions", { endpoint: subscription.endpoint });
  } catch (error) {
    if (error instanceof OfflineError) throw error;
    // 404: the server had already forgotten this device; unsubscribing is still right.
  }
  await subscription.unsubscribe();
}

export async function resubscribe(oldSubscription, newSubscription) {
  if (oldSubscription) {
    // Best effort, on purpose: the browser already dropped the old subscription, and the server
    // drops it itself the first time the push service answers 404/410 for it.
    await api("DELETE", "/api/push/subscriptions", { endpoint: oldSubscription.endpoint }).catch(() => null);
  }
  if (newSubscription) await api("POST", "/api/push/subscriptions", newSubscription.toJSON());
}
