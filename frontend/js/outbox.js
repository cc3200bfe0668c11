// The outbox: writes made while offline wait here, each with the Idempotency-Key it was given
// when the person made it, and are sent in order when the device is back online (on the
// `online` event, at start-up, and by Background Sync from the service worker where the
// browser has it). A key is never replaced, so a write the server already did is answered
// with its stored response instead of being done twice (docs/sync.md, "Writing while offline").
//
// What the server refuses (409 conflict, 412 stale edit, 422, 404) is kept as "failed" with the
// server's reason and shown to the person; it is never retried by itself.
import { OfflineError, request } from "./api.js";
import { all, del, get, put, req, tx } from "./idb.js";
import { inOrder, sendInOrder } from "./sending.js";
import { announce, trySync } from "./store.js";

export const SYNC_TAG = "accord-outbox";

export async function items() {
  return inOrder(await all("outbox"));
}

// Queues a write. `label` says in words what it is ("Check-in"), for the pending list.
// `kind` and `dynamic_id` let a screen show its own pending writes in place.
export async function enqueue({ method, path, body, key, ifMatch, label, kind, dynamic_id }) {
  const item = {
    method,
    path,
    body,
    key: key || crypto.randomUUID(),
    ifMatch: ifMatch || null,
    label: label || "Change",
    kind: kind || null,
    dynamic_id: dynamic_id || null,
    created_at: new Date().toISOString(),
    state: "pending",
    error: null,
  };
  item.seq = await put("outbox", item);
  announce({ type: "outbox" });
  requestBackgroundSync();
  return item;
}

function requestBackgroundSync() {
  if (!globalThis.navigator || !navigator.serviceWorker) return;
  navigator.serviceWorker.ready
    .then((registration) => registration.sync?.register(SYNC_TAG))
    // Refused (no permission, no Background Sync): the outbox is still sent on the next start,
    // on `online` and when the app comes back to the foreground.
    .catch(() => null);
}

export async function discard(seq) {
  await del("outbox", seq);
  announce({ type: "outbox" });
}

let flushing = null;

// Sends what is pending, oldest first. Stops at the first write that must wait (offline, 429,
// 503, signed out) so that later writes never overtake it. Resolves with how many were sent.
export function flush() {
  if (!flushing) {
    const run = async () =>
      sendInOrder(await items(), {
        send: (item) => request(item.method, item.path, item.body, { key: item.key, ifMatch: item.ifMatch }),
        stillQueued: async (item) => Boolean(await get("outbox", item.seq)),
        sent: (item) => del("outbox", item.seq),
        refused: (failed) => tx("outbox", "readwrite", (s) => req(s.outbox.put(failed))),
      });
    const locked = globalThis.navigator && navigator.locks ? navigator.locks.request("accord-outbox", run) : run();
    flushing = locked
      .then(async (sent) => {
        announce({ type: "outbox" });
        if (sent) {
          announce({ type: "outbox-sent" });
          await trySync();
        }
        return sent;
      })
      .finally(() => {
        flushing = null;
      });
  }
  return flushing;
}

// A write from a screen. Online, it is sent at once (a refusal is thrown to the form that made
// it, and nothing is queued). Offline, or if the connection drops on the way, it is queued with
// the same key and {queued: true} is returned. Writes that make no sense later (`offline:
// false`: pairing, account changes, protocol edits needing a fresh ETag) throw OfflineError.
export async function write({ method = "POST", path, body, ifMatch, label, kind, dynamic_id, offline = true }) {
  const key = crypto.randomUUID();
  const online = !globalThis.navigator || navigator.onLine !== false;
  const sendNow = async () => {
    const answer = await request(method, path, body, { key, ifMatch });
    announce({ type: "outbox-sent" });
    trySync();
    return { queued: false, data: answer.data };
  };
  if (!offline) {
    if (!online) throw new OfflineError();
    return sendNow();
  }
  // Queued writes go first: a new one must not overtake them.
  if (online && !(await hasPending())) {
    try {
      return await sendNow();
    } catch (error) {
      if (!(error instanceof OfflineError)) throw error;
    }
  }
  await enqueue({ method, path, body, key, ifMatch, label, kind, dynamic_id });
  flush().catch(() => 0); // stays queued: sent on the next start, `online` or Background Sync
  return { queued: true, data: null };
}

async function hasPending() {
  return (await items()).some((item) => item.state === "pending");
}
