// The service worker: the app shell comes from the cache, the API always from the network.
// Bump VERSION whenever a shell file changes: the new worker precaches the new shell and
// drops the old cache when it activates.
const VERSION = "accord-shell-v1";
const SHELL = [
  "/",
  "/index.html",
  "/style.css",
  "/manifest.webmanifest",
  "/js/app.js",
  "/js/api.js",
  "/js/dom.js",
  "/js/screens/welcome.js",
  "/js/screens/pair.js",
  "/js/screens/home.js",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/icons/icon-maskable-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(SHELL)));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n !== VERSION).map((n) => caches.delete(n)));
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // Network only: private data is never cached here (the API says no-store anyway).
  if (url.pathname === "/api" || url.pathname.startsWith("/api/")) return;
  // Every page of the app is the same shell; /join/CODE reads its code from the address.
  if (request.mode === "navigate" && (url.pathname === "/" || url.pathname.startsWith("/join/"))) {
    event.respondWith(cacheFirst("/"));
    return;
  }
  if (SHELL.includes(url.pathname)) event.respondWith(cacheFirst(url.pathname));
});

async function cacheFirst(path) {
  const cached = await caches.match(path, { cacheName: VERSION });
  return cached || fetch(path);
}
