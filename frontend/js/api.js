// The API client, for pages and the service worker alike: JSON in and out, the Bearer access
// token, one refresh on a 401, and an Idempotency-Key on every POST and PATCH (a retry reuses
// the same key, so the server does the work once).
//
// The session lives in IndexedDB (not localStorage) so the service worker can send the outbox
// by Background Sync. Refreshes are serialised across tabs and the worker with a Web Lock: the
// server takes two refreshes with one token as a stolen token and ends the session.
import { ApiError, OfflineError } from "./errors.js";
import { del, get, put, wipe } from "./idb.js";

// The failures of a request live with their words; screens may import them from here too.
export { ApiError, OfflineError };

const KEY = "session";
let current = null;

// Tabs and the worker of this browser tell each other when the session changes (sign-in,
// refresh, sign-out), so no tab goes on showing, or writing as, a person who signed out.
const sessionChannel = typeof BroadcastChannel === "function" ? new BroadcastChannel("accord-session") : null;

function signedOutHere() {
  if (globalThis.dispatchEvent && globalThis.CustomEvent) globalThis.dispatchEvent(new CustomEvent("accord:signed-out"));
}

if (sessionChannel) {
  sessionChannel.onmessage = async () => {
    const before = current?.user?.id;
    await loadSession();
    const after = current?.user?.id;
    if (before !== after && globalThis.dispatchEvent && globalThis.CustomEvent) {
      globalThis.dispatchEvent(new CustomEvent("accord:session-changed"));
    }
  };
}

export async function loadSession() {
  current = (await get("kv", KEY)) || null;
  return current;
}

export function session() {
  return current;
}

async function saveSession(answer) {
  current = {
    user: answer.user || current?.user,
    access_token: answer.access_token,
    refresh_token: answer.refresh_token,
  };
  await put("kv", current, KEY);
  if (sessionChannel) sessionChannel.postMessage("changed");
}

export async function setUser(user) {
  if (!current) return;
  current = { ...current, user };
  await put("kv", current, KEY);
}

export async function clearSession() {
  current = null;
  await del("kv", KEY);
  if (sessionChannel) sessionChannel.postMessage("changed");
}

async function send(method, path, body, headers) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new OfflineError();
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { detail: text };
    }
  }
  return { response, data };
}

async function withLock(name, work) {
  if (globalThis.navigator && navigator.locks) return navigator.locks.request(name, work);
  return work();
}

// One refresh at a time, everywhere on this device. Inside the lock the stored session is read
// again: if another tab or the worker refreshed meanwhile, its new tokens are used as they are.
// Resolves "ok"; "gone" when the session is over (no stored session, or the server answered
// 401); "other" when the stored session is another person's (signed in in another tab): this
// tab's person is signed out here, and the other person's tokens are never used for them.
// A 429 or 5xx is thrown as an ApiError and an OfflineError as it is: neither signs anybody out.
function refresh(staleAccess, userId) {
  return withLock("accord-refresh", async () => {
    const stored = (await get("kv", KEY)) || null;
    if (!stored?.refresh_token) return "gone";
    if (userId && (!stored.user || stored.user.id !== userId)) return "other";
    if (stored.access_token !== staleAccess) {
      current = stored;
      return "ok";
    }
    const { response, data } = await send("POST", "/api/auth/refresh", { refresh_token: stored.refresh_token }, {});
    if (response.status === 401) return "gone";
    if (!response.ok) throw new ApiError(response.status, data, response.headers);
    await saveSession({ ...data, user: data.user || stored.user });
    return "ok";
  });
}

// Sends one request. `key` is the Idempotency-Key to use (the outbox passes its own); `ifMatch`
// is a protocol's ETag for an edit. Throws ApiError for an answer that is not 2xx and
// OfflineError when the server cannot be reached. Returns {data, status, headers}.
export async function request(method, path, body, { key, ifMatch, ifNoneMatch } = {}) {
  if (!current) await loadSession();
  const extra = {};
  if (method === "POST" || method === "PATCH") extra["Idempotency-Key"] = key || crypto.randomUUID();
  if (ifMatch) extra["If-Match"] = ifMatch;
  if (ifNoneMatch) extra["If-None-Match"] = ifNoneMatch;
  const attempt = () => {
    const auth = current ? { Authorization: `Bearer ${current.access_token}` } : {};
    return send(method, path, body, { ...extra, ...auth });
  };
  const used = current?.access_token;
  const userId = current?.user?.id;
  let { response, data } = await attempt();
  if (response.status === 401 && current) {
    const outcome = await refresh(used, userId);
    if (outcome === "ok") ({ response, data } = await attempt());
    if (response.status === 401) {
      if (outcome === "other") current = null;
      else await clearSession();
      signedOutHere();
    }
  }
  if (!response.ok && response.status !== 304) throw new ApiError(response.status, data, response.headers);
  return { data, status: response.status, headers: response.headers };
}

export async function api(method, path, body, options) {
  return (await request(method, path, body, options)).data;
}

// A sign-in by someone else than the last person on this device starts from an empty local
// copy: nobody sees, or sends, what the previous account left here.
async function adopt(user) {
  const owner = await get("kv", "owner");
  if (owner && owner !== user.id) await wipe();
  await put("kv", user.id, "owner");
}

export async function register({ email, password, display_name }) {
  const timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const { response, data } = await send("POST", "/api/auth/register", { email, password, display_name, timezone }, {});
  if (!response.ok) throw new ApiError(response.status, data, response.headers);
  await adopt(data.user);
  await saveSession(data);
  return data.user;
}

export async function login({ email, password }) {
  const { response, data } = await send("POST", "/api/auth/login", { email, password }, {});
  if (!response.ok) throw new ApiError(response.status, data, response.headers);
  await adopt(data.user);
  await saveSession(data);
  return data.user;
}

// A one-time link from the server's operator (#/reset/<token>): a new password, and this device
// signed in; the server ends every other session of the account.
export async function resetPassword({ token, new_password }) {
  const { response, data } = await send("POST", "/api/auth/reset", { token, new_password }, {});
  if (!response.ok) throw new ApiError(response.status, data, response.headers);
  await adopt(data.user);
  await saveSession(data);
  return data.user;
}

// A forgotten password replaced with the recovery kit (keyring.js made the proof and the new
// wrap): this device signed in; the server ends every other session of the account.
export async function recoverPassword(body) {
  const { response, data } = await send("POST", "/api/keys/recover", body, {});
  if (!response.ok) throw new ApiError(response.status, data, response.headers);
  await adopt(data.user);
  await saveSession(data);
  return data.user;
}

// Signs out on the server (best effort) and forgets the session; the caller wipes local data.
export async function logout() {
  const was = current || (await loadSession());
  await clearSession();
  if (!was) return;
  try {
    await send("POST", "/api/auth/logout", { refresh_token: was.refresh_token }, { Authorization: `Bearer ${was.access_token}` });
  } catch {
    // Offline: the session stays on the server until it expires or is ended from elsewhere.
  }
}
