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

test("signal notes, protocol words and reasons, and a review's words open for their own records", async () => {
  const data = {
    dynamics: [{ id: "d1", members: [{ user_id: "u1", red_note: envelope("member:u1:red_note|Stop, please") }] }],
    protocols: [
      {
        id: "p1",
        dynamic_id: "d1",
        version_id: "v2",
        title: envelope("protocol_version:v2:title|Sunday letters"),
        description: "",
        in_force: { version_id: "v1", title: envelope("protocol_version:v1:title|Letters") },
        history: {
          protocol_id: "p1",
          versions: [{ version_id: "v1", description: envelope("protocol_version:v1:description|By hand") }],
          events: [{ id: "e1", reason: envelope("protocol_event:e1:reason|Not this week") }],
        },
      },
    ],
    reviews: [
      {
        id: "r1",
        dynamic_id: "d1",
        mine: {
          user_id: "u1",
          went_well: envelope("review_answer:r1.u1:went_well|You listened"),
          protocols: [
            {
              protocol_id: "p1",
              version_id: "v1",
              title: envelope("protocol_version:v1:title|Letters"),
              comment: envelope("review_answer:r1.u1:protocols.p1.comment|Shorter"),
            },
          ],
        },
        partner: { user_id: "u2", wish: envelope("review_answer:r1.u2:wish|More play") },
        outcome: { summary: envelope("review:r1:summary|Keep it") },
      },
    ],
  };
  const { data: opened, sealed } = await openExport(data, open);
  assert.equal(sealed, 0);
  assert.equal(opened.dynamics[0].members[0].red_note, "Stop, please");
  const protocol = opened.protocols[0];
  assert.equal(protocol.title, "Sunday letters");
  assert.equal(protocol.in_force.title, "Letters");
  assert.equal(protocol.history.versions[0].description, "By hand");
  assert.equal(protocol.history.events[0].reason, "Not this week");
  const review = opened.reviews[0];
  assert.equal(review.mine.went_well, "You listened");
  assert.equal(review.mine.protocols[0].title, "Letters");
  assert.equal(review.mine.protocols[0].comment, "Shorter");
  assert.equal(review.partner.wish, "More play");
  assert.equal(review.outcome.summary, "Keep it");
});

test("an envelope moved to another member's notes stays sealed", async () => {
  const moved = envelope("member:u1:red_note|Stop, please");
  const data = { dynamics: [{ id: "d1", members: [{ user_id: "u2", red_note: moved }] }] };
  const { data: opened, sealed } = await openExport(data, open);
  assert.deepEqual(opened.dynamics[0].members[0].red_note, moved);
  assert.equal(sealed, 1);
});

test("a custom limit item's words and a condition open for their own item and answer", async () => {
  const data = {
    user: { id: "u1" },
    limits: [
      {
        dynamic_id: "d1",
        item: "b:abc",
        answer: "yes",
        role: null,
        condition: null,
        label: envelope("limit_item:d1.b:abc:label|Foot rubs"),
      },
      {
        dynamic_id: "d1",
        item: "restraint.rope",
        answer: "maybe",
        role: "receiving",
        condition: envelope("limit_answer:u1.restraint.rope.receiving:condition|Gently"),
        label: null,
      },
    ],
    limit_reveals: [{ dynamic_id: "d1", item: "b:abc", label: envelope("limit_item:d1.b:xyz:label|moved") }],
  };
  const { data: opened, sealed } = await openExport(data, open);
  assert.equal(opened.limits[0].label, "Foot rubs");
  assert.equal(opened.limits[1].condition, "Gently");
  // A label moved from another item does not open here.
  assert.deepEqual(opened.limit_reveals[0].label, envelope("limit_item:d1.b:xyz:label|moved"));
  assert.equal(sealed, 1);
});
