// The order the outbox sends in (frontend/js/sending.js), over a stand-in for the network that
// answers as the server would: oldest first, never overtaking a write that must wait, and what
// the server refused kept with its reason.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, OfflineError } from "../../frontend/js/errors.js";
import { inOrder, retryable, sendInOrder } from "../../frontend/js/sending.js";

const write = (seq, state = "pending") => ({ seq, state, path: `/w/${seq}` });

// The outbox's storage and the server: `answers` maps a path to the failure the server answers
// it with; everything else is done. Records what was sent, done and refused, in order.
function world(answers = {}, gone = []) {
  const log = { sent: [], done: [], refused: [] };
  return {
    log,
    io: {
      stillQueued: async (item) => !gone.includes(item.seq),
      send: async (item) => {
        log.sent.push(item.seq);
        if (answers[item.path]) throw answers[item.path];
      },
      sent: async (item) => log.done.push(item.seq),
      refused: async (failed) => log.refused.push(failed),
    },
  };
}

test("writes are sent in the order they were made, whatever order the store gives", async () => {
  const { io, log } = world();
  assert.equal(await sendInOrder([write(3), write(1), write(2)], io), 3);
  assert.deepEqual(log.sent, [1, 2, 3]);
  assert.deepEqual(log.done, [1, 2, 3]);
});

test("a write that must wait stops the ones after it", async () => {
  for (const failure of [
    new OfflineError(),
    new ApiError(503, {}),
    new ApiError(429, {}),
    new ApiError(401, {}),
    new ApiError(409, { code: "idempotency_in_flight" }),
  ]) {
    const { io, log } = world({ "/w/2": failure });
    assert.equal(await sendInOrder([write(1), write(2), write(3)], io), 1);
    assert.deepEqual(log.sent, [1, 2], `${failure.status} must stop the outbox`);
    assert.deepEqual(log.refused, []);
  }
});

test("a refusal is kept with its reason and the next write goes on", async () => {
  const ended = new ApiError(409, { code: "dynamic_ended", detail: "The dynamic had ended." });
  const { io, log } = world({ "/w/1": ended });
  assert.equal(await sendInOrder([write(1), write(2)], io), 1);
  assert.deepEqual(log.done, [2]);
  assert.deepEqual(log.refused, [
    { ...write(1), state: "failed", error: { status: 409, code: "dynamic_ended", detail: "The dynamic had ended." } },
  ]);
});

test("a failure that is no answer of the server stops the outbox", async () => {
  const { io, log } = world({ "/w/1": new TypeError("broken") });
  assert.equal(await sendInOrder([write(1), write(2)], io), 0);
  assert.deepEqual(log.sent, [1]);
  assert.deepEqual(log.refused, []);
});

test("refused writes are not sent again, nor ones another tab sent meanwhile", async () => {
  const { io, log } = world({}, [2]);
  assert.equal(await sendInOrder([write(1, "failed"), write(2), write(3)], io), 1);
  assert.deepEqual(log.sent, [3]);
});

test("what is worth waiting for", () => {
  assert.ok(retryable(new OfflineError()));
  assert.ok(retryable(new ApiError(500, {})));
  assert.ok(!retryable(new ApiError(409, { code: "dynamic_ended" })));
  assert.ok(!retryable(new ApiError(412, { code: "etag_mismatch" })));
  assert.ok(!retryable(new ApiError(422, {})));
});

test("inOrder leaves the store's list as it was", () => {
  const stored = [write(2), write(1)];
  assert.deepEqual(
    inOrder(stored).map((w) => w.seq),
    [1, 2],
  );
  assert.deepEqual(
    stored.map((w) => w.seq),
    [2, 1],
  );
});
