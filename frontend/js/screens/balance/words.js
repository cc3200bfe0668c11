// The balance in words: the verdict, what equity and importance mean (one sentence each), and
// the one next step the balance suggests (next_step in GET balance, docs/balance.md), worded
// for whoever is reading.
import { VERDICTS } from "../../balance-words.js";
import { h } from "../../dom.js";

export { VERDICTS };

export const MEANINGS = {
  equity: "Equity: each of you gets back as much, for what you give, as the other does.",
  importance: "Importance: both of you are heard — both check in, and both of your needs are answered.",
};

export function meanings() {
  return h(
    "section",
    { class: "card meanings", id: "meanings", "aria-label": "What the balance looks at" },
    h("p", { id: "meaning-equity" }, MEANINGS.equity),
    h("p", { id: "meaning-importance" }, MEANINGS.importance),
  );
}

// The step as a sentence and a link, for this reader: [words, href, link text].
function stepFor(step, me, names, partnerName) {
  const about = step.member ? names[step.member] : null;
  const mine = step.member === me.id;
  switch (step.kind) {
    case "check_in":
      if (!step.member || mine) return ["A check-in or two from you is what the balance needs next.", "#/checkin", "Check in"];
      return [`The balance needs a check-in or two from ${about}. A gentle word may help.`, "#/checkin", "Check in yourself"];
    case "answer_needs":
      if (mine)
        return [
          `Some of what you asked for has not been answered. Saying it again to ${partnerName}, in your own words, is fair.`,
          "#/checkins",
          "See your check-ins",
        ];
      return [`${about || partnerName} has needs waiting. Answering one today is the kindest next step.`, "#/checkins", "Answer needs"];
    case "raise_yellow":
      return [
        "This is worth talking about soon. Raising yellow tells your partner you want to talk, and pauses nothing.",
        "#/home",
        "Raise yellow from home",
      ];
    case "start_review":
      return [
        "A review together is a good next step: you each answer privately, then look at it side by side.",
        "#/review",
        "Start a review",
      ];
    default:
      return null;
  }
}

export function nextStep(step, { me, members, partnerName }) {
  if (!step) return null;
  const names = Object.fromEntries(members.map((m) => [m.user_id, m.display_name]));
  const found = stepFor(step, me, names, partnerName);
  if (!found) return null;
  const [words, href, label] = found;
  return h(
    "div",
    { class: "next-step", id: "next-step", "data-kind": step.kind },
    h("h3", {}, "A next step"),
    h("p", {}, words),
    h("a", { href, class: "button secondary", id: "next-step-link" }, label),
  );
}

// The verdict and its reasons, a kind word while it is too early to tell, and the next step
// (none once the dynamic has ended). who: { dynamic, me, partnerName }.
export function verdictCard(data, { dynamic, me, partnerName }) {
  const verdict = data.verdict;
  const members = data.members || [];
  return h(
    "section",
    { class: `verdict verdict-${verdict}`, id: "verdict-card", "aria-labelledby": "verdict" },
    h("h2", { id: "verdict" }, VERDICTS[verdict] || verdict),
    h(
      "ul",
      { class: "reasons", id: "reasons" },
      (data.reasons || []).map((r) => h("li", {}, r)),
    ),
    verdict !== "not_enough_data"
      ? null
      : h(
          "p",
          { class: "kind" },
          `Each of you checking in at least twice in the last ${data.days} days lets the balance say something. Every check-in helps, and nothing is wrong in the meantime.`,
        ),
    dynamic.state === "ended" ? null : nextStep(data.next_step, { me, members, partnerName }),
  );
}
