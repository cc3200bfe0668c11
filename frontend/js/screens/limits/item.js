// One item of the checklist: my answer (either way, or giving and receiving apart for items
// with a direction), a condition on a maybe, what the partner's answer shows, and whether it
// was ever shown to both of us.
import { h } from "../../dom.js";
import { ANSWERS, answerText, CAUTION, DIRECTION_NAMES, dayText, fits } from "./words.js";

let seq = 0;

// state: { answers: Map(item -> Map(role|"" -> {answer, condition})), view, partnerName, me, changed() }
export function itemRow(item, label, directed, state) {
  const id = `item-${++seq}`;
  const row = h("fieldset", { class: "limit-item", "data-item": item }, h("legend", { id: `${id}-legend` }, label));
  const it = {
    item,
    label,
    id,
    state,
    theirs: (state.view ? state.view.partner : []).filter((p) => p.item === item),
    mine: () => state.answers.get(item) || new Map(),
    groups: h("div", { class: "lim-groups" }),
    clear: h("button", { type: "button", class: "set-link set-small", "aria-label": `Clear my answer to ${label}` }, "Clear"),
    apart: null,
  };
  for (const entry of it.theirs) {
    const condition = entry.condition ? ` — “${entry.condition}”` : "";
    row.append(h("p", { class: `lim-partner lim-partner-${entry.answer}` }, `${state.partnerName}: ${answerText(entry)}${condition}`));
  }
  for (const fact of (state.view?.revealed || []).filter((r) => r.item === item)) {
    row.append(h("p", { class: "lim-history muted" }, historyText(fact, state)));
  }
  if (directed) row.append(apartSwitch(it));
  it.clear.addEventListener("click", () => {
    state.answers.delete(item);
    state.changed();
    draw(it);
    row.querySelector(".lim-radio").focus();
  });
  draw(it);
  row.append(it.groups, it.clear);
  return row;
}

function draw(it) {
  it.groups.replaceChildren(...(it.apart?.checked ? ["giving", "receiving"] : [""]).map((role) => group(it, role)));
  it.clear.hidden = !it.mine().size;
}

// The answers for one direction ("" for either way), with the condition of a maybe.
function group(it, role) {
  const box = h("fieldset", { class: "lim-dir", "data-role": role || "either" });
  if (role) box.append(h("legend", { class: "lim-dir-name" }, DIRECTION_NAMES[role]));
  const current = it.mine().get(role);
  const condition = h("input", {
    type: "text",
    class: "lim-condition",
    maxlength: 120,
    autocomplete: "off",
    "aria-label": `What would make ${it.label}${role ? ` (${role})` : ""} a yes`,
    placeholder: "What would make it a yes? (optional)",
    value: current?.condition ? current.condition : "",
  });
  const note = h("p", { class: "lim-warn", role: "status" });
  const refresh = () => {
    const entry = it.mine().get(role);
    condition.hidden = entry?.answer !== "maybe";
    note.textContent = entry && (entry.answer === "yes" || entry.answer === "maybe") ? clash(it, role) : "";
    note.hidden = !note.textContent;
  };
  const radios = ANSWERS.map(([value, text]) => {
    const input = h("input", {
      type: "radio",
      name: `${it.id}-${role || "either"}`,
      value,
      checked: current?.answer === value,
      class: "lim-radio",
    });
    input.addEventListener("change", () => {
      setAnswer(it, role, { answer: value, condition: value === "maybe" ? condition.value.trim() || null : null });
      refresh();
    });
    return h("label", { class: `lim-answer lim-answer-${value}` }, input, h("span", {}, text));
  });
  condition.addEventListener("input", () => {
    const entry = it.mine().get(role);
    if (entry) setAnswer(it, role, { ...entry, condition: condition.value.trim() || null });
  });
  refresh();
  box.append(h("div", { class: "lim-answers" }, radios), condition, note);
  return box;
}

// The partner's no or hard limit that my yes or maybe would meet, said right there.
function clash(it, role) {
  const { theirs, state } = it;
  const hard = theirs.find((p) => p.answer === "hard_limit" && fits(role, p.role));
  if (hard) return `This is a hard limit for ${state.partnerName}, so it stays off the table: your answer won't show up as a match.`;
  const no = theirs.find((p) => p.answer === "no" && fits(role, p.role));
  return no ? `${state.partnerName} said no to this, so your answer stays private.` : "";
}

function setAnswer(it, role, entry) {
  const answers = new Map(it.mine());
  if (entry) answers.set(role, entry);
  else answers.delete(role);
  if (answers.size) it.state.answers.set(it.item, answers);
  else it.state.answers.delete(it.item);
  it.clear.hidden = !answers.size;
  it.state.changed();
}

// "Answer for giving and receiving apart": one answer either way becomes the same answer for
// each direction; two directions become one, keeping the more cautious answer.
function apartSwitch(it) {
  it.apart = h("input", { type: "checkbox", id: `${it.id}-apart`, checked: [...it.mine().keys()].some((r) => r) });
  it.apart.addEventListener("change", () => {
    const now = it.mine();
    const next = new Map();
    if (it.apart.checked) {
      const either = now.get("");
      if (either) for (const role of ["giving", "receiving"]) next.set(role, { ...either });
    } else {
      const kept = [now.get("giving"), now.get("receiving")].filter(Boolean).sort((a, b) => CAUTION[b.answer] - CAUTION[a.answer])[0];
      if (kept) next.set("", { ...kept });
    }
    if (next.size) it.state.answers.set(it.item, next);
    else it.state.answers.delete(it.item);
    it.state.changed();
    draw(it);
  });
  const words = `Answer for ${DIRECTION_NAMES.giving.toLowerCase()} and ${DIRECTION_NAMES.receiving.toLowerCase()} apart`;
  return h("label", { class: "check lim-apart", for: it.apart.id }, it.apart, words);
}

function historyText(fact, state) {
  const shown = `Shown to both of you on ${dayText(fact.revealed_at)}`;
  if (!fact.withdrawn_at) return `${shown}.`;
  const who = fact.withdrawn_by === state.me.id ? "you" : state.partnerName;
  return `${shown}; withdrawn by ${who} on ${dayText(fact.withdrawn_at)}.`;
}
