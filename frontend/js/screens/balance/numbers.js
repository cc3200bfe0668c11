// The balance in numbers, for whoever wants the arithmetic: each partner's averages and counts,
// and the two gaps as the API gives them (docs/balance.md).
import { h } from "../../dom.js";
import { percent as pct } from "../../format.js";
import { num } from "./svg.js";

function gap(value) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(2);
}

// The gaps, as the API gives them, with what each part is: for whoever wants the arithmetic.
export function gapsList(data) {
  const parts = (g) =>
    Object.entries(g?.parts || {})
      .map(([name, value]) => `${name.replace("_", " ")} ${gap(value)}`)
      .join(", ");
  const [a, b] = (data.members || []).map((m) => m.display_name);
  return h(
    "dl",
    { class: "gaps", id: "balance-gaps" },
    h("dt", {}, "Equity gap"),
    h(
      "dd",
      {},
      `${gap(data.equity_gap?.value)} (${parts(data.equity_gap)}). Above 0: ${a} gets more back for what they give than ${b}; 0.15 or more either way is a drift, 0.30 an imbalance.`,
    ),
    h("dt", {}, "Importance gap"),
    h("dd", {}, `${gap(data.importance_gap?.value)} (${parts(data.importance_gap)}). Above 0: ${a} is heard more.`),
  );
}

export function numbersTable(members) {
  const rows = [
    ["Check-ins", (m) => String(m.checkins)],
    ["Share of check-ins", (m) => pct(m.checkin_share)],
    ["Mood (1–5)", (m) => num(m.mean_mood)],
    ["Energy (1–5)", (m) => num(m.mean_energy)],
    ["Gave (1–5)", (m) => num(m.mean_gave)],
    ["Received (1–5)", (m) => num(m.mean_received)],
    ["Better deal (−3 the other … +3 me)", (m) => num(m.mean_deal)],
    ["Needs raised", (m) => String(m.needs_raised)],
    ["Needs answered", (m) => String(m.needs_answered)],
    ["Protocol moments done", (m) => String(m.completions_performed)],
    ["Of those, acknowledged", (m) => String(m.completions_acknowledged)],
  ];
  return h(
    "table",
    { class: "numbers", id: "balance-table" },
    h("caption", {}, "Each partner's averages and counts"),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "Measure"),
        members.map((m) => h("th", { scope: "col" }, m.display_name)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map(([label, get]) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, label),
          members.map((m) => h("td", {}, get(m))),
        ),
      ),
    ),
  );
}
