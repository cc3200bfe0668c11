// A check-in as a card: who and when, the mood, the details, the needs, the note and the answers
// it received; and one of mine still waiting in the outbox.
import { h } from "../../dom.js";
import { dayTimeText } from "../../format.js";
import { face, moodText, NEEDS, needLabel } from "../../moods.js";
import { WRITTEN_BEFORE, wordsOf, writtenBefore } from "../../words.js";
import { endedText } from "./closing.js";

export const ANSWER_TEXT = { seen: "Seen", on_it: "On it", done: "Done" };

// Who is who in a dynamic's check-ins: `people` is {dynamic, me, partnerName, nameOf(id)}.
export function peopleOf(dynamic, me) {
  const partner = dynamic.members.find((m) => m.user_id !== me.id);
  const nameOf = (id) => dynamic.members.find((m) => m.user_id === id)?.display_name || "Former member";
  return { dynamic, me, partnerName: partner ? partner.display_name : "your partner", nameOf };
}

// A check-in's needs: the fixed chips as they are, needs in the person's own words opened here.
// Needs in their own words still in clear in a dynamic whose words are private now are said to
// be written before, once under the chips. `record`: {dynamic_id, id} of the check-in, which
// their envelopes are bound to.
export function needChips(needs, record) {
  if (!needs?.length) return null;
  const own = needs.filter((need) => !NEEDS.includes(need));
  const chip = (need) =>
    NEEDS.includes(need)
      ? h("li", { class: "chip static" }, needLabel(need))
      : wordsOf(
          "li",
          { class: "chip static" },
          { dynamicId: record.dynamic_id, value: need, entity: "checkin", id: record.id, field: "needs", quiet: true },
        );
  const before = own.some((need) => writtenBefore(record.dynamic_id, need))
    ? h("p", { class: "muted small clear-words" }, `The needs in words of your own were ${WRITTEN_BEFORE}.`)
    : null;
  return [h("ul", { class: "chips need-list", "aria-label": "Needs" }, needs.map(chip)), before];
}

// A check-in's note, opened here where it is private.
export function noteOf(record) {
  if (!record.note) return null;
  return wordsOf(
    "p",
    { class: "note" },
    { dynamicId: record.dynamic_id, value: record.note, entity: "checkin", id: record.id, field: "note" },
  );
}

export function moodLine(mood) {
  return h("p", { class: "mood-line" }, face(mood), `Mood ${moodText(mood)}`);
}

export function cardTitle(people, userId, iso) {
  return h("h3", {}, `${people.nameOf(userId)}, ${dayTimeText(iso)}`);
}

const DEAL_AMOUNT = { 1: "a little", 2: "quite a bit", 3: "by far" };

// Who gets the better deal, by name and how much, as its author answered. No signed number:
// −1 from one partner and +1 from the other mean the same thing, and read the same here.
function dealText(checkin, people) {
  const d = checkin.deal;
  if (d === null || d === undefined) return null;
  const author = checkin.user_id === people.me.id ? "you" : people.nameOf(checkin.user_id);
  if (d === 0) return `Better deal: even, as ${author} sees it`;
  const other = people.dynamic.members.find((m) => m.user_id !== checkin.user_id);
  const who = d > 0 ? people.nameOf(checkin.user_id) : other ? other.display_name : "the partner";
  return `Better deal: ${who}, ${DEAL_AMOUNT[Math.abs(d)]}, as ${author} sees it`;
}

function details(checkin, people) {
  const parts = [];
  if (checkin.energy) parts.push(`Energy ${checkin.energy}`);
  if (checkin.gave) parts.push(`Gave ${checkin.gave}`);
  if (checkin.received) parts.push(`Received ${checkin.received}`);
  const deal = dealText(checkin, people);
  if (deal) parts.push(deal);
  return parts.length ? h("p", { class: "muted small" }, parts.join(" · ")) : null;
}

export function responseList(list, people) {
  if (!list.length) return null;
  const item = (r) =>
    h(
      "li",
      {},
      h("strong", {}, `${people.nameOf(r.user_id)}: ${ANSWER_TEXT[r.kind] || r.kind}`),
      r.note
        ? wordsOf(
            "span",
            {},
            { dynamicId: people.dynamic.id, value: r.note, entity: "checkin_response", id: r.id, field: "note", prefix: " — " },
          )
        : "",
      h("span", { class: "muted small" }, ` (${dayTimeText(r.created_at)})`),
    );
  return h("ul", { class: "responses", "aria-label": "Answers" }, list.map(item));
}

function answerState(checkin, mine, partnerName) {
  const ended = endedText(checkin, { mine, partnerName });
  if (ended) return h("p", { class: "answer-state muted" }, ended);
  if (!checkin.needs?.length) return null;
  if (checkin.response_kind) {
    const answerer = mine ? partnerName : "You";
    return h("p", { class: `answer-state kind-${checkin.response_kind}` }, `${answerer}: ${ANSWER_TEXT[checkin.response_kind]}`);
  }
  return h("p", { class: "answer-state muted" }, mine ? `Not answered by ${partnerName} yet` : "Not answered yet");
}

// `closing`: the asker's buttons to close an open need, or null.
export function checkinCard(checkin, responses, people, closing = null) {
  const mine = checkin.user_id === people.me.id;
  return h(
    "li",
    { class: mine ? "card checkin-card mine" : "card checkin-card", "data-checkin": checkin.id },
    cardTitle(people, checkin.user_id, checkin.occurred_at),
    moodLine(checkin.mood),
    details(checkin, people),
    needChips(checkin.needs, checkin),
    noteOf(checkin),
    answerState(checkin, mine, people.partnerName),
    closing,
    responseList(responses, people),
  );
}

export function waitingCard(item, people) {
  const b = item.body || {};
  const failed = item.state === "failed";
  return h(
    "li",
    { class: failed ? "card checkin-card waiting failed" : "card checkin-card waiting" },
    cardTitle(people, people.me.id, b.occurred_at || item.created_at),
    h("p", { class: "badge" }, failed ? `Could not be sent: ${item.error?.detail || "refused"}` : "Waiting to be sent"),
    b.mood ? moodLine(b.mood) : null,
    needChips(b.needs, { ...b, dynamic_id: item.dynamic_id }),
    noteOf({ ...b, dynamic_id: item.dynamic_id }),
    failed ? h("p", {}, h("a", { href: "#/outbox" }, "Review it")) : null,
  );
}
