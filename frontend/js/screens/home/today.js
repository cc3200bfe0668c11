// What GET today adds below the safety calls: what is due today, the balance verdict (its words
// are on the balance screen, not repeated here every day), and the quiet links of home.
import { VERDICTS } from "../../balance-words.js";
import { h } from "../../dom.js";
import { wordsOf } from "../../words.js";

function dueItem(o, me, partner, dynamicId) {
  const title = { dynamicId, value: o.title, entity: "protocol_version", id: o.version_id, field: "title", prefix: `${o.local_time} ` };
  return h(
    "li",
    { class: o.due === false ? "muted" : null },
    h("a", { href: `#/protocol/${o.protocol_id}` }, wordsOf("span", {}, title)),
    o.performer_id === me.id ? " (you)" : partner ? ` (${partner.display_name})` : "",
    o.due === false ? " — before you agreed it, so not due" : o.done ? " — done" : "",
  );
}

function dueSection(due, { dynamic, me, partner }) {
  return h(
    "section",
    { class: "card", "aria-labelledby": "due-title" },
    h("h2", { id: "due-title" }, "Today"),
    due.length
      ? h(
          "ul",
          { class: "plain" },
          due.map((o) => dueItem(o, me, partner, dynamic.id)),
        )
      : h("p", { class: "muted" }, dynamic.state === "paused" ? "Nothing is due while paused." : "Nothing scheduled today."),
    h("a", { href: "#/protocols", class: "button secondary" }, "Protocols"),
  );
}

function balanceSection(balance) {
  return h(
    "section",
    { class: "card", "aria-labelledby": "balance-title" },
    h("h2", { id: "balance-title" }, "Balance"),
    h("p", { class: "state", id: "verdict" }, VERDICTS[balance.verdict] || balance.verdict || "—"),
    h("a", { href: "#/balance", class: "button secondary" }, "See the balance"),
  );
}

// who: { dynamic, me, partner }
export function todaySections(data, who) {
  return [dueSection(data.occurrences, who), balanceSection(data.balance || {})];
}

// The quiet links at the bottom of home, and a nudge (`nudge()` sends it).
export function moreLinks(unread, partnerName, nudge) {
  return h(
    "nav",
    { class: "home-more", "aria-label": "More for you two" },
    h("a", { href: "#/checkins", id: "link-checkins" }, "Check-ins"),
    h("a", { href: "#/limits", id: "link-limits" }, "Limits and desires"),
    h("a", { href: "#/inbox", id: "link-updates" }, unread ? `Updates (${unread} new)` : "Updates"),
    h("button", { type: "button", class: "link", id: "nudge", onclick: nudge }, `Thinking of ${partnerName}`),
  );
}
