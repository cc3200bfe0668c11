// Limits and desires: the partner's hard limits and no's on top, then what both of you said
// yes or maybe to (matches, things to talk about, what was withdrawn), then my answers to the
// checklist and my own items. Drawn from the local copy (the sync feed keeps
// `limits:<dynamic id>` current), refreshed from the server. Sections live in ./limits/.
//
// Saving replaces the whole answer set (PUT), so it is never queued for later: an old queued
// set would overwrite newer answers made elsewhere. Leaving with unsaved answers asks first.
import { api, OfflineError } from "../api.js";
import { alertBox, h } from "../dom.js";
import { describe } from "../errors.js";
import { write } from "../outbox.js";
import { entity, subscribe } from "../store.js";
import { itemRow } from "./limits/item.js";
import { keepDraft } from "./limits/proposal.js";
import { safety } from "./limits/safety.js";
import { conditionsOf, together } from "./limits/together.js";
import { CATEGORIES, itemKey, labeller, sideText } from "./limits/words.js";

const UNSAVED = "You have answers you haven't saved yet. Leave without saving them?";

export async function render(root, ctx) {
  const dynamic = ctx.dynamic;
  const me = ctx.me;
  const partner = dynamic.members.find((m) => m.user_id !== me.id);
  const partnerName = partner ? partner.display_name : "Your partner";

  let view = await entity("limits", dynamic.id);
  let customs = [];
  let dirty = false;
  // My answers as edited on this screen: item -> Map(role ("" for either way) -> {answer, condition}).
  const state = { answers: new Map(), view, partnerName, me, changed: markDirty };
  let labelOf = labeller(view);

  const error = alertBox();
  const status = h("p", { role: "status", class: "settings-status", id: "limits-status" });
  const top = h("div", { id: "limits-top" });
  const groups = h("div", { id: "limit-groups" });
  const customList = h("div", { id: "custom-items" });
  const saveButton = h("button", { type: "submit", id: "save-limits" }, "Save my answers");

  function markDirty() {
    dirty = true;
    for (const group of groups.querySelectorAll("details")) {
      const items = [...group.querySelectorAll(":scope > fieldset")];
      const count = group.querySelector(".lim-count");
      if (count) count.textContent = `${items.filter((f) => state.answers.has(f.dataset.item)).length} of ${items.length} answered`;
    }
    status.textContent = "Not saved yet.";
  }

  function propose(fact) {
    // Asked here rather than by the router, so that a draft is kept only when we do leave.
    if (dirty && !window.confirm(UNSAVED)) return;
    dirty = false;
    const label = labelOf(fact.item);
    const side = sideText(fact.role, partnerName);
    const opening =
      fact.kind === "match" ? `From our limits: we both said yes to ${label}.` : `From our limits: ${label} is something we want to talk about.`;
    keepDraft({ title: label, description: [opening, side ? `${side}.` : "", ...conditionsOf({ view, partnerName }, fact)].filter(Boolean).join("\n") });
    ctx.go("propose");
  }

  function drawTop() {
    top.replaceChildren(safety(view, partnerName, labelOf), together({ view, me, partnerName, labelOf, propose }));
  }

  function drawForm() {
    state.answers = new Map();
    for (const a of view ? view.mine : []) {
      if (!state.answers.has(a.item)) state.answers.set(a.item, new Map());
      state.answers.get(a.item).set(a.role || "", { answer: a.answer, condition: a.condition });
    }
    const keys = new Set(view ? view.catalogue.map((c) => c.key) : []);
    // Custom items: mine, and the partner's that I may see (their no / hard limit, or a reveal).
    customs = [...new Set([...(view ? view.mine : []), ...(view ? view.partner : [])].map((a) => a.item).filter((i) => !keys.has(i)))];
    const byCategory = new Map();
    for (const c of view ? view.catalogue : []) {
      if (!byCategory.has(c.category)) byCategory.set(c.category, []);
      byCategory.get(c.category).push(c);
    }
    groups.replaceChildren(
      ...[...byCategory].map(([category, list]) => {
        const answered = list.filter((c) => state.answers.has(c.key)).length;
        return h(
          "details",
          { class: "limit-group", "data-category": category },
          h("summary", {}, h("span", {}, CATEGORIES[category] || category), h("span", { class: "muted lim-count" }, `${answered} of ${list.length} answered`)),
          list.map((c) => itemRow(c.key, c.label, c.directed, state)),
        );
      }),
    );
    customList.replaceChildren(...customs.map((item) => itemRow(item, item, true, state)));
    dirty = false;
  }

  // Draws the view; a copy equal to the one on screen changes nothing (so a refresh that
  // brings nothing new never moves what is under a finger, nor the keyboard focus).
  let drawn = "";
  function show(fresh) {
    const text = JSON.stringify(fresh);
    view = fresh;
    if (text === drawn) return;
    drawn = text;
    draw();
  }

  function draw() {
    state.view = view;
    labelOf = labeller(view);
    drawTop();
    if (dirty) return;
    const open = [...groups.querySelectorAll("details[open]")].map((d) => d.dataset.category);
    drawForm();
    for (const d of groups.querySelectorAll("details")) d.open = open.includes(d.dataset.category);
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
    customList.append(itemRow(key, key, true, state));
    newItem.value = "";
    markDirty();
    customList.lastElementChild.querySelector(".lim-radio").focus();
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
    h("p", { class: "set-hint" }, `When you save, ${partnerName} sees how many answers changed, never which ones.`),
    status,
    h("div", { class: "limits-save" }, saveButton),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    saveButton.disabled = true;
    status.textContent = "Saving…";
    try {
      const items = [];
      for (const [item, byRole] of state.answers) {
        for (const [role, { answer, condition }] of byRole) {
          items.push({ item, answer, role: role || null, condition: answer === "maybe" ? condition || null : null });
        }
      }
      const { data } = await write({
        method: "PUT",
        path: `/api/dynamics/${dynamic.id}/limits/mine`,
        body: { items },
        label: "Limits",
        kind: "limits",
        dynamic_id: dynamic.id,
        offline: false,
      });
      dirty = false;
      drawn = "";
      show(data);
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
        `${partnerName} always sees your no's and hard limits. Your yes and maybe stay private unless ${partnerName} also said yes or maybe; then you both see it, and that it was shown stays on record, even if an answer changes later.`,
      ),
      top,
      h("h2", {}, "My answers"),
      h(
        "p",
        { class: "set-hint" },
        "Some items can be answered for giving and receiving apart: giving is the one who does it (spanks, gives orders, sets lines), receiving the one it is done to or for.",
      ),
      form,
    ),
  );

  if (view) show(view);
  else groups.replaceChildren(h("p", { class: "muted" }, "Loading the checklist…"));

  // The server's view, in case the local copy is missing or behind.
  try {
    show(await api("GET", `/api/dynamics/${dynamic.id}/limits`));
  } catch (failure) {
    if (!view) {
      groups.replaceChildren();
      error.textContent = failure instanceof OfflineError ? "You are offline and this phone has no copy of the checklist yet." : describe(failure);
    }
  }

  // No lost answers: leaving by the app's own links, or closing the page, asks first.
  const beforeUnload = (event) => {
    if (!dirty) return;
    event.preventDefault();
    event.returnValue = UNSAVED;
  };
  window.addEventListener("beforeunload", beforeUnload);
  if (ctx.guardLeaving) ctx.guardLeaving(() => !dirty || window.confirm(UNSAVED));

  const unsubscribe = subscribe(async (message) => {
    if (message.type !== "sync" || !(message.entities || []).includes("limits")) return;
    const fresh = await entity("limits", dynamic.id);
    if (!fresh) return;
    show(fresh);
  });
  return () => {
    unsubscribe();
    window.removeEventListener("beforeunload", beforeUnload);
  };
}
