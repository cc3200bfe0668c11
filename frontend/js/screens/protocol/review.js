// A version waiting for agreement, reviewed field by field against the terms in force (or the
// version before), with the answers the consent rules allow me (docs/consent.md). Agreeing names
// the version drawn here, so one that changed meanwhile is refused instead of agreed to unread.
import { confirmDialog, h } from "../../dom.js";
import { changedFields, FIELDS, nameOf, versionChanges } from "../../protocol-terms.js";
import { reasonBody } from "../../protocol-words.js";
import { declineAndSuggest } from "./declined.js";
import { diffList, termsList } from "./terms.js";

function title(p, inForce) {
  if (inForce) return `Proposed change: version ${p.version}`;
  if (p.status === "suspended") return `To start again: version ${p.version}`;
  return `Proposed terms: version ${p.version}`;
}

function agreedBy(p, dynamic, me) {
  const agreeing = p.agreed_by.map((u) => nameOf(dynamic, me, u, true));
  const verb = agreeing.length === 1 && agreeing[0] !== "You" ? "agrees" : "agree";
  const text = agreeing.length ? `${agreeing.join(" and ")} ${verb} to this version.` : "Nobody agrees to this version yet.";
  return h("p", { class: "proto-agreed", id: "agreed-by" }, text);
}

// The difference from the terms in force, field by field; else from the version before.
function difference(p, inForce, history) {
  if (inForce) {
    const changes = changedFields(inForce, p).map((field) => ({ field, from: inForce[field], to: p[field] }));
    return { changes, labels: { oldLabel: "In force now", newLabel: "Proposed" } };
  }
  const diff = history && p.version > 1 ? versionChanges(history, p.version) : null;
  if (!diff) return { changes: null, labels: null };
  return { changes: diff.changes, labels: { oldLabel: `Version ${diff.from}`, newLabel: `Version ${p.version}` } };
}

function terms(p, inForce, history, dynamic, me) {
  const { changes, labels } = difference(p, inForce, history);
  const all = () => termsList(p, dynamic, me, { withTitle: true, id: "proposed-terms" });
  if (!changes?.length) return [all()];
  const nodes = [
    h("p", {}, inForce ? "What would change, field by field:" : `What changed since ${labels.oldLabel.toLowerCase()}:`),
    diffList(changes, dynamic, me, labels),
  ];
  const unchanged = Object.keys(FIELDS).filter((f) => !changes.some((c) => c.field === f));
  if (unchanged.length) nodes.push(h("p", { class: "muted" }, `Unchanged: ${unchanged.map((f) => FIELDS[f].toLowerCase()).join(", ")}.`));
  if (!inForce) nodes.push(h("h3", {}, "All the terms"), all());
  return nodes;
}

function button(id, text, onclick, cls = null) {
  return h("button", { type: "button", class: cls, id, onclick }, text);
}

// Agree and decline, for a version someone else agrees to and I do not yet.
function answers(p, inForce, reason, { id, dynamicId, act, send, error, ctx }) {
  const version = p.version; // the version drawn here is the one agreed to
  const buttons = [
    button("agree", `Agree to version ${version}`, () =>
      act(() => send(`/api/protocols/${id}/agree`, { version }, "Agreement"), `You agreed to version ${version}.`),
    ),
  ];
  if (p.agreed_by.length > 0) {
    const declined = inForce ? "You declined the change: the agreed terms stay in force." : "You declined it.";
    const decline = () => act(async () => send(`/api/protocols/${id}/decline`, await reasonBody(dynamicId, reason), "Decline"), declined);
    buttons.push(button("decline", "Decline", decline, "secondary"));
    // Decline, then change the terms: a proposal pre-filled with the declined ones.
    const declinedOk = async () => {
      await decline();
      return !error.textContent;
    };
    buttons.push(declineAndSuggest({ p, decline: declinedOk, go: ctx.go }));
  }
  return buttons;
}

function takeBack(p, them, reason, { id, dynamicId, act, send, offlineNow }) {
  return button(
    "take-back",
    "Take back my yes",
    async () => {
      if (offlineNow()) return;
      const ok = await confirmDialog({
        title: "Take back your yes?",
        text: `You will no longer agree to version ${p.version}. ${them} is told.`,
        confirm: "Take back my yes",
        danger: true,
      });
      if (ok)
        act(
          async () => send(`/api/protocols/${id}/withdraw`, await reasonBody(dynamicId, reason), "Withdrawal"),
          "You took back your yes.",
        );
    },
    "secondary",
  );
}

// `state`: {p, inForce, dynamic, me, them, ended, history}; `screen`: {id, act, send, offlineNow}.
export function reviewSection({ p, inForce, dynamic, me, them, ended, history }, screen) {
  const mine = p.agreed_by.includes(me.id);
  const section = h("section", { id: "review", class: "proto-review", "aria-labelledby": "review-title" });
  section.append(h("h2", { id: "review-title" }, title(p, inForce)), agreedBy(p, dynamic, me), ...terms(p, inForce, history, dynamic, me));
  const reason = h("input", { type: "text", id: "reason", maxlength: "500", autocomplete: "off" });
  const buttons = [];
  if (!mine && !ended) buttons.push(...answers(p, inForce, reason, screen));
  if (mine && !ended && p.status !== "active") buttons.push(takeBack(p, them, reason, screen));
  if (buttons.length) {
    if (!mine && p.agreed_by.length > 0) {
      section.append(h("label", { for: "reason", class: "proto-reason" }, "Reason (optional; kept in the history)", reason));
    }
    section.append(h("div", { class: "actions proto-actions" }, buttons));
  } else if (mine) {
    section.append(h("p", { class: "muted" }, `Waiting for ${them}.`));
  }
  return section;
}
