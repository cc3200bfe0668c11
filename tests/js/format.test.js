// Dates, counts and shares in words (frontend/js/format.js), in British English for the test.
import assert from "node:assert/strict";
import { test } from "node:test";
import { clockText, count, dateText, dayText, dayTimeText, inMinutes, momentText, percent, stampText } from "../../frontend/js/format.js";

const EN = "en-GB";

test("a calendar day is read as that day, whatever the time zone", () => {
  assert.match(dayText("2026-03-03", EN), /^Tue,? 3 March 2026$/);
  assert.equal(dayText(null, EN), "None");
});

test("moments are said with their date and time", () => {
  const at = new Date(2026, 2, 3, 14, 5).toISOString();
  assert.equal(momentText(at, EN), "3 Mar, 14:05");
  assert.equal(stampText(at, EN), "3 Mar 2026, 14:05");
  assert.equal(dayTimeText(at, EN), "Tue 3 Mar, 14:05");
  assert.equal(dateText(at, EN), "3 Mar 2026");
});

test("a moment that is not one is said as nothing", () => {
  assert.equal(dayTimeText("not a date", EN), "");
});

test("counts agree with their number", () => {
  assert.equal(count(1, "change", "changes"), "1 change");
  assert.equal(count(0, "change", "changes"), "0 changes");
  assert.equal(count(3, "change has", "changes have"), "3 changes have");
});

test("shares are whole percents, and none is a dash", () => {
  assert.equal(percent(0.8333), "83%");
  assert.equal(percent(0), "0%");
  assert.equal(percent(null), "—");
  assert.equal(percent(undefined), "—");
});

test("a wait is said in whole minutes, at least one", () => {
  assert.equal(inMinutes(840, "later"), "in 14 minutes");
  assert.equal(inMinutes(61, "later"), "in 2 minutes");
  assert.equal(inMinutes(5, "later"), "in 1 minute");
  assert.equal(inMinutes(null, "later"), "later");
  assert.equal(inMinutes(0, "in a few minutes"), "in a few minutes");
});

test("a moment of today is said by its time alone, one of another day with its date", () => {
  const now = new Date(2026, 11, 4, 9, 0);
  assert.equal(clockText(new Date(2026, 11, 4, 10, 2).toISOString(), now, EN), "10:02");
  assert.equal(clockText(new Date(2026, 11, 3, 22, 40).toISOString(), now, EN), "3 Dec, 22:40");
});
