// The export with its words opened on the phone (frontend/js/export-words.js).
import assert from "node:assert/strict";
import { test } from "node:test";
import { openExport } from "../../frontend/js/export-words.js";

const envelope = (text) => ({ v: 1, n: "nonce", c: text });
// Opens only what was sealed for its own record and field, as the real key does.
const open = async (dynamicId, value, entity, id, field) => {
  const [want, text] = value.c.split("|");
  return dynamicId === "d1" && want === `${entity}:${id}:${field}` ? text : null;
};

test("every envelope is opened for its own record and field; the rest stays as it is", async () => {
  const data = {
    user: { id: "u1", display_name: "Alice" },
    checkins: [
      {
        id: "c1",
        dynamic_id: "d1",
        mood: 4,
        note: envelope("checkin:c1:note|Held me after the call"),
        needs: ["praise", envelope("checkin:c1:needs|a slow Sunday")],
        responses: [{ id: "r1", dynamic_id: "d1", note: envelope("checkin_response:r1:note|Tea") }],
      },
    ],
    protocols: [{ id: "p1", dynamic_id: "d1", completions: [{ id: "k1", dynamic_id: "d1", note: envelope("checkin:c1:note|moved") }] }],
  };
  const { data: opened, sealed } = await openExport(data, open);
  const checkin = opened.checkins[0];
  assert.equal(checkin.note, "Held me after the call");
  assert.deepEqual(checkin.needs, ["praise", "a slow Sunday"]);
  assert.equal(checkin.responses[0].note, "Tea");
  assert.equal(checkin.mood, 4);
  assert.deepEqual(opened.user, data.user);
  // Moved from a check-in onto a completion: it does not open there, and stays sealed.
  assert.deepEqual(opened.protocols[0].completions[0].note, envelope("checkin:c1:note|moved"));
  assert.equal(sealed, 1);
});
