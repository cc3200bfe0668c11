// The check-in screen's words for a refusal (frontend/js/screens/checkin/words.js), through
// describe() as the screen calls it.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ApiError, describe } from "../../frontend/js/errors.js";
import { CHECKIN_CODES, fieldName, privacyHint } from "../../frontend/js/screens/checkin/words.js";

const say = (status, body) => describe(new ApiError(status, body), { codes: CHECKIN_CODES });

test("a refused field is named in the words of the form, with its reason", () => {
  const body = {
    code: "validation_error",
    detail: "energy: Input should be less than or equal to 5",
    errors: [
      { loc: ["body", "energy"], msg: "Input should be less than or equal to 5" },
      { loc: ["body", "needs"], msg: "Value error, at most 5 needs" },
    ],
  };
  assert.equal(say(422, body), "Not saved. Energy: Input should be less than or equal to 5. Needs: at most 5 needs.");
});

test("a refusal naming no field is said with the server's sentence", () => {
  assert.equal(say(422, { code: "validation_error", detail: "body: invalid input" }), "Not saved: body: invalid input");
});

test("a field the form does not know is named as the server names it", () => {
  assert.equal(fieldName(["body", "mystery"]), "mystery");
  assert.equal(fieldName(["body"]), "Check-in");
  assert.equal(fieldName(undefined), "Check-in");
});

test("an ended dynamic and a wrong clock are said plainly", () => {
  assert.equal(say(409, { code: "dynamic_ended", detail: "ended" }), "This dynamic has ended, so check-ins are closed.");
  assert.match(say(422, { code: "occurred_at_out_of_range", detail: "x" }), /clock looks wrong/);
});

test("private words refused after the fact say what to do, and the note says who can read it", () => {
  const refused = say(422, { code: "words_not_private", detail: "note: …", errors: [{ loc: ["body", "note"], msg: "…" }] });
  assert.match(refused, /became private/);
  assert.match(say(422, { code: "no_pair_key", detail: "note: …" }), /saved as written/);
  assert.equal(privacyHint("private", "Bob"), "Only you and Bob can read this: it is encrypted on this phone.");
  assert.match(privacyHint("locked", "Bob"), /locked on this phone/);
  assert.match(privacyHint("clear", "Bob"), /^Not private yet/);
});
