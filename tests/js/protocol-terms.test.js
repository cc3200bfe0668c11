// Protocols in words (frontend/js/protocol-terms.js): the difference between two sets of terms,
// what a version changed against the one it was made from, and where a protocol stands.
import assert from "node:assert/strict";
import { describe as group, test } from "node:test";
import {
  changedFields,
  eventText,
  nameOf,
  people,
  scheduleText,
  shortStatus,
  statusLine,
  valueText,
  versionChanges,
  waitingForMe,
} from "../../frontend/js/protocol-terms.js";

const me = { id: "a" };
const dynamic = {
  members: [
    { user_id: "a", display_name: "Alice" },
    { user_id: "b", display_name: "Bob" },
  ],
};
const terms = {
  title: "Tea",
  description: "",
  kind: "ritual",
  performer_ids: ["a", "b"],
  schedule: { times: ["08:00"], weekdays: [0, 1, 2, 3, 4] },
  reminders: true,
  review_on: null,
};

group("the diff", () => {
  test("same terms differ in nothing, whatever the order of the performers", () => {
    assert.deepEqual(changedFields(terms, { ...terms, performer_ids: ["b", "a"] }), []);
  });

  test("each changed field is named once, in the order of the form", () => {
    const after = { ...terms, review_on: "2026-06-01", title: "Green tea", schedule: { times: ["09:00"], weekdays: [0, 1, 2, 3, 4] } };
    assert.deepEqual(changedFields(terms, after), ["title", "schedule", "review_on"]);
  });

  test("a missing field is the same as none", () => {
    const { review_on, ...without } = terms;
    assert.equal(review_on, null);
    assert.deepEqual(changedFields(terms, without), []);
  });

  test("a version is compared with the newest earlier one that was not declined", () => {
    const history = {
      versions: [
        { number: 1, ...terms },
        { number: 2, ...terms, title: "Coffee" },
        { number: 3, ...terms, title: "Green tea", reminders: false },
      ],
      events: [{ action: "declined", version: 2 }],
    };
    assert.deepEqual(versionChanges(history, 3), {
      from: 1,
      changes: [
        { field: "title", from: "Tea", to: "Green tea" },
        { field: "reminders", from: true, to: false },
      ],
    });
    assert.equal(versionChanges(history, 1), null);
    assert.equal(versionChanges(history, 9), null);
  });
});

group("words", () => {
  test("people: me first, then the partner, and someone unknown", () => {
    assert.equal(people(dynamic, me, ["b", "a"]), "You and Bob");
    assert.equal(people(dynamic, me, []), "nobody");
    assert.equal(nameOf(dynamic, me, "z"), "someone");
    assert.equal(nameOf(dynamic, me, "z", true), "Someone");
  });

  test("a schedule in words", () => {
    assert.equal(scheduleText(null), "No schedule: whenever it fits");
    assert.equal(scheduleText(terms.schedule), "Weekdays at 08:00 (each performer's own time)");
    assert.equal(
      scheduleText({ times: ["20:00", "21:00"], weekdays: [0, 2] }),
      "Every Mon, Wed at 20:00, 21:00 (each performer's own time)",
    );
  });

  test("a field's value in words", () => {
    assert.equal(valueText("kind", "care", dynamic, me), "Care");
    assert.equal(valueText("reminders", false, dynamic, me), "Off");
    assert.equal(valueText("description", "", dynamic, me), "(none)");
    assert.equal(valueText("review_on", null, dynamic, me), "None");
  });

  test("a step of the history", () => {
    assert.equal(eventText("agreed", "Bob", 2), "Bob agreed to version 2");
    assert.equal(eventText("activated", "Bob", 2), "Version 2 came into force: you both agreed");
    assert.equal(eventText("paused", "Bob", 2), "Bob: paused (version 2)");
  });
});

group("where a protocol stands", () => {
  const proposed = { status: "proposed", pending: true, agreed_by: ["b"], version: 1 };

  test("a version the partner agrees to waits for me", () => {
    assert.ok(waitingForMe(proposed, me));
    assert.equal(shortStatus(proposed, dynamic, me), "Waiting for you");
    assert.equal(statusLine(proposed, dynamic, me), "Bob proposes this. It starts only if you agree too.");
  });

  test("one I agree to waits for the partner", () => {
    const mine = { ...proposed, agreed_by: ["a"] };
    assert.ok(!waitingForMe(mine, me));
    assert.equal(shortStatus(mine, dynamic, me), "Waiting for Bob");
  });

  test("in force, with or without a change waiting", () => {
    const active = { status: "active", pending: false, agreed_by: ["a", "b"], version: 2 };
    assert.equal(shortStatus(active, dynamic, me), "In force");
    assert.equal(shortStatus({ ...active, pending: true, agreed_by: ["b"] }, dynamic, me), "In force · change waiting for you");
  });
});
