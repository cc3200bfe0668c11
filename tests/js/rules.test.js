// The password rule (frontend/js/password-rule.js) and a wait bounded in time
// (frontend/js/promises.js), on Node's mocked timers: no test waits on the clock.
import assert from "node:assert/strict";
import { test } from "node:test";
import { length, PASSWORD_MAX, passwordProblem } from "../../frontend/js/password-rule.js";
import { within } from "../../frontend/js/promises.js";

test("passwords are counted as the server counts them, in code points", () => {
  assert.equal(length("🔒🔒"), 2);
  assert.equal(passwordProblem("🔒🔒🔒🔒🔒🔒🔒🔒"), null);
  assert.equal(passwordProblem("short"), "Your password is too short: use at least 8 characters (this one has 5).");
  assert.equal(passwordProblem("", "The new password"), "The new password is too short: use at least 8 characters.");
  assert.match(passwordProblem("x".repeat(PASSWORD_MAX + 1)), /too long: use at most 128 characters \(this one has 129\)/);
});

test("within: the work when it settles first, the fallback once the time is up", async (t) => {
  t.mock.timers.enable({ apis: ["setTimeout"] });
  assert.equal(await within(3000, Promise.resolve("done"), "late"), "done");
  const never = new Promise(() => {});
  const waiting = within(3000, never, "late");
  t.mock.timers.tick(3000);
  assert.equal(await waiting, "late");
});
