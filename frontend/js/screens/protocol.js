// One protocol: the terms in force, any version waiting for agreement (reviewed field by field
// against the terms in force), the answers the consent rules allow me (docs/consent.md),
// follow-through (completions and acknowledgements, adherence without streaks) and the history.
// Each part is a section module under screens/protocol/; this one keeps them in step.
import { api, OfflineError } from "../api.js";
import { alertBox, h, keepSame } from "../dom.js";
import { protocolRefusal } from "../errors.js";
import { partnerOf, statusLine } from "../protocol-terms.js";
import { openHistory, openProtocol } from "../protocol-words.js";
import { entity, live, subscribe, trySync } from "../store.js";
import { actions } from "./protocol/actions.js";
import { declinedNote } from "./protocol/declined.js";
import { followThroughSection } from "./protocol/follow-through.js";
import { historyNodes } from "./protocol/history.js";
import { manageSection } from "./protocol/manage.js";
import { reviewSection } from "./protocol/review.js";
import { termsSection } from "./protocol/terms.js";

function frame(root) {
  const parts = {
    heading: h("h1", { id: "protocol-title" }, "Protocol"),
    status: h("p", { class: "proto-status", id: "protocol-status" }),
    error: Object.assign(alertBox(), { id: "protocol-error" }),
    notice: h("p", { role: "status", class: "proto-notice", id: "protocol-notice" }),
    body: h("div", { class: "proto-screen", id: "protocol" }),
    historyBox: h(
      "section",
      { id: "history", "aria-labelledby": "history-title", class: "proto-history" },
      h("h2", { id: "history-title" }, "History"),
      h("p", { class: "muted" }, "Loading…"),
    ),
  };
  const { heading, status, error, notice, body, historyBox } = parts;
  root.append(h("a", { href: "#/protocols", class: "proto-back" }, "All protocols"), heading, status, error, notice, body, historyBox);
  return parts;
}

// Notes on the dynamic's state: everything on hold under a red, read-only once it ended.
function stateNotes(dynamic) {
  const notes = [];
  if (dynamic.state === "paused") {
    const text =
      "A red stands: everything is on hold. Nothing can be agreed or recorded until it is lifted; talking, declining and stopping still work.";
    notes.push(h("p", { class: "card state-paused proto-paused", id: "paused-note" }, text));
  }
  if (dynamic.state === "ended") {
    notes.push(h("p", { class: "card", id: "ended-note" }, "This dynamic has ended: this is kept to read, and nothing can change."));
  }
  return notes;
}

// The sections for protocol `p` as things stand.
async function sections(p, dynamic, screen) {
  const { me, history } = screen;
  const partner = partnerOf(dynamic, me);
  const them = partner ? partner.display_name : "your partner";
  const ended = dynamic.state === "ended";
  const closed = p.status === "declined" || p.status === "retired";
  const inForce = p.status === "active" ? p.in_force : null;
  const state = { p, inForce, dynamic, me, them, ended, history, frozen: ended || dynamic.state === "paused" };
  // A decline of what I proposed, with its reason, on top (not only at the end of history).
  const parts = [declinedNote(p, history, them, me, screen.ctx.go), ...stateNotes(dynamic)];
  if (p.pending && !closed) parts.push(reviewSection(state, screen));
  parts.push(termsSection(p, inForce, dynamic, me));
  if (p.status === "active" || inForce || p.adherence) parts.push(await followThroughSection(state, screen));
  if (!closed && !ended) parts.push(manageSection(p, inForce ? inForce.title : p.title, them, screen));
  return parts.filter(Boolean);
}

// Puts the new sections in place. A section that reads as before stays (a button replaced
// under a finger takes no tap: docs/frontend.md); a redraw because the feed caught up keeps
// what the person was typing, and where; after an action, notes and reasons start empty.
function replace(body, parts, clearInputs) {
  const next = h("div", {}, ...parts);
  if (!clearInputs && next.innerHTML === body.innerHTML) return;
  const kept = clearInputs ? [] : [...body.querySelectorAll("input[id]")].map((el) => [el.id, el.value]);
  const focused = body.contains(document.activeElement) && document.activeElement.id;
  if (clearInputs) body.replaceChildren(...next.childNodes);
  else keepSame(body, [...next.children]);
  for (const [key, value] of kept) {
    const el = value && body.querySelector(`#${CSS.escape(key)}`);
    if (el) el.value = value;
  }
  const refocus = focused && body.querySelector(`#${CSS.escape(focused)}`);
  if (refocus && !refocus.disabled) refocus.focus({ preventScroll: true });
}

