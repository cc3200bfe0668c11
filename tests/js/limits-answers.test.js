// My limits answers between the API and the screen (frontend/js/screens/limits/answers.js).
import assert from "node:assert/strict";
import { test } from "node:test";
import { answerItems, answersOf, customsOf } from "../../frontend/js/screens/limits/answers.js";

const mine = [
  { item: "spanking", role: "giving", answer: "yes", condition: null },
  { item: "spanking", role: "receiving", answer: "maybe", condition: "only light" },
  { item: "collar", role: null, answer: "no", condition: "never mind" },
  { item: "my own thing", role: null, answer: "maybe", condition: "" },
];

test("answers are kept by item and direction, and sent back as they were", () => {
  const answers = answersOf(mine);
  assert.deepEqual([...answers.keys()], ["spanking", "collar", "my own thing"]);
  assert.deepEqual(answers.get("spanking").get("receiving"), { answer: "maybe", condition: "only light" });
  assert.deepEqual(answers.get("collar").get(""), { answer: "no", condition: "never mind" });
  assert.deepEqual(answerItems(answers), [
    { item: "spanking", answer: "yes", role: "giving", condition: null },
    { item: "spanking", answer: "maybe", role: "receiving", condition: "only light" },
    { item: "collar", answer: "no", role: null, condition: null },
    { item: "my own thing", answer: "maybe", role: null, condition: null },
  ]);
});

test("custom items are mine and the partner's that are not in the catalogue, each once", () => {
  const view = {
    catalogue: [{ key: "spanking" }, { key: "collar" }],
    mine,
    partner: [
      { item: "collar", answer: "hard_limit" },
      { item: "their own thing", answer: "no" },
      { item: "my own thing", answer: "no" },
    ],
  };
  assert.deepEqual(customsOf(view), ["my own thing", "their own thing"]);
  assert.deepEqual(customsOf(null), []);
});
