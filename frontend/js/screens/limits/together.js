// What both of you said yes or maybe to: matches, things to talk about (each can start a
// proposal), and what was shown to both and later withdrawn.
import { h } from "../../dom.js";
import { ANSWER_NAMES, dayText, sideText } from "./words.js";

// ctx: { view, me, partnerName, labelOf, propose(fact) }
export function together(ctx) {
  // A copy saved by the first version of the app has no reveals yet: the server's view follows.
  const revealed = ctx.view?.revealed || [];
  const standing = (kind) => revealed.filter((r) => !r.withdrawn_at && r.kind === kind);
  const withdrawn = revealed.filter((r) => r.withdrawn_at);
  return h(
    "section",
    { class: "card lim-matches", id: "together", "aria-labelledby": "matches-title" },
    h("h2", { id: "matches-title" }, "Matches"),
    list(ctx, standing("match"), "matches", "No matches yet. A match appears when you both say yes."),
    h("h2", { id: "talk-title" }, "To talk about"),
    h("p", { class: "muted" }, "One of you said maybe. A good place to start a conversation."),
    list(ctx, standing("talk"), "talk", "Nothing here yet."),
    withdrawn.length
      ? [
          h("h3", {}, "Taken back"),
          h(
            "ul",
            { class: "lim-withdrawn-list", id: "withdrawn" },
            withdrawn.map((r) =>
              h(
                "li",
                {},
                h("strong", {}, ctx.labelOf(r.item)),
                ` — shown on ${dayText(r.revealed_at)}, withdrawn by ${r.withdrawn_by === ctx.me.id ? "you" : ctx.partnerName} on ${dayText(r.withdrawn_at)}`,
              ),
            ),
          ),
        ]
      : null,
  );
}

function list(ctx, facts, id, empty) {
  if (!facts.length) return h("div", { id }, h("p", { class: "muted" }, empty));
  return h(
    "ul",
    { class: "lim-match-list", id },
    facts.map((fact) => {
      const label = ctx.labelOf(fact.item);
      const button = h(
        "button",
        { type: "button", class: "secondary set-small lim-propose", "aria-label": `Propose from this: ${label}` },
        "Propose from this",
      );
      button.addEventListener("click", () => ctx.propose(fact));
      const conditions = conditionsOf(ctx, fact);
      return h(
        "li",
        { "data-item": fact.item },
        h("span", { class: "lim-match-name" }, label),
        fact.role ? h("span", { class: "muted lim-side" }, sideText(fact.role, ctx.partnerName)) : null,
        conditions.map((c) => h("span", { class: "lim-match-condition" }, c)),
        button,
      );
    }),
  );
}

// "Sam: Maybe — “only after a check-in”": the conditions that came with the reveal.
export function conditionsOf(ctx, fact) {
  const out = [];
  const pick = (list) => list.find((e) => e.item === fact.item && e.answer === "maybe" && e.condition);
  const theirs = pick(ctx.view.partner);
  const mine = pick(ctx.view.mine);
  if (theirs) out.push(`${ctx.partnerName}: ${ANSWER_NAMES.maybe} — “${theirs.condition}”`);
  if (mine) out.push(`You: ${ANSWER_NAMES.maybe} — “${mine.condition}”`);
  return out;
}
