// The partner's open needs, each with "Seen", "On it" and "Done" and an optional note back.
import { h } from "../../dom.js";
import { describe } from "../../errors.js";
import { write } from "../../outbox.js";
import { LOCKED_WRITE, sealFields, WordsLocked } from "../../words.js";
import { ANSWER_TEXT, cardTitle, moodLine, needChips, noteOf, responseList } from "./cards.js";

const ANSWERS = [
  ["seen", "Seen"],
  ["on_it", "On it"],
  ["done", "Done"],
];

// `screen`: {people, error, status, drafts (notes typed, by check-in, kept across redraws)}.
async function answer(screen, checkin, kind, noteInput, buttons) {
  const { error, status, people } = screen;
  error.textContent = "";
  status.textContent = "";
  for (const b of buttons) b.disabled = true;
  const note = noteInput.value.trim();
  try {
    // Its id made here: a note back is sealed to this answer (js/words.js).
    const id = globalThis.crypto.randomUUID();
    const words = await sealFields(people.dynamic.id, "checkin_response", id, note ? { note } : {});
    const result = await write({
      method: "POST",
      path: `/api/checkins/${checkin.id}/responses`,
      body: { id, kind, ...words },
      label: "Answer to a need",
      kind: "response",
      dynamic_id: people.dynamic.id,
      offline: true,
    });
    screen.drafts.delete(checkin.id);
    noteInput.value = "";
    status.textContent = result.queued
      ? "Saved on this phone; it will be sent when you're back online."
      : `Sent to ${people.partnerName}: ${ANSWER_TEXT[kind]}.`;
  } catch (failure) {
    const ended = failure.code === "dynamic_ended";
    if (failure instanceof WordsLocked) error.textContent = LOCKED_WRITE;
    else error.textContent = ended ? "This dynamic has ended, so needs can no longer be answered." : `Not sent: ${describe(failure)}`;
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

function answerBox(screen, checkin) {
  const noteId = `answer-note-${checkin.id}`;
  const noteInput = h("input", { type: "text", id: noteId, maxlength: "1000", autocomplete: "off" });
  noteInput.value = screen.drafts.get(checkin.id) || "";
  noteInput.addEventListener("input", () => screen.drafts.set(checkin.id, noteInput.value));
  const buttons = ANSWERS.map(([kind, label]) =>
    h("button", { type: "button", class: kind === "done" ? "" : "secondary", "data-kind": kind }, label),
  );
  ANSWERS.forEach(([kind], i) => {
    buttons[i].addEventListener("click", () => answer(screen, checkin, kind, noteInput, buttons));
  });
  const group = h(
    "div",
    { class: "answer-buttons", role: "group", "aria-label": `Answer ${screen.people.nameOf(checkin.user_id)}` },
    buttons,
  );
  return h("div", { class: "answer" }, h("label", { for: noteId }, "A note back (optional)"), noteInput, group);
}

// `waiting`: my answers to it still in the outbox.
export function openNeedCard(screen, checkin, responses, waiting) {
  const { people } = screen;
  const ended = people.dynamic.state === "ended";
  return h(
    "li",
    { class: "card need-card", "data-checkin": checkin.id },
    cardTitle(people, checkin.user_id, checkin.occurred_at),
    moodLine(checkin.mood),
    needChips(checkin.needs, checkin),
    noteOf(checkin),
    checkin.response_kind ? h("p", { class: "answer-state" }, `Your answer so far: ${ANSWER_TEXT[checkin.response_kind]}`) : null,
    waiting.length ? h("p", { class: "waiting" }, `Your answer is waiting to be sent (${waiting.length}).`) : null,
    responseList(responses, people),
    ended ? null : answerBox(screen, checkin),
  );
}
