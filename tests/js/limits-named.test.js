// The hard limits and no's a proposal's text names (frontend/js/limits-named.js).
import assert from "node:assert/strict";
import { test } from "node:test";
import { limitsNamedIn } from "../../frontend/js/limits-named.js";

const view = {
  catalogue: [
    { key: "spanking", label: "Spanking (hand)" },
    { key: "collar", label: "Wearing a collar" },
    { key: "praise", label: "Praise" },
  ],
  partner: [
    { item: "spanking", answer: "hard_limit", role: "receiving" },
    { item: "praise", answer: "yes", role: null },
    { item: "cold showers", answer: "no", role: null },
  ],
  mine: [{ item: "collar", answer: "no", role: null }],
};

test("a hard limit or no named by its label, its short label or its own words is said once", () => {
  const text = "Evening ritual\nSpanking before bed, then wearing a collar. Spanking again; cold showers too.";
  assert.deepEqual(limitsNamedIn(text, view, "Sam"), [
    "“Spanking (hand)” is a hard limit for Sam (receiving).",
    "“cold showers” is a no for Sam.",
    "“Wearing a collar” is a no for you.",
  ]);
});

test("a yes, a word inside another word, an empty text or no view name nothing", () => {
  assert.deepEqual(limitsNamedIn("Praise each morning", view, "Sam"), []);
  assert.deepEqual(limitsNamedIn("Unspanking and spankings are other words", view, "Sam"), []);
  assert.deepEqual(limitsNamedIn("   ", view, "Sam"), []);
  assert.deepEqual(limitsNamedIn("Spanking", null, "Sam"), []);
});
