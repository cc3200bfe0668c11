// The service worker (an ES module). The server puts three constants in front of this file when
// it serves it (app/core/frontend.py): VERSION, a hash of every file of the app, SHELL, the
// list of those files to precache, and ON_DEMAND, the folders cached on first use instead. A change to any file therefore makes a new worker, which precaches the
// new shell and drops the old cache when it activates.
//
// The shell comes from the cache (so the app opens offline at once); the API never does: the
// private data that must be readable offline is kept by the app itself in IndexedDB.
// Only static imports: a service worker may not use import().
import { flush, items, SYNC_TAG } from "/js/outbox.js";
import { resubscribe } from "/js/push.js";
import { trySync } from "/js/store.js";

/* global VERSION, SHELL, ON_DEMAND */
const CACHE = `accord-shell-${VERSION}`;

// A new version waits until the app says to take over (the person tapped "Reload"): taking
// over an open page at once could hand its old modules a screen module of the new version.
self.addEventListener("install", (event) => {
  // cache: "reload" skips the browser's HTTP cache, which could hand the new version a file
  // of the old one (static files have a Last-Modified, so browsers may reuse them unasked).
  const fresh = SHELL.map((path) => new Request(path, { cache: "reload" }));
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(fresh)));
});

self.addEventListener("message", (event) => {
  if (event.data && event.data.type === "skip-waiting") self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n.startsWith("accord-shell-") && n !== CACHE).map((n) => caches.delete(n)));
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname === "/api" || url.pathname.startsWith("/api/")) return;
  // Every page of the app is the same shell; /join/CODE reads its code from the address.
  if (request.mode === "navigate" && (url.pathname === "/" || url.pathname.startsWith("/join/"))) {
    event.respondWith(cacheFirst("/"));
    return;
  }
  if (SHELL.includes(url.pathname)) event.respondWith(cacheFirst(url.pathname));
  else if (ON_DEMAND.some((prefix) => url.pathname.startsWith(prefix))) event.respondWith(keepOnFirstUse(url.pathname));
});

// Not precached (too big for a first visit, needed later: libsodium), then kept for offline use
// in this version's cache, so a new version fetches it again.
async function keepOnFirstUse(path) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(path);
  if (cached) return cached;
  const fresh = await fetch(path);
  if (fresh.ok) await cache.put(path, fresh.clone());
  return fresh;
}

async function cacheFirst(path) {
  const cached = await caches.match(path, { cacheName: CACHE });
  return cached || fetch(path);
}

// Background Sync: the outbox is sent even if the app was closed before the phone got online.
self.addEventListener("sync", (event) => {
  if (event.tag === SYNC_TAG) event.waitUntil(sendOutbox());
});

async function sendOutbox() {
  const sent = await flush();
  // Throwing makes the browser try again later, with its own backoff.
  if ((await items()).some((item) => item.state === "pending")) throw new Error(`outbox not empty (${sent} sent)`);
}

// A push is encrypted JSON {title, body, url, tag} (docs/api.md, "Push"). It is also a hint
// that something changed: catch up with the feed so the app opens on fresh data.
self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = {};
  }
  const title = typeof message.title === "string" && message.title ? message.title : "Accord";
  const options = {
    body: typeof message.body === "string" ? message.body : "You have something new in Accord",
    tag: typeof message.tag === "string" && message.tag ? message.tag : "accord",
    data: { url: safeUrl(message.url) },
    icon: "/icons/icon-192.png",
    badge: "/icons/icon-192.png",
  };
  const shown = async () => {
    const opened = await openedBody(message.sealed);
    await self.registration.showNotification(title, opened ? { ...options, body: opened } : options);
  };
  event.waitUntil(Promise.all([shown(), trySync()]));
});

// A push may name words sealed on a phone (a protocol's title; docs/e2ee.md, "Push titles"). This
// worker holds no key: keys live only in the memory of an open, unlocked page. So it asks the
// app's open windows to open them, briefly; without an answer the push keeps its plain words.
async function openedBody(sealed) {
  if (!sealed || typeof sealed !== "object" || typeof sealed.body !== "string") return null;
  const windows = await self.clients.matchAll({ type: "window" });
  for (const client of windows) {
    const text = await askToOpen(client, sealed);
    if (typeof text === "string" && text) return sealed.body.replace("{title}", text);
  }
  return null;
}

function askToOpen(client, sealed) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    // A page that is frozen or closing never answers: the push does not wait for it.
    const timer = setTimeout(() => resolve(null), 1500);
    channel.port1.onmessage = (event) => {
      clearTimeout(timer);
      resolve(event.data?.text ?? null);
    };
    const { dynamic_id, entity, id, field, envelope } = sealed;
    client.postMessage({ type: "open-words", sealed: { dynamic_id, entity, id, field, envelope } }, [channel.port2]);
  });
}

// Only a path of this app may be opened from a notification.
function safeUrl(url) {
  if (typeof url !== "string" || !url.startsWith("/") || url.startsWith("//")) return "/";
  return url;
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = safeUrl(event.notification.data?.url);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const open = windows.find((w) => new URL(w.url).origin === self.location.origin);
      if (open) {
        await open.focus();
        open.postMessage({ type: "open", url });
        return;
      }
      await self.clients.openWindow(url);
    })(),
  );
});

// The browser renewed the push subscription: tell the server, or it keeps pushing to the old one.
self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(resubscribe(event.oldSubscription, event.newSubscription));
});
