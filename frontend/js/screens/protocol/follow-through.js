// Follow-through: adherence without streaks, "I did it" for a performer, and the completions
// (those waiting in the outbox first) with their acknowledgements.
import { h } from "../../dom.js";
import { momentText, percent } from "../../format.js";
import { items } from "../../outbox.js";
import { nameOf } from "../../protocol-terms.js";
import { entities } from "../../store.js";
import { sealFields, wordsOf } from "../../words.js";
import { queuedOr } from "./actions.js";

function adherenceText(p, inForce) {
  const a = p.adherence;
  const scheduled = inForce?.schedule || p.schedule;
  if (!scheduled && !a) return "No schedule, so nothing is counted: record it whenever it is done.";
  if (!a) return "Nothing is counted yet: follow-through counts once it is in force.";
  if (a.rate === null || a.scheduled === 0) return `Nothing was due in the last ${a.window_days} days while it was in force.`;
  return `Done ${a.done} of ${a.scheduled} scheduled times in the last ${a.window_days} days (${percent(a.rate)}). Time under a red is not counted.`;
}

// A short optional note and a button, sent through `screen.record`.
function noteForm({ id, formId, cls, label, button, buttonId, buttonClass }, send) {
  const note = h("input", { type: "text", id, maxlength: "1000", autocomplete: "off" });
  const form = h(
    "form",
    { id: formId, class: cls },
    h("label", { for: id }, label, note),
    h("button", { type: "submit", id: buttonId, class: buttonClass }, button),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(note.value.trim());
  });
  return form;
}

function completeForm(them, { id, dynamicId, act, record }) {
  const form = {
    id: "completion-note",
    formId: "complete-form",
    cls: "proto-inline-form",
    label: "Note (optional)",
    button: "I did it",
    buttonId: "complete",
  };
  return noteForm(form, (note) => {
    // Its id made here: a note is sealed to this completion (js/words.js) before the outbox.
    const completion = globalThis.crypto.randomUUID();
    const send = async () => {
      const words = await sealFields(dynamicId, "completion", completion, note ? { note } : {});
      return record(`/api/protocols/${id}/completions`, { id: completion, occurred_at: new Date().toISOString(), ...words });
    };
    act(send, queuedOr(`Recorded. ${them} can acknowledge it.`));
  });
}

function acknowledgeForm(c, who, { dynamicId, act, record }) {
  const form = {
    id: `ack-note-${c.id}`,
    cls: "proto-inline-form proto-ack-form",
    label: `Note to ${who} (optional)`,
    button: "Acknowledge",
    buttonClass: "secondary",
  };
  return noteForm(form, (note) => {
    const send = async () => {
      const words = await sealFields(dynamicId, "completion", c.id, note ? { acknowledgement_note: note } : {});
      return record(`/api/completions/${c.id}/acknowledge`, note ? { note: words.acknowledgement_note } : {});
    };
    act(send, queuedOr(`You acknowledged it. ${who} is told.`));
  });
}

function waitingItem(item) {
  const what = item.path.includes("/acknowledge") ? "Your acknowledgement" : "You did it";
  const state =
    item.state === "failed"
      ? `could not be sent: ${item.error ? item.error.detail : "refused"}`
      : "saved on this phone, waiting to be sent";
  return h("li", { class: "proto-completion proto-waiting" }, h("span", {}, what), " · ", h("span", {}, state));
}

function completionItem(c, waiting, dynamic, me, screen) {
  const who = nameOf(dynamic, me, c.user_id, true);
  const when = h("time", { datetime: c.occurred_at }, momentText(c.occurred_at));
  const li = h(
    "li",
    { class: "proto-completion", "data-id": c.id },
    h("p", { class: "proto-completion-what" }, `${who} did it`, " · ", when),
  );
  const sealedIn = (field) => ({ dynamicId: c.dynamic_id, value: c[field], entity: "completion", id: c.id, field });
  if (c.note) li.append(wordsOf("p", { class: "proto-text" }, sealedIn("note")));
  if (c.acknowledged_at) {
    const by = `Acknowledged by ${nameOf(dynamic, me, c.acknowledged_by)} · ${momentText(c.acknowledged_at)}`;
    const note = c.acknowledgement_note ? wordsOf("span", {}, { ...sealedIn("acknowledgement_note"), prefix: ": " }) : "";
    li.append(h("p", { class: "proto-ack" }, by, note));
  } else if (c.user_id && c.user_id !== me.id && !waiting.some((i) => i.path.includes(c.id))) {
    li.append(acknowledgeForm(c, who, screen));
  } else {
    li.append(h("p", { class: "muted" }, "Not acknowledged yet"));
  }
  return li;
}

// `state`: {p, inForce, dynamic, me, them, frozen (under a red or ended)}.
export async function followThroughSection({ p, inForce, dynamic, me, them, frozen }, screen) {
  const section = h(
    "section",
    { id: "follow-through", "aria-labelledby": "follow-title" },
    h("h2", { id: "follow-title" }, "Follow-through"),
  );
  section.append(h("p", { id: "adherence" }, adherenceText(p, inForce)));
  if (inForce?.performer_ids.includes(me.id) && !frozen) section.append(completeForm(them, screen));
  const waiting = (await items()).filter((i) => i.kind === "completion" && i.path.includes(screen.id));
  const done = (await entities("completion", screen.dynamicId)).filter((c) => c.protocol_id === screen.id);
  done.sort((x, y) => (x.occurred_at < y.occurred_at ? 1 : -1));
  const list = h("ul", { class: "proto-completions", id: "completions" });
  list.append(...waiting.map(waitingItem), ...done.slice(0, 10).map((c) => completionItem(c, waiting, dynamic, me, screen)));
  if (list.children.length) section.append(list);
  else section.append(h("p", { class: "muted", id: "no-completions" }, "Nothing recorded yet."));
  return section;
}
