// The reviews page without a review open: the rhythm (either of you sets it), starting one now,
// and the reviews you had.
import { alertBox, h } from "../../dom.js";
import { dayText } from "../../format.js";
import { write } from "../../outbox.js";
import { summaryWords } from "./sealed.js";
import { CADENCES, explain } from "./words.js";

function nextText(schedule) {
  return schedule.next_on
    ? `Next review on ${dayText(schedule.next_on)}. You both get a reminder the day before.`
    : "No date is set. You can start a review whenever one of you wants to.";
}

export function cadenceCard(dynamic, schedule, them) {
  const error = alertBox();
  const next = h("p", { id: "next-review" }, nextText(schedule));
  const every = h(
    "select",
    { id: "r-cadence" },
    CADENCES.map(([value, text]) => h("option", { value, selected: String(schedule.every_days || "") === value }, text)),
  );
  const save = async () => {
    error.textContent = "";
    try {
      const answer = await write({
        method: "PUT",
        path: `/api/dynamics/${dynamic.id}/reviews/schedule`,
        body: { every_days: every.value ? Number(every.value) : null },
        label: "Review rhythm",
        kind: "review",
        dynamic_id: dynamic.id,
      });
      // The answer is the new schedule: shown at once (the list's own refresh follows).
      if (answer.queued) error.textContent = "You are offline: this is saved on this phone and will be sent when you are back online.";
      else next.textContent = nextText(answer.data);
    } catch (failure) {
      error.textContent = explain(failure, them);
    }
  };
  return h(
    "section",
    { class: "card stack", "aria-labelledby": "cadence-title" },
    h("h2", { id: "cadence-title" }, "Your rhythm"),
    next,
    h("label", { for: "r-cadence" }, "How often would you like to review?"),
    every,
    error,
    h("button", { type: "button", class: "secondary", id: "r-cadence-save", onclick: save }, "Save the rhythm"),
  );
}

export function startCard(dynamic, them, onStarted) {
  const error = alertBox();
  const start = async () => {
    error.textContent = "";
    try {
      const answer = await write({
        path: `/api/dynamics/${dynamic.id}/reviews`,
        body: {},
        label: "Start a review",
        kind: "review",
        dynamic_id: dynamic.id,
        offline: false,
      });
      onStarted(answer.data);
    } catch (failure) {
      error.textContent = explain(failure, them);
    }
  };
  return h(
    "section",
    { class: "card stack", "aria-labelledby": "start-title" },
    h("h2", { id: "start-title" }, "A review together"),
    h(
      "p",
      {},
      `You each answer a few questions on your own: how the deal feels, what you gave and received, which protocols to keep or change. Your answers stay private until ${them} has answered too; then you see both side by side, with what to talk about.`,
    ),
    error,
    h("button", { type: "button", id: "r-start", onclick: start }, "Start a review now"),
  );
}

const STATES = { open: "answering", revealed: "ready to talk about", closed: "closed" };

export function pastList(items) {
  if (!items.length) return null;
  return h(
    "section",
    { class: "card", "aria-labelledby": "past-title" },
    h("h2", { id: "past-title" }, "Your reviews"),
    h(
      "ul",
      { class: "plain", id: "past-reviews" },
      items.map((r) =>
        h(
          "li",
          {},
          h("a", { href: `#/review/${encodeURIComponent(r.id)}` }, dayText(r.due_on)),
          ` — ${STATES[r.state] || r.state}`,
          r.outcome?.summary ? summaryWords(r, "p", { class: "muted" }, true) : null,
        ),
      ),
    ),
  );
}
