// The local copy of the server's state, kept in IndexedDB so the last known data is readable
// offline. Two kinds of data:
//   - entities from the sync feed (docs/sync.md): dynamics, protocols, completions, check-ins,
//     responses, limits views, notifications. The feed replaces whole entities, so applying a
//     page is a plain put/delete, stored in one transaction with the new cursor.
//   - views: the last answer of a computed GET (today, balance, history), re-read when shown.
// Every change is announced to this page and, through a BroadcastChannel, to the other tabs and
// the service worker, so screens re-render without polling.
import { OfflineError, request } from "./api.js";
import { inForce, lastEnded, record } from "./feed.js";
import { get, req, tx } from "./idb.js";

const channel = typeof BroadcastChannel === "function" ? new BroadcastChannel("accord") : null;
const listeners = new Set();

export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function announce(message) {
  for (const listener of [...listeners]) listener(message);
  if (channel) channel.postMessage(message);
}

if (channel) {
  channel.onmessage = (event) => {
    for (const listener of [...listeners]) listener(event.data);
  };
}

let syncing = null;
let again = false;

// Catches up with the feed until it has nothing more. One run at a time in this context (and,
// with Web Locks, across tabs and the worker). Resolves with the set of entity kinds changed.
// Asked while a run is going, it runs once more after it (a change announced while a run read
// its last page would otherwise wait for the next one).
export function sync() {
  if (syncing) {
    again = true;
    return syncing;
  }
  {
    const run = async () => {
      const changed = new Set();
      for (let pages = 0; pages < 1000; pages += 1) {
        const cursor = (await get("kv", "cursor")) || "";
        let page;
        try {
          page = (await request("GET", `/api/sync?cursor=${encodeURIComponent(cursor)}&limit=200`)).data;
        } catch (error) {
          if (error.code === "invalid_cursor") {
            // A cursor the server did not give out: start again and replace the local copy.
            await tx(["kv", "entities"], "readwrite", (s) => Promise.all([req(s.entities.clear()), req(s.kv.delete("cursor"))]));
            continue;
          }
          throw error;
        }
        await tx(["kv", "entities"], "readwrite", (s) => {
          for (const change of page.changes) {
            const key = `${change.entity}:${change.id}`;
            if (change.op === "delete") s.entities.delete(key);
            else s.entities.put(record(change));
            changed.add(change.entity);
          }
          return req(s.kv.put(page.cursor, "cursor"));
        });
        if (!page.has_more) break;
      }
      if (changed.size) announce({ type: "sync", entities: [...changed] });
      return changed;
    };
    const locked = globalThis.navigator && navigator.locks ? navigator.locks.request("accord-sync", run) : run();
    syncing = locked.finally(() => {
      syncing = null;
      if (again) {
        again = false;
        sync().catch(() => {}); // a background catch-up: trySync's callers already saw theirs
      }
    });
  }
  return syncing;
}

// Sync, but quietly: offline or signed out is not an error for a background catch-up.
export async function trySync() {
  try {
    return await sync();
  } catch (error) {
    if (!(error instanceof OfflineError) && error.status !== 401) console.warn("sync failed", error.message);
    return new Set();
  }
}

// All entities of a kind (optionally of one dynamic), as the REST routes show them.
export async function entities(entity, dynamicId) {
  const rows = await tx("entities", "readonly", (s) => req(s.entities.index("entity").getAll(entity)));
  return rows.filter((r) => !dynamicId || r.dynamic_id === dynamicId).map((r) => r.data);
}

export async function entity(entity, id) {
  const row = await get("entities", `${entity}:${id}`);
  return row ? row.data : null;
}

const CHOSEN_KEY = "accord.dynamic";

// Someone with more than one partner picks which dynamic the app shows (the switcher on home,
// or a push's link "#/dynamics/<id>/…"); kept on this device.
export function chooseDynamic(id) {
  if (id) localStorage.setItem(CHOSEN_KEY, id);
  else localStorage.removeItem(CHOSEN_KEY);
}

// This person's dynamics that have not ended, newest first.
export async function openDynamics() {
  const all = await entities("dynamic");
  all.sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
  return all.filter((d) => d.state !== "ended");
}

// The dynamic this person lives in now: the one they chose, while it is open; else the newest
// that has not ended.
export async function currentDynamic() {
  const open = await openDynamics();
  const chosen = localStorage.getItem(CHOSEN_KEY);
  return open.find((d) => d.id === chosen) || inForce(open);
}

// The newest dynamic that has ended, or null: it stays readable after either member left.
export async function endedDynamic() {
  return lastEnded(await entities("dynamic"));
}

// The last stored answer of a GET, or null.
export async function cachedView(path) {
  const stored = await get("views", path);
  return stored ? stored.data : null;
}

// Reads a GET from the server (If-None-Match with the stored ETag) and stores the answer.
export async function fetchView(path) {
  const stored = await get("views", path);
  const answer = await request("GET", path, undefined, { ifNoneMatch: stored?.etag });
  if (answer.status === 304 && stored) return stored.data;
  const etag = answer.headers.get("ETag");
  await tx("views", "readwrite", (s) => req(s.views.put({ data: answer.data, etag, at: Date.now() }, path)));
  return answer.data;
}

// For a screen: shows the stored answer at once (marked stale), then the server's, and again
// whenever the feed or the outbox reports a change. Returns the cleanup for the router.
// onData(data, {stale}) renders; onError(error) is told of failures other than being offline.
export function live(path, onData, onError = () => {}) {
  let stopped = false;
  let shownFresh = false;
  const refresh = async () => {
    try {
      const data = await fetchView(path);
      if (!stopped) {
        shownFresh = true;
        onData(data, { stale: false });
      }
    } catch (error) {
      if (stopped) return;
      if (error instanceof OfflineError) onData(await cachedView(path), { stale: true, offline: true });
      else onError(error);
    }
  };
  cachedView(path)
    .then((data) => {
      if (!stopped && !shownFresh && data) onData(data, { stale: true });
    })
    .catch(() => {}); // nothing stored to show: the server's answer follows
  refresh();
  const unsubscribe = subscribe((message) => {
    if (message.type === "sync" || message.type === "outbox-sent") refresh();
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
}
