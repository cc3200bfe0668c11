// Live: while the app is on screen it holds one Server-Sent Events stream (GET /api/events), and
// each `change` event pulls the sync feed, so a partner's red reaches an open phone at once.
// When the stream cannot be held (offline, a proxy that cuts it, the server restarting), the
// app tries again with growing pauses and meanwhile catches up every 30 seconds. Hidden, it lets
// go of the stream: the phone's battery, and pushes, take over.
//
// document.body.dataset.live says where it stands: "open", "retrying" or "off".
import { api, OfflineError, session } from "./api.js";
import { get } from "./idb.js";
import { trySync } from "./store.js";

const POLL_MS = 30_000;
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;
const SETTLED_MS = 10_000;

let source = null;
let retryTimer = null;
let settledTimer = null;
let pollTimer = null;
let retryMs = FIRST_RETRY_MS;
let generation = 0;
// True from the moment the app wants a stream until it lets go (opening, open or retrying).
let active = false;

function setState(state) {
  document.body.dataset.live = state;
}

function wanted() {
  return Boolean(session()) && document.visibilityState === "visible" && navigator.onLine;
}

function closeSource() {
  if (source) {
    source.close();
    source = null;
  }
}

function stopTimers() {
  clearTimeout(retryTimer);
  clearInterval(pollTimer);
  retryTimer = null;
  pollTimer = null;
}

// Let go of everything: hidden, offline or signed out.
export function stop() {
  active = false;
  generation += 1;
  closeSource();
  stopTimers();
  setState("off");
}

function retryLater() {
  closeSource();
  setState("retrying");
  if (!pollTimer) pollTimer = setInterval(() => trySync(), POLL_MS);
  clearTimeout(retryTimer);
  retryTimer = setTimeout(open, retryMs);
  retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
}

async function open() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (!wanted()) return stop();
  const mine = ++generation;
  closeSource();
  let ticket;
  try {
    // An EventSource cannot send the Authorization header: a single-use ticket stands in.
    ({ ticket } = await api("POST", "/api/events/ticket", {}));
  } catch (error) {
    if (mine !== generation) return;
    if (error.status === 401 || !session()) return stop();
    // Offline, 429 or 5xx: try again later (and keep catching up meanwhile).
    if (!(error instanceof OfflineError)) console.warn("live: no ticket", error.message);
    return retryLater();
  }
  if (mine !== generation) return;
  if (!wanted()) return stop();
  // The cursor of the local copy: the server says at once if the feed moved since.
  const cursor = (await get("kv", "cursor")) || "";
  if (mine !== generation) return;
  if (!wanted()) return stop();
  const params = new URLSearchParams({ ticket });
  if (cursor) params.set("cursor", cursor);
  const stream = new EventSource(`/api/events?${params}`);
  source = stream;
  stream.addEventListener("open", () => {
    if (source !== stream) return;
    // The pause before the next reconnection shrinks again only once a stream has held for a
    // while: one cut right after it opened (a proxy, a restart) must not loop once a second.
    clearTimeout(settledTimer);
    settledTimer = setTimeout(() => {
      if (source === stream) retryMs = FIRST_RETRY_MS;
    }, SETTLED_MS);
    clearInterval(pollTimer);
    pollTimer = null;
    setState("open");
    // Whatever changed between the last catch-up and now.
    trySync();
  });
  stream.addEventListener("change", () => {
    if (source === stream) trySync();
  });
  // A dropped stream: the browser would reconnect on its own with the spent ticket and be
  // refused, so the app reconnects itself, with a new ticket and the local cursor.
  stream.addEventListener("error", () => {
    if (source === stream) retryLater();
  });
}

// Hold the stream if the app is on screen, signed in and online; let go otherwise. Cheap to
// call often (the router calls it after every screen, e.g. right after signing in).
export function follow() {
  if (!wanted()) return stop();
  if (active) return;
  active = true;
  retryMs = FIRST_RETRY_MS;
  open();
}

export function start() {
  document.addEventListener("visibilitychange", follow);
  window.addEventListener("online", follow);
  window.addEventListener("offline", follow);
  window.addEventListener("accord:signed-out", stop);
  window.addEventListener("accord:session-changed", () => {
    stop();
    follow();
  });
  follow();
}
