// A decline, where the proposer sees it: on top of the protocol, with its reason, and a way to
// suggest another version straight away. And "Decline and suggest" for whoever is deciding: it
// declines, then opens a proposal pre-filled with the declined terms to change them.
import { h } from "../../dom.js";
import { suggest } from "../../proposal-draft.js";

// The latest decline of a version this member proposed, if nothing was proposed since.
function lastDeclineOfMine(history, me) {
  if (!history?.events.length) return null;
  const last = history.events[history.events.length - 1];
  if (last.action !== "declined") return null;
  const version = history.versions.find((v) => v.number === last.version);
  if (!version || version.created_by !== me.id) return null;
  return { event: last, version };
}

export function declinedNote(p, history, them, me, go) {
  const found = lastDeclineOfMine(history, me);
  if (!found) return null;
  const { event, version } = found;
  const renegotiate = p.status === "active" || p.status === "suspended";
  const when = new Date(event.at).toLocaleString([], { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  return h(
    "section",
    { class: "card proto-declined", id: "declined-note", "aria-labelledby": "declined-title" },
    h("h2", { id: "declined-title" }, `${them} said no to version ${version.number}`),
    h(
      "p",
      {},
      event.reason
        ? `On ${when}, ${them} said: “${event.reason}”`
        : `On ${when}, without a reason. Asking ${them} what would work is a good next step.`,
    ),
    renegotiate ? h("p", { class: "muted" }, "What you had agreed before stays in force.") : null,
    h(
      "button",
      { type: "button", class: "secondary", id: "suggest-again", onclick: () => go(suggest(p.id, version, renegotiate)) },
      "Suggest another version",
    ),
  );
}

// For the partner deciding: decline (with the reason typed above), then change the terms.
export function declineAndSuggest({ p, decline, go }) {
  const renegotiate = p.status === "active" || p.status === "suspended";
  const button = h("button", { type: "button", class: "secondary", id: "decline-suggest" }, "Decline and suggest");
  button.addEventListener("click", async () => {
    const terms = { ...p };
    const ok = await decline();
    if (ok) go(suggest(p.id, terms, renegotiate));
  });
  return button;
}
