// Limits and desires: my answers to the checklist (yes / maybe / no / hard limit), custom items,
// the partner's answers as far as they may be shown, and the mutual matches. Drawn from the
// local copy (the sync feed keeps `limits:<dynamic id>` current), refreshed from the server.
//
// Saving replaces the whole answer set (PUT), so it is never queued for later: an old queued
// set would overwrite newer answers made elsewhere.
import { api, OfflineError } from "../api.js";
import { alertBox, h } from "../dom.js";
import { describe } from "../errors.js";
import { write } from "../outbox.js";
import { entity, subscribe } from "../store.js";

const ANSWERS = [
  ["yes", "Yes"],
  ["maybe", "Maybe"],
  ["no", "No"],
  ["hard_limit", "Hard limit"],
];
const ANSWER_NAMES = Object.fromEntries(ANSWERS);
const CATEGORIES = {
  protocol: "Protocol",
  service: "Service",
  care: "Care",
  discipline: "Discipline",
  sensation: "Sensation",
  restraint: "Restraint",
  verbal: "Words",
  control: "Control",
  roleplay: "Role play",
  intimacy: "Intimacy",
};

// The API's one name for a custom item: trimmed, spaces collapsed, case-folded.
const itemKey = (text) => text.normalize("NFC").trim().replace(/\s+/g, " ").toLowerCase();

