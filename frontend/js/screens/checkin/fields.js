// The questions of the check-in: the mood faces (the one answer it needs), the optional scales
// (energy, gave, received, the deal question) and what was picked in one of them.
import { h } from "../../dom.js";
import { face, MOODS } from "../../moods.js";

const SCALE = [
  [1, "1 — very little"],
  [2, "2 — a little"],
  [3, "3 — some"],
  [4, "4 — a lot"],
  [5, "5 — very much"],
];
const ENERGY = [
  [1, "1 — very low"],
  [2, "2 — low"],
  [3, "3 — medium"],
  [4, "4 — high"],
  [5, "5 — very high"],
];

// The deal question from the person's side: −3 "my partner, by far" … +3 "me, by far".
function dealLabels(partnerName) {
  return [
    [-3, `${partnerName}, by far`, "−3"],
    [-2, `${partnerName}, clearly`, "−2"],
    [-1, `${partnerName}, a little`, "−1"],
    [0, "Equal", "0"],
    [1, "Me, a little", "+1"],
    [2, "Me, clearly", "+2"],
    [3, "Me, by far", "+3"],
  ];
}

// A row of radio buttons, one big touch target each. `skip` adds a first "not said" choice,
// checked, so an optional question can be left (or set back to) unanswered.
function scale(name, legend, choices, { skip = false, hint = null, wide = false } = {}) {
  const options = [];
  if (skip) options.push([null, "Not said", "–"]);
  for (const [value, label, short] of choices) options.push([value, label, short]);
  return h(
    "fieldset",
    { class: wide ? "scale wide" : "scale", id: `${name}-field` },
    h("legend", {}, legend),
    hint ? h("p", { class: "hint muted" }, hint) : null,
    h(
      "div",
      { class: "scale-options" },
      options.map(([value, label, short]) =>
        h(
          "label",
          { class: value === null ? "scale-option skip" : "scale-option" },
          h("input", { type: "radio", name, value: value === null ? "" : String(value), checked: skip && value === null }),
          h("span", { class: "scale-short", "aria-hidden": "true" }, short),
          h("span", { class: "scale-label" }, label),
        ),
      ),
    ),
  );
}

const numbered = (choices) => choices.map(([v, l]) => [v, l, String(v)]);

// The picked value of a scale (or the mood), or null when nothing (or "not said") is picked.
export function picked(form, name) {
  const input = form.querySelector(`input[name="${name}"]:checked`);
  if (!input || input.value === "") return null;
  return Number(input.value);
}

export function moodField() {
  return h(
    "fieldset",
    { class: "moods", id: "mood-field" },
    h("legend", {}, "How are you right now?"),
    h(
      "div",
      { class: "mood-options" },
      MOODS.map(([value, label]) =>
        h(
          "label",
          { class: "mood-option" },
          h("input", { type: "radio", name: "mood", value: String(value), required: true }),
          face(value),
          h("span", { class: "mood-label" }, `${value} — ${label}`),
        ),
      ),
    ),
  );
}

// Energy, gave and received: before the needs.
export function amountScales() {
  return [
    scale("energy", "Energy", numbered(ENERGY), { skip: true, hint: "1 very low · 5 very high" }),
    scale("gave", "How much I gave since my last check-in", numbered(SCALE), { skip: true, hint: "1 very little · 5 very much" }),
    scale("received", "How much I received since my last check-in", numbered(SCALE), {
      skip: true,
      hint: "1 very little · 5 very much",
    }),
  ];
}

// The deal question: after the needs.
export function dealScale(partnerName) {
  return scale("deal", "Considering what each of us puts in and gets out, who gets the better deal?", dealLabels(partnerName), {
    skip: true,
    wide: true,
  });
}
