// A protocol's history: every step, newest first, with what a renegotiation changed and the
// reasons given.
import { h } from "../../dom.js";
import { momentText } from "../../format.js";
import { eventText, FIELDS, nameOf, valueText, versionChanges } from "../../protocol-terms.js";

function changesList(history, event, dynamic, me) {
  const diff = event.action === "renegotiated" ? versionChanges(history, event.version) : null;
  if (!diff?.changes.length) return null;
  return h(
    "ul",
    { class: "proto-event-changes", "aria-label": `Changes from version ${diff.from}` },
    diff.changes.map(({ field, from, to }) =>
      h("li", {}, `${FIELDS[field] || field}: ${valueText(field, from, dynamic, me)} → ${valueText(field, to, dynamic, me)}`),
    ),
  );
}

function eventItem(history, event, dynamic, me) {
  const who = nameOf(dynamic, me, event.actor_id, true);
  return h(
    "li",
    { class: `proto-event proto-event-${event.action}`, "data-action": event.action },
    h("p", { class: "proto-event-what" }, eventText(event.action, who, event.version)),
    h("p", { class: "proto-event-when" }, h("time", { datetime: event.at }, momentText(event.at))),
    changesList(history, event, dynamic, me),
    // A withdrawal's reason is stored on its "suspended" event too: say it once.
    event.reason && event.action !== "suspended" ? h("p", { class: "proto-text" }, `Reason: ${event.reason}`) : null,
  );
}

// The section's content for a history (null while it is loading); `meta` as live() gives it.
export function historyNodes(history, dynamic, me, meta = {}) {
  const title = h("h2", { id: "history-title" }, "History");
  if (!history) {
    return [title, h("p", { class: "muted" }, meta.offline ? "The history needs a connection the first time." : "Loading…")];
  }
  const list = h("ol", { class: "proto-events", id: "history-events", reversed: true });
  list.append(...[...history.events].reverse().map((event) => eventItem(history, event, dynamic, me)));
  return [title, list, meta.stale ? h("p", { class: "muted" }, "Showing what this phone last saw.") : null];
}