export async function render(root, ctx) {
  const dynamic = ctx.dynamic;
  const me = ctx.me;
  const partner = dynamic.members.find((m) => m.user_id !== me.id);
  const partnerName = partner ? partner.display_name : "Your partner";

  let view = await entity("limits", dynamic.id);
  // My answers as edited on this screen, not yet saved: item -> answer.
  let answers = new Map();
  let customs = [];
  let dirty = false;

  const error = alertBox();
  const status = h("p", { role: "status", class: "settings-status", id: "limits-status" });
  const matches = h("div", { id: "matches" });
  const groups = h("div", { id: "limit-groups" });
  const customList = h("div", { id: "custom-items" });
  const saveButton = h("button", { type: "submit", id: "save-limits" }, "Save my answers");

  const labelOf = (item) => {
    const known = view && view.catalogue.find((c) => c.key === item);
    return known ? known.label : item;
  };

  let seq = 0;
  function itemRow(item, label) {
    const id = `item-${++seq}`;
    const partnerAnswer = view && view.partner.find((p) => p.item === item);
    const clear = h("button", { type: "button", class: "set-link set-small", hidden: !answers.has(item), "aria-label": `Clear my answer to ${label}` }, "Clear");
    const radios = ANSWERS.map(([value, text]) => {
      const input = h("input", { type: "radio", name: id, value, checked: answers.get(item) === value, class: "lim-radio" });
      input.addEventListener("change", () => {
        answers.set(item, value);
        clear.hidden = false;
        markDirty();
      });
      return h("label", { class: `lim-answer lim-answer-${value}` }, input, h("span", {}, text));
    });
    clear.addEventListener("click", () => {
      answers.delete(item);
      for (const label of radios) label.querySelector("input").checked = false;
      clear.hidden = true;
      markDirty();
      radios[0].querySelector("input").focus();
    });
    const shared = partnerAnswer
      ? h("p", { class: `lim-partner lim-partner-${partnerAnswer.answer}` }, `${partnerName}: ${ANSWER_NAMES[partnerAnswer.answer]}`)
      : null;
    return h(
      "fieldset",
      { class: "limit-item", "data-item": item },
      h("legend", { id: `${id}-legend` }, label),
      shared,
      h("div", { class: "lim-answers" }, radios),
      clear,
    );
  }

  function markDirty() {
    dirty = true;
    for (const group of groups.querySelectorAll("details")) {
      const items = [...group.querySelectorAll("fieldset")];
      const count = group.querySelector(".lim-count");
      if (count) count.textContent = `${items.filter((f) => answers.has(f.dataset.item)).length} of ${items.length} answered`;
    }
    status.textContent = "Not saved yet.";
  }

  function drawMatches() {
    const list = view ? view.matches : [];
    matches.replaceChildren(
      list.length
        ? h("ul", { class: "lim-match-list" }, list.map((item) => h("li", {}, labelOf(item))))
        : h("p", { class: "muted" }, "No matches yet. A match appears when you both answer yes or maybe."),
    );
  }

  function drawForm() {
    answers = new Map((view ? view.mine : []).map((a) => [a.item, a.answer]));
    const keys = new Set(view ? view.catalogue.map((c) => c.key) : []);
    // Custom items: mine, and the partner's that I may see (their no / hard limit, or a match).
    customs = [
      ...new Set([
        ...(view ? view.mine : []).map((a) => a.item).filter((i) => !keys.has(i)),
        ...(view ? view.partner : []).map((a) => a.item).filter((i) => !keys.has(i)),
      ]),
    ];
    const byCategory = new Map();
    for (const c of view ? view.catalogue : []) {
      if (!byCategory.has(c.category)) byCategory.set(c.category, []);
      byCategory.get(c.category).push(c);
    }
    groups.replaceChildren(
      ...[...byCategory].map(([category, list]) => {
        const answered = list.filter((c) => answers.has(c.key)).length;
        return h(
          "details",
          { class: "limit-group", "data-category": category },
          h("summary", {}, h("span", {}, CATEGORIES[category] || category), h("span", { class: "muted lim-count" }, `${answered} of ${list.length} answered`)),
          list.map((c) => itemRow(c.key, c.label)),
        );
      }),
    );
    customList.replaceChildren(...customs.map((item) => itemRow(item, item)));
    dirty = false;
  }

  function draw() {
    drawMatches();
    if (!dirty) drawForm();
  }

  // ---- adding a custom item
  const newItem = h("input", { type: "text", id: "new-item", maxlength: 60, autocomplete: "off" });
  const addError = alertBox();
  const add = h("button", { type: "button", class: "secondary", id: "add-item" }, "Add");
  add.addEventListener("click", () => {
    addError.textContent = "";
    const key = itemKey(newItem.value);
    if (!key) return (addError.textContent = "Type the activity first.");
    if (key.length > 60) return (addError.textContent = "Keep it to 60 characters.");
    const known = view && view.catalogue.find((c) => c.key === key || c.label.toLowerCase() === key);
    if (known || customs.includes(key)) return (addError.textContent = "That item is already on the list.");
    customs.push(key);
    customList.append(itemRow(key, key));
    newItem.value = "";
    markDirty();
    customList.lastElementChild.querySelector("input").focus();
  });
  newItem.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      add.click();
    }
  });

  const form = h(
    "form",
    { id: "limits-form" },
    groups,
    h(
      "section",
      { class: "card", "aria-labelledby": "custom-title" },
      h("h2", { id: "custom-title" }, "Your own items"),
      customList,
      h("div", { class: "set-field" }, h("label", { for: "new-item" }, "Add an activity"), h("div", { class: "lim-inline" }, newItem, add)),
      addError,
      h("p", { class: "set-hint" }, "An item you add is saved only once you answer it."),
    ),
    error,
    status,
    h("div", { class: "limits-save" }, saveButton),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    saveButton.disabled = true;
    status.textContent = "Saving…";
    try {
      const body = { items: [...answers].map(([item, answer]) => ({ item, answer })) };
      const { data } = await write({
        method: "PUT",
        path: `/api/dynamics/${dynamic.id}/limits/mine`,
        body,
        label: "Limits",
        kind: "limits",
        dynamic_id: dynamic.id,
        offline: false,
      });
      view = data;
      dirty = false;
      const open = [...groups.querySelectorAll("details[open]")].map((d) => d.dataset.category);
      draw();
      for (const d of groups.querySelectorAll("details")) d.open = open.includes(d.dataset.category);
      status.textContent = "Saved.";
    } catch (failure) {
      status.textContent = "";
      error.textContent = failure instanceof OfflineError ? "You are offline. Your answers are still here; save them once you are back online." : describe(failure);
    } finally {
      saveButton.disabled = false;
    }
  });

  root.append(
    h(
      "div",
      { class: "limits-screen" },
      h("h1", {}, "Limits and desires"),
      h(
        "p",
        { class: "lim-privacy" },
        `${partnerName} always sees your no and hard limits; your yes and maybe stay private unless ${partnerName} also said yes or maybe, and the same goes for theirs.`,
      ),
      h("section", { class: "card lim-matches", "aria-labelledby": "matches-title" }, h("h2", { id: "matches-title" }, "Matches"), matches),
      h("h2", {}, "My answers"),
      form,
    ),
  );

  if (view) draw();
  else groups.replaceChildren(h("p", { class: "muted" }, "Loading the checklist…"));

  // The server's view, in case the local copy is missing or behind.
  try {
    view = await api("GET", `/api/dynamics/${dynamic.id}/limits`);
    draw();
  } catch (failure) {
    if (!view) {
      groups.replaceChildren();
      error.textContent =
        failure instanceof OfflineError ? "You are offline and this phone has no copy of the checklist yet." : describe(failure);
    }
  }

  return subscribe(async (message) => {
    if (message.type !== "sync" || !(message.entities || []).includes("limits")) return;
    const fresh = await entity("limits", dynamic.id);
    if (!fresh) return;
    view = fresh;
    const open = [...groups.querySelectorAll("details[open]")].map((d) => d.dataset.category);
    draw();
    for (const d of groups.querySelectorAll("details")) d.open = open.includes(d.dataset.category);
  });
}
