// A proposal started on another screen, picked up once by the propose screen
// (frontend/js/proposal-draft.js), over a stand-in for the browser's sessionStorage.
import assert from "node:assert/strict";
import { beforeEach, test } from "node:test";
import { keepDraft, suggest, takeDraft, takeSuggestion } from "../../frontend/js/proposal-draft.js";

beforeEach(() => {
  const kept = new Map();
  globalThis.sessionStorage = {
    getItem: (key) => (kept.has(key) ? kept.get(key) : null),
    setItem: (key, value) => kept.set(key, String(value)),
    removeItem: (key) => kept.delete(key),
  };
});

test("a draft from the limits screen is taken once", () => {
  keepDraft({ title: "Spanking", description: "From our limits" });
  assert.deepEqual(takeDraft(), { title: "Spanking", description: "From our limits" });
  assert.deepEqual(takeDraft(), {});
});

test("an unreadable draft is not offered", () => {
  sessionStorage.setItem("accord.proposal-draft", "{not json");
  assert.deepEqual(takeDraft(), {});
});

const terms = { title: "Tea", description: "Each morning", kind: "recurring", performer_ids: ["u1"] };
Object.assign(terms, { schedule: null, reminders: [], review_on: null });
// A version carries more than its terms: only the terms are kept.
const version = { ...terms, id: "v1", number: 3 };

// An open protocol is renegotiated (its own form takes the terms); a closed one starts a new
// proposal (the blank form takes them). Any other form leaves them, and they are taken once.
const cases = [
  { renegotiate: true, route: "propose/p%201", takenBy: "p 1", notBy: "p 2" },
  { renegotiate: false, route: "propose", takenBy: undefined, notBy: "p 1" },
];
for (const { renegotiate, route, takenBy, notBy } of cases) {
  test(`suggesting again on ${renegotiate ? "an open" : "a closed"} protocol opens ${route}, once`, () => {
    assert.equal(suggest("p 1", version, renegotiate), route);
    assert.equal(takeSuggestion(notBy), null);
    suggest("p 1", version, renegotiate);
    assert.deepEqual(takeSuggestion(takenBy), terms);
    assert.equal(takeSuggestion(takenBy), null);
  });
}
