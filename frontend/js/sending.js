// How the outbox sends, without the storage and the network it is given: in the order the writes
// were made, stopping at the first that must wait so that no later write overtakes it, and
// keeping what the server refused with its reason. Pure: `node --test` imports it.
import { ApiError, OfflineError } from "./errors.js";

// Answers worth waiting for and resending with the same key: no connection, throttled, the
// server in trouble, the same key still being worked on, or a session to refresh first.
export function retryable(error) {
  return (
    error instanceof OfflineError ||
    error.status === 429 ||
    error.status >= 500 ||
    (error.status === 409 && error.code === "idempotency_in_flight") ||
    error.status === 401
  );
}

// The outbox in the order the writes were made.
export function inOrder(items) {
  return [...items].sort((a, b) => a.seq - b.seq);
}

// The write as kept after the server refused it, with the reason to show.
export function refusedItem(item, error) {
  return { ...item, state: "failed", error: { status: error.status, code: error.code || null, detail: error.message } };
}

// Sends the pending writes of `items`, oldest first, through `io`: `send(item)` (throws the
// ApiError or OfflineError of the request), `stillQueued(item)` (another tab or the worker may
// have sent it meanwhile), `sent(item)` and `refused(failedItem)`. Stops at the first write that
// must wait, and at anything that is not an answer of the server. Resolves with how many were sent.
export async function sendInOrder(items, io) {
  let sent = 0;
  for (const item of inOrder(items)) {
    if (item.state !== "pending") continue;
    if (!(await io.stillQueued(item))) continue;
    try {
      await io.send(item);
    } catch (error) {
      if (!(error instanceof ApiError) || retryable(error)) break;
      await io.refused(refusedItem(item, error));
      continue;
    }
    await io.sent(item);
    sent += 1;
  }
  return sent;
}
