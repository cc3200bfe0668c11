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
import { keepDraft } from "../proposal-draft.js";
import { entity, subscribe } from "../store.js";
import { LOCKED_HINT, privacy } from "../words.js";
import { answerItems, answersOf, customsOf } from "./limits/answers.js";
import { customSection } from "./limits/custom.js";
import { itemRow } from "./limits/item.js";
import { safety } from "./limits/safety.js";
import { conditionsOf, together } from "./limits/together.js";
import { CATEGORIES, holdsSealed, labeller, sideText } from "./limits/words.js";

const UNSAVED = "You have answers you haven't saved yet. Leave without saving them?";

// `screen` holds the view drawn (`view`, and its text in `drawn`), my answers as edited
// (`state.answers`, shared with the item rows), the custom items, whether anything is unsaved
// (`dirty`), and the elements.
function markDirty(screen) {
  screen.dirty = true;
  for (const group of screen.groups.querySelectorAll("details")) {
    const items = [...group.querySelectorAll(":scope > fieldset")];
    const count = group.querySelector(".lim-count");
    if (count) count.textContent = `${items.filter((f) => screen.state.answers.has(f.dataset.item)).length} of ${items.length} answered`;
  }
  screen.status.textContent = "Not saved yet.";
}

function propose(screen, fact) {
  const { view, partnerName } = screen;
  // Asked here rather than by the router, so that a draft is kept only when we do leave.
  if (screen.dirty && !window.confirm(UNSAVED)) return;
  screen.dirty = false;
  const label = screen.labelOf(fact.item);
  const side = sideText(fact.role, partnerName);
  const opening =
    fact.kind === "match"
      ? `From our limits: we both said yes to ${label}.`
      : `From our limits: ${label} is something we want to talk about.`;
  const description = [opening, side ? `${side}.` : "", ...conditionsOf({ view, partnerName }, fact)].filter(Boolean).join("\n");
  keepDraft({ title: label, description });
  screen.ctx.go("propose");
}

// The checklist by category, each folded away with how many of its items I answered.
function drawForm(screen) {
  const { view, state } = screen;
  state.answers = answersOf(view ? view.mine : []);
  screen.customs = customsOf(view);
  const byCategory = new Map();
  for (const c of view ? view.catalogue : []) {
    if (!byCategory.has(c.category)) byCategory.set(c.category, []);
    byCategory.get(c.category).push(c);
  }
  const group = ([category, list]) => {
    const answered = list.filter((c) => state.answers.has(c.key)).length;
    const summary = h(
      "summary",
      {},
      h("span", {}, CATEGORIES[category] || category),
      h("span", { class: "muted lim-count" }, `${answered} of ${list.length} answered`),
    );
    return h(
      "details",
      { class: "limit-group", "data-category": category },
      summary,
      list.map((c) => itemRow(c.key, c.label, c.directed, state)),
    );
  };
  screen.groups.replaceChildren(...[...byCategory].map(group));
  screen.customList.replaceChildren(...screen.customs.map((item) => itemRow(item, screen.labelOf(item), true, state)));
  screen.dirty = false;
}

// Draws the server's view (opened here where its words are private; limits-words.js); a copy
// equal to the one on screen changes nothing (so a refresh that brings nothing new never moves
// what is under a finger, nor the keyboard focus).
async function show(screen, server) {
  const text = JSON.stringify(server);
  if (text === screen.drawn) return;
  const fresh = holdsSealed(server)
    ? await (await import("../limits-words.js")).openLimits(screen.dynamic.id, server, screen.me.id, screen.partnerId)
    : server;
  screen.server = server;
  screen.view = fresh;
  screen.drawn = text;
  // Locked here: shown as far as it can be, and not saved (it would lose what it cannot read).
  screen.locked.hidden = !(fresh?.locked || fresh?.unreadable);
  const { view, partnerName, groups } = screen;
  screen.state.view = view;
  screen.labelOf = labeller(view);
  const labelOf = screen.labelOf;
  screen.top.replaceChildren(
    safety(view, partnerName, labelOf),
    together({ view, me: screen.me, partnerName, labelOf, propose: (fact) => propose(screen, fact) }),
  );
  if (screen.dirty) return;
  const open = [...groups.querySelectorAll("details[open]")].map((d) => d.dataset.category);
  drawForm(screen);
  for (const d of groups.querySelectorAll("details")) d.open = open.includes(d.dataset.category);
}

