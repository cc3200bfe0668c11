// Failures in words (frontend/js/errors.js): the screen's words for a code first, then the
// status, then the server's own sentence; a missing connection in the screen's words.
import assert from "node:assert/strict";
import { describe as group, test } from "node:test";
import {
  ApiError,
  describe,
  invalidField,
  isOffline,
  OFFLINE,
  OfflineError,
  protocolRefusal,
  SOMETHING_WRONG,
  secondsToWait,
  unexpected,
} from "../../frontend/js/errors.js";

const answer = (status, body, headers = {}) => new ApiError(status, body, new Headers(headers));

group("ApiError", () => {
  test("keeps the status, the code, the server's sentence and Retry-After", () => {
    const error = answer(429, { code: "too_many_attempts", detail: "Try again in 840 seconds." }, { "Retry-After": "840" });
    assert.equal(error.status, 429);
    assert.equal(error.code, "too_many_attempts");
    assert.equal(error.message, "Try again in 840 seconds.");
    assert.equal(error.retryAfter, 840);
  });

  test("without a body or a Retry-After it still says something", () => {
    const error = new ApiError(502, null, null);
    assert.equal(error.message, "Request failed (502)");
    assert.equal(error.code, undefined);
    assert.equal(error.retryAfter, null);
  });
});

group("describe", () => {
  test("offline is said in the screen's words, or the shared ones", () => {
    assert.equal(describe(new OfflineError()), OFFLINE);
    assert.equal(describe(new OfflineError(), { offline: "Joining needs a connection." }), "Joining needs a connection.");
    assert.equal(describe({ offline: true }, { offline: "x" }), "x");
  });

  test("the screen's words for a code come before the status and the server's sentence", () => {
    const error = answer(409, { code: "dynamic_ended", detail: "The dynamic has ended." });
    assert.equal(describe(error, { codes: { dynamic_ended: "This dynamic has ended." } }), "This dynamic has ended.");
    assert.equal(describe(error, { codes: { dynamic_ended: (e) => `(${e.status})` } }), "(409)");
    assert.equal(describe(error), "The dynamic has ended.");
  });

  test("throttling and server trouble are said plainly, never as the server's text", () => {
    assert.equal(describe(answer(429, { detail: "slow down" })), "Too many attempts. Wait a few minutes and try again.");
    assert.equal(describe(answer(503, { detail: "Service Unavailable" })), "The server had a problem. Try again in a moment.");
  });

  test("anything else says its own message, or that something went wrong", () => {
    assert.equal(describe(new Error("The browser's push service did not answer.")), "The browser's push service did not answer.");
    assert.equal(describe(null), SOMETHING_WRONG);
    assert.equal(describe(new Error("")), SOMETHING_WRONG);
  });
});

group("helpers", () => {
  test("isOffline and unexpected tell the three kinds of failure apart", () => {
    assert.ok(isOffline(new OfflineError()));
    assert.ok(!isOffline(answer(500, {})));
    assert.ok(unexpected(new TypeError("x")));
    assert.ok(!unexpected(new OfflineError()));
    assert.ok(!unexpected(answer(422, {})));
  });

  test("secondsToWait reads Retry-After, else the server's sentence, else null", () => {
    assert.equal(secondsToWait(answer(429, {}, { "Retry-After": "61" })), 61);
    assert.equal(secondsToWait(answer(429, { detail: "Try again in 840 seconds." })), 840);
    assert.equal(secondsToWait(answer(429, { detail: "Later." })), null);
    assert.equal(secondsToWait(new OfflineError()), null);
  });

  test("invalidField names the first field of a validation error only", () => {
    const invalid = answer(422, { code: "validation_error", errors: [{ loc: ["body", "email"] }, { loc: ["body", "password"] }] });
    assert.equal(invalidField(invalid), "email");
    assert.equal(invalidField(answer(422, { code: "validation_error", errors: [] })), null);
    assert.equal(invalidField(answer(409, { code: "email_taken", errors: [{ loc: ["body", "email"] }] })), null);
    assert.equal(invalidField(new OfflineError()), null);
  });

  test("a protocol's refusal names the partner where it is about them", () => {
    const stale = answer(412, { code: "etag_mismatch", detail: "x" });
    assert.equal(protocolRefusal(stale, "Bob"), "Bob changed this protocol while you were editing, so nothing was sent.");
    assert.equal(protocolRefusal(stale), "your partner changed this protocol while you were editing, so nothing was sent.");
    assert.match(protocolRefusal(new OfflineError()), /^You are offline\. This needs a connection/);
  });
});
