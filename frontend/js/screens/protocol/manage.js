// Changing and stopping a protocol: renegotiate, withdraw consent (one no is enough), retire.
import { confirmDialog, h } from "../../dom.js";
import { reasonBody } from "../../protocol-words.js";

// An act that ends or stops something: offline it says so, else it asks first, then acts.
function confirmed(screen, dialog, path, label, done, reason) {
  return async () => {
    if (screen.offlineNow()) return;
    const ok = await confirmDialog({ ...dialog, danger: true });
    if (ok) screen.act(async () => screen.send(path, await reasonBody(screen.dynamicId, reason), label), done);
  };
}

function withdrawButton(title, them, reason, screen) {
  const dialog = {
    title: "Withdraw consent?",
    text: `This stops “${title}” at once and tells ${them}. It starts again only if you both agree again.`,
    confirm: "Withdraw consent",
  };
  const done = "You withdrew consent: it stopped at once.";
  const onclick = confirmed(screen, dialog, `/api/protocols/${screen.id}/withdraw`, "Withdrawal", done, reason);
  return h("button", { type: "button", class: "danger", id: "withdraw", onclick }, "Withdraw consent");
}

function retireButton(title, them, reason, screen) {
  const dialog = {
    title: "Retire this protocol?",
    text: `“${title}” ends for good, for both of you, and ${them} is told. You can propose it again later.`,
    confirm: "Retire",
  };
  const onclick = confirmed(screen, dialog, `/api/protocols/${screen.id}/retire`, "Retirement", "You retired it.", reason);
  return h("button", { type: "button", class: "secondary", id: "retire", onclick }, "Retire");
}

// `title` is the protocol's name as the heading shows it.
export function manageSection(p, title, them, screen) {
  const reason = h("input", { type: "text", id: "manage-reason", maxlength: "500", autocomplete: "off" });
  const active = p.status === "active";
  const buttons = [
    h("a", { href: `#/propose/${encodeURIComponent(screen.id)}`, class: "button secondary", id: "renegotiate" }, "Renegotiate"),
    active ? withdrawButton(title, them, reason, screen) : null,
    retireButton(title, them, reason, screen),
  ];
  return h(
    "section",
    // Its dialogs name the protocol: a new name draws it again.
    { id: "manage", "aria-labelledby": "manage-title", "data-title": title },
    h("h2", { id: "manage-title" }, "Change or stop it"),
    h(
      "p",
      { class: "muted" },
      active
        ? "Either of you can stop it at any time; one no is enough. A change stays a proposal until you both agree."
        : "A change stays a proposal until you both agree.",
    ),
    h("label", { for: "manage-reason", class: "proto-reason" }, "Reason (optional; kept in the history)", reason),
    h("div", { class: "actions proto-actions" }, buttons),
  );
}