async function draw(screen) {
  if (screen.stopped) return;
  const { heading, status, body, me } = screen;
  const dynamic = (await entity("dynamic", screen.dynamicId)) || screen.ctx.dynamic;
  const p = await screen.current();
  if (screen.stopped) return;
  if (!p) {
    heading.textContent = "Protocol not found";
    status.textContent = "It is not in this dynamic, or this phone has not seen it yet.";
    body.replaceChildren();
    return;
  }
  heading.textContent = p.status === "active" && p.in_force ? p.in_force.title : p.title;
  status.textContent = statusLine(p, dynamic, me);
  status.className = `proto-status proto-status-${p.status}`;
  const parts = await sections(p, dynamic, screen);
  if (screen.stopped) return;
  const clear = screen.clearInputs;
  screen.clearInputs = false;
  replace(body, parts, clear);
}

// The protocol as the feed has it, or as the last write answered it until the feed catches up;
// fetched when this phone has not seen it yet.
function source(screen) {
  let fresh = null;
  screen.adopt = (protocol) => {
    fresh = protocol;
  };
  screen.current = async () => {
    const p = await entity("protocol", screen.id);
    // Its words opened here: the sections show and compare text (docs/e2ee.md).
    return openProtocol(fresh && (!p || p.updated_at < fresh.updated_at) ? fresh : p);
  };
  screen.fetchMissing = async () => {
    await trySync();
    if (await entity("protocol", screen.id)) return;
    try {
      fresh = await api("GET", `/api/protocols/${encodeURIComponent(screen.id)}`);
    } catch (failure) {
      // Offline, or no such protocol (404, or an address that is not a protocol's, 422): the
      // screen says "not found"; anything else is told.
      if (!(failure instanceof OfflineError) && failure.status !== 404 && failure.status !== 422) {
        screen.error.textContent = protocolRefusal(failure);
      }
    }
  };
}

function followHistory(screen) {
  const path = `/api/protocols/${encodeURIComponent(screen.id)}/history`;
  const shown = async (data, meta = {}) => {
    if (screen.stopped) return;
    data = await openHistory(screen.dynamicId, data);
    if (screen.stopped) return;
    if (data) screen.history = data;
    const dynamic = (await entity("dynamic", screen.dynamicId)) || screen.ctx.dynamic;
    if (screen.stopped) return;
    const next = h("div", {}, ...historyNodes(data, dynamic, screen.me, meta).filter(Boolean));
    if (next.innerHTML !== screen.historyBox.innerHTML) screen.historyBox.replaceChildren(...next.childNodes);
    // The review of a restarted or re-proposed version uses the history's difference.
    if (data) draw(screen);
  };
  return live(path, shown, (failure) => {
    // No such protocol (404, or an address that is not a protocol's, 422): nothing to show.
    const text = failure.status === 404 || failure.status === 422 ? "No history to show." : protocolRefusal(failure);
    screen.historyBox.replaceChildren(h("h2", { id: "history-title" }, "History"), h("p", { class: "muted" }, text));
  });
}

export async function render(root, ctx) {
  const id = ctx.params[0];
  const screen = { ...frame(root), id, ctx, me: ctx.me, dynamicId: ctx.dynamic.id, history: null, stopped: false, clearInputs: false };
  if (!id) {
    screen.heading.textContent = "Protocol not found";
    return;
  }
  source(screen);
  screen.draw = () => draw(screen);
  Object.assign(screen, actions(screen));
  if (!(await entity("protocol", id))) await screen.fetchMissing();
  await draw(screen);
  const stopHistory = followHistory(screen);
  const unsubscribe = subscribe((m) => {
    if (m.type === "sync" || m.type === "outbox") draw(screen);
  });
  trySync();
  return () => {
    screen.stopped = true;
    unsubscribe();
    stopHistory();
  };
}
