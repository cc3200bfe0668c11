// The sync feed as the local copy keeps it (frontend/js/feed.js).
import assert from "node:assert/strict";
import { test } from "node:test";
import { inForce, lastEnded, record } from "../../frontend/js/feed.js";

test("a change is filed under its dynamic; a dynamic and its limits under their own id", () => {
  assert.deepEqual(record({ entity: "checkin", id: "c1", data: { dynamic_id: "d1" } }), {
    key: "checkin:c1",
    entity: "checkin",
    id: "c1",
    dynamic_id: "d1",
    data: { dynamic_id: "d1" },
  });
  assert.equal(record({ entity: "dynamic", id: "d1", data: {} }).dynamic_id, "d1");
  assert.equal(record({ entity: "limits", id: "d1", data: {} }).dynamic_id, "d1");
  assert.equal(record({ entity: "notification", id: "n1", data: null }).dynamic_id, null);
});

test("the dynamic in force is the newest that has not ended; the ended one stays findable", () => {
  const old = { id: "old", state: "ended", created_at: "2026-01-01T00:00:00Z" };
  const now = { id: "now", state: "active", created_at: "2026-02-01T00:00:00Z" };
  const older = { id: "older", state: "ended", created_at: "2025-01-01T00:00:00Z" };
  assert.equal(inForce([old, now, older]).id, "now");
  assert.equal(lastEnded([older, now, old]).id, "old");
  assert.equal(inForce([old, older]), null);
  assert.equal(lastEnded([now]), null);
});
