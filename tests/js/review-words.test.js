// A review's refusals in words (frontend/js/screens/review/words.js): the review's own codes
// name the partner, a missing connection says to try again, anything else is said as errors.js
// says it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, OfflineError } from "../../frontend/js/errors.js";
import { explain } from "../../frontend/js/screens/review/words.js";

const refusal = (status, code, detail = "the server's sentence") => new ApiError(status, { code, detail }, new Headers());

test("the review's codes are said in its own words, naming the partner", () => {
  assert.equal(explain(refusal(409, "review_revealed"), "Sam"), "You and Sam both answered already.");
  assert.equal(explain(refusal(409, "review_not_revealed"), "Sam"), "The review can be closed once you and Sam have both answered.");
  assert.equal(explain(refusal(409, "nothing_to_submit"), "Sam"), "Answer at least one question first.");
});

test("offline, the person is told to try again once back online", () => {
  assert.equal(explain(new OfflineError(), "Sam"), "You are offline: try again when you are back online.");
});

test("a code the review has no words for is said by its status or the server's sentence", () => {
  assert.equal(explain(refusal(422, "invalid_body", "heard must be 1 to 5"), "Sam"), "heard must be 1 to 5");
  assert.match(explain(refusal(503, "unavailable"), "Sam"), /server had a problem/);
});
