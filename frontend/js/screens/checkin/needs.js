// "What do you need?": the fixed chips, plus one in the person's own words. At most five in
// all: once five are chosen, the other chips wait until one is unchosen.
import { h } from "../../dom.js";
import { NEEDS, needLabel } from "../../moods.js";

export const MAX_NEEDS = 5;
export const CUSTOM_NEED_MAX = 24;

// { field, chosen(), update() }: the fieldset, the needs chosen in it, and its count kept true.
export function needsField() {
  const chips = NEEDS.map((need) =>
    h("label", { class: "chip" }, h("input", { type: "checkbox", name: "need", value: need }), h("span", {}, needLabel(need))),
  );
  const custom = h("input", { type: "text", id: "custom-need", name: "custom", autocomplete: "off", "aria-describedby": "custom-hint" });
  const needCount = h("p", { class: "hint muted", id: "need-count", "aria-live": "polite" }, `Up to ${MAX_NEEDS}.`);
  const field = h(
    "fieldset",
    { class: "needs", id: "needs-field" },
    h("legend", {}, "What do you need?"),
    needCount,
    h("div", { class: "chips" }, chips),
    h("label", { for: "custom-need", class: "custom-need" }, "Something else, in your own words", custom),
    h("p", { class: "hint muted", id: "custom-hint" }, "A few words, 24 characters at most."),
  );

  function chosen() {
    const list = [...field.querySelectorAll('input[name="need"]:checked')].map((i) => i.value);
    const own = custom.value.trim().normalize("NFC");
    // "Praise" typed is the fixed chip (counted in clear, as the server would read it).
    const fixed = own.toLowerCase();
    if (NEEDS.includes(fixed)) {
      if (!list.includes(fixed)) list.push(fixed);
    } else if (own) list.push(own);
    return list;
  }

  function update() {
    const count = chosen().length;
    needCount.textContent = count ? `${count} of ${MAX_NEEDS} chosen.` : `Up to ${MAX_NEEDS}.`;
    for (const chip of field.querySelectorAll('input[name="need"]')) chip.disabled = !chip.checked && count >= MAX_NEEDS;
  }

  field.addEventListener("change", update);
  custom.addEventListener("input", update);
  return { field, chosen, update };
}
