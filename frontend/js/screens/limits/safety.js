// Safety at a glance: the partner's hard limits and no's, at the top of the screen, never
// folded away inside a category.
import { h } from "../../dom.js";

export function safety(view, partnerName, labelOf) {
  const partner = view ? view.partner : [];
  const list = (answer) => partner.filter((p) => p.answer === answer);
  const line = (p) => h("li", {}, labelOf(p.item), p.role ? h("span", { class: "muted" }, ` (${p.role})`) : null);
  const hard = list("hard_limit");
  const no = list("no");
  return h(
    "section",
    { class: "card lim-safety", id: "partner-limits", "aria-labelledby": "partner-limits-title" },
    h("h2", { id: "partner-limits-title" }, `${partnerName}'s limits`),
    hard.length ? [h("h3", {}, "Hard limits"), h("ul", { class: "lim-hard-list" }, hard.map(line))] : null,
    no.length ? [h("h3", {}, "No, thank you"), h("ul", { class: "lim-no-list" }, no.map(line))] : null,
    hard.length || no.length ? null : h("p", { class: "muted" }, `${partnerName} hasn't marked any hard limits or no's yet.`),
  );
}
