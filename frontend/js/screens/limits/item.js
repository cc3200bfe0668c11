// One item of the checklist: my answer (either way, or giving and receiving apart for items
// with a direction), a condition on a maybe, what the partner's answer shows, and whether it
// was ever shown to both of us.
import { h } from "../../dom.js";
import { ANSWERS, CAUTION, DIRECTION_NAMES, answerText, dayText, fits } from "./words.js";

let seq = 0;

// state: { answers: Map(item -> Map(role|"" -> {answer, condition})), view, partnerName, me, changed() }
export function itemRow(item, label, directed, state) {
  const id = `item-${++seq}`;
  const theirs = (state.view ? state.view.partner : []).filter((p) => p.item === item);
  const mine = () => state.answers.get(item) || new Map();
  const row = h("fieldset", { class: "limit-item", "data-item": item }, h("legend", { id: `${id}-legend` }, label));

  for (const entry of theirs) {
    const condition = entry.condition ? ` — “${entry.condition}”` : "";
    row.append(h("p", { class: `lim-partner lim-partner-${entry.answer}` }, `${state.partnerName}: ${answerText(entry)}${condition}`));
  }
  for (const fact of ((state.view && state.view.revealed) || []).filter((r) => r.item === item)) {
    row.append(h("p", { class: "lim-history muted" }, historyText(fact, state)));
  }

  const groups = h("div", { class: "lim-groups" });
  const apart = directed ? h("input", { type: "checkbox", id: `${id}-apart`, checked: [...mine().keys()].some((r) => r) }) : null;
  const clear = h("button", { type: "button", class: "set-link set-small", "aria-label": `Clear my answer to ${label}` }, "Clear");

  function group(role) {
    const box = h("fieldset", { class: "lim-dir", "data-role": role || "either" });
    if (role) box.append(h("legend", { class: "lim-dir-name" }, DIRECTION_NAMES[role]));
    const current = mine().get(role);
    const condition = h("input", {
      type: "text",
      class: "lim-condition",
      maxlength: 120,
      autocomplete: "off",
      "aria-label": `What would make ${label}${role ? ` (${role})` : ""} a yes`,
      placeholder: "What would make it a yes? (optional)",
      value: current && current.condition ? current.condition : "",
    });
    const note = h("p", { class: "lim-warn", role: "status" });
    const radios = ANSWERS.map(([value, text]) => {
      const input = h("input", { type: "radio", name: `${id}-${role || "either"}`, value, checked: current && current.answer === value, class: "lim-radio" });
      input.addEventListener("change", () => {
        set(role, { answer: value, condition: value === "maybe" ? condition.value.trim() || null : null });
        refresh();
      });
      return h("label", { class: `lim-answer lim-answer-${value}` }, input, h("span", {}, text));
    });
    condition.addEventListener("input", () => {
      const entry = mine().get(role);
      if (entry) set(role, { ...entry, condition: condition.value.trim() || null });
    });
    function refresh() {
      const entry = mine().get(role);
      condition.hidden = !entry || entry.answer !== "maybe";
      note.textContent = entry && (entry.answer === "yes" || entry.answer === "maybe") ? clash(role) : "";
      note.hidden = !note.textContent;
    }
    refresh();
    box.append(h("div", { class: "lim-answers" }, radios), condition, note);
    return box;
  }

  // The partner's no or hard limit that my yes or maybe would meet, said right there.
  function clash(role) {
    const hard = theirs.find((p) => p.answer === "hard_limit" && fits(role, p.role));
    if (hard) return `This is a hard limit for ${state.partnerName}, so it stays off the table: your answer won't show up as a match.`;
    const no = theirs.find((p) => p.answer === "no" && fits(role, p.role));
    return no ? `${state.partnerName} said no to this, so your answer stays private.` : "";
  }

  function set(role, entry) {
    const answers = new Map(mine());
    if (entry) answers.set(role, entry);
    else answers.delete(role);
    if (answers.size) state.answers.set(item, answers);
    else state.answers.delete(item);
    clear.hidden = !answers.size;
    state.changed();
  }

  function draw() {
    groups.replaceChildren(...(apart && apart.checked ? ["giving", "receiving"] : [""]).map((role) => group(role)));
    clear.hidden = !mine().size;
  }

  if (apart) {
    apart.addEventListener("change", () => {
      const now = mine();
      const next = new Map();
      if (apart.checked) {
        // One answer either way becomes the same answer for each direction.
        const either = now.get("");
        if (either) for (const role of ["giving", "receiving"]) next.set(role, { ...either });
      } else {
        // Two directions become one: the more cautious answer stays.
        const kept = [now.get("giving"), now.get("receiving")].filter(Boolean).sort((a, b) => CAUTION[b.answer] - CAUTION[a.answer])[0];
        if (kept) next.set("", { ...kept });
      }
      if (next.size) state.answers.set(item, next);
      else state.answers.delete(item);
      state.changed();
      draw();
    });
    row.append(h("label", { class: "check lim-apart", for: apart.id }, apart, `Answer for ${DIRECTION_NAMES.giving.toLowerCase()} and ${DIRECTION_NAMES.receiving.toLowerCase()} apart`));
  }
  clear.addEventListener("click", () => {
    state.answers.delete(item);
    state.changed();
    draw();
    row.querySelector(".lim-radio").focus();
  });
  draw();
  row.append(groups, clear);
  return row;
}

function historyText(fact, state) {
  const shown = `Shown to both of you on ${dayText(fact.revealed_at)}`;
  if (!fact.withdrawn_at) return `${shown}.`;
  const who = fact.withdrawn_by === state.me.id ? "you" : state.partnerName;
  return `${shown}; withdrawn by ${who} on ${dayText(fact.withdrawn_at)}.`;
}