async function save(screen, event) {
  event.preventDefault();
  const { dynamic, error, status, saveButton } = screen;
  error.textContent = "";
  saveButton.disabled = true;
  status.textContent = "Saving…";
  try {
    const items = answerItems(screen.state.answers);
    // Private limits are sealed here first (js/limits-words.js, loaded on first use).
    const body =
      (await privacy(screen.dynamic.id)) === "clear"
        ? { items }
        : await (await import("../limits-words.js")).sealedAnswers(screen.dynamic.id, screen.me.id, items, screen.server, screen.view);
    if (!body) {
      status.textContent = "";
      error.textContent = `Your own items and conditions are private words, locked on this phone. ${LOCKED_HINT}`;
      return;
    }
    const path = `/api/dynamics/${dynamic.id}/limits/mine`;
    const { data } = await write({ method: "PUT", path, body, label: "Limits", kind: "limits", dynamic_id: dynamic.id, offline: false });
    screen.dirty = false;
    screen.drawn = "";
    await show(screen, data);
    status.textContent = "Saved.";
  } catch (failure) {
    status.textContent = "";
    error.textContent =
      failure instanceof OfflineError
        ? "You are offline. Your answers are still here; save them once you are back online."
        : describe(failure);
  } finally {
    saveButton.disabled = false;
  }
}

function limitsForm(screen) {
  const custom = customSection(screen.customList, {
    isListed: (key) =>
      Boolean(screen.view?.catalogue.find((c) => c.key === key || c.label.toLowerCase() === key)) || screen.customs.includes(key),
    onAdd: (key) => {
      screen.customs.push(key);
      screen.customList.append(itemRow(key, key, true, screen.state));
      markDirty(screen);
    },
  });
  const form = h(
    "form",
    { id: "limits-form" },
    screen.groups,
    custom,
    screen.error,
    h("p", { class: "set-hint" }, `When you save, ${screen.partnerName} sees how many answers changed, never which ones.`),
    screen.status,
    h("div", { class: "limits-save" }, screen.saveButton),
  );
  form.addEventListener("submit", (event) => save(screen, event));
  return form;
}

function page(screen, form) {
  const { partnerName } = screen;
  return h(
    "div",
    { class: "limits-screen" },
    h("h1", {}, "Limits and desires"),
    h(
      "p",
      { class: "lim-privacy" },
      `${partnerName} always sees your no's and hard limits. Your yes and maybe stay private unless ${partnerName} also said yes or maybe; then you both see it, and that it was shown stays on record, even if an answer changes later.`,
    ),
    screen.top,
    screen.locked,
    h("h2", {}, "My answers"),
    h(
      "p",
      { class: "set-hint" },
      "Some items can be answered for giving and receiving apart: giving is the one who does it (spanks, gives orders, sets lines), receiving the one it is done to or for.",
    ),
    form,
  );
}

// The server's view, in case the local copy is missing or behind.
async function load(screen) {
  try {
    await show(screen, await api("GET", `/api/dynamics/${screen.dynamic.id}/limits`));
  } catch (failure) {
    if (screen.view) return; // the local copy stays on screen; the next sync brings the rest
    screen.groups.replaceChildren();
    screen.error.textContent =
      failure instanceof OfflineError ? "You are offline and this phone has no copy of the checklist yet." : describe(failure);
  }
}

export async function render(root, ctx) {
  const dynamic = ctx.dynamic;
  const partner = dynamic.members.find((m) => m.user_id !== ctx.me.id);
  const partnerName = partner ? partner.display_name : "Your partner";
  const stored = await entity("limits", dynamic.id);
  const screen = {
    ctx,
    dynamic,
    me: ctx.me,
    partnerName,
    partnerId: partner?.user_id,
    view: null,
    server: null,
    drawn: "",
    customs: [],
    dirty: false,
    labelOf: labeller(null),
    locked: h(
      "p",
      { class: "card", id: "limits-locked", hidden: true },
      `🔒 Your own items and conditions with ${partnerName} are private words, locked on this phone. Open them in More → Private words to read and change them here.`,
    ),
    error: alertBox(),
    status: h("p", { role: "status", class: "settings-status", id: "limits-status" }),
    top: h("div", { id: "limits-top" }),
    groups: h("div", { id: "limit-groups" }),
    customList: h("div", { id: "custom-items" }),
    saveButton: h("button", { type: "submit", id: "save-limits" }, "Save my answers"),
  };
  screen.state = { answers: new Map(), view: null, partnerName, me: ctx.me, changed: () => markDirty(screen) };
  root.append(page(screen, limitsForm(screen)));

  if (stored) await show(screen, stored);
  else screen.groups.replaceChildren(h("p", { class: "muted" }, "Loading the checklist…"));
  await load(screen);

  // No lost answers: leaving by the app's own links, or closing the page, asks first.
  const beforeUnload = (event) => {
    if (!screen.dirty) return;
    event.preventDefault();
    event.returnValue = UNSAVED;
  };
  window.addEventListener("beforeunload", beforeUnload);
  if (ctx.guardLeaving) ctx.guardLeaving(() => !screen.dirty || window.confirm(UNSAVED));

  const unsubscribe = subscribe(async (message) => {
    if (message.type !== "sync" || !(message.entities || []).includes("limits")) return;
    const fresh = await entity("limits", dynamic.id);
    if (fresh) await show(screen, fresh);
  });
  return () => {
    unsubscribe();
    window.removeEventListener("beforeunload", beforeUnload);
  };
}
