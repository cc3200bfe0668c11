// Check-ins (#/checkins): the partner's open needs first, with "Seen", "On it" and "Done";
// then both members' recent check-ins from the local copy, with the answers each received;
// my own check-ins still waiting in the outbox are shown as "waiting to be sent".
import { ApiError } from "../api.js";
import { alertBox, h } from "../dom.js";
import { items, write } from "../outbox.js";
import { entities, subscribe, trySync } from "../store.js";
import { face, moodText, needLabel } from "./checkin.js";
import { closeButtons, endedText, isOpen } from "./checkins/needs.js";

const ANSWERS = [
  ["seen", "Seen"],
  ["on_it", "On it"],
  ["done", "Done"],
];
const ANSWER_TEXT = { seen: "Seen", on_it: "On it", done: "Done" };
const RECENT = 30;
const DEAL_AMOUNT = { 1: "a little", 2: "quite a bit", 3: "by far" };

function when(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString([], { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

function needChips(needs) {
  if (!needs || !needs.length) return null;
  return h(
    "ul",
    { class: "chips need-list", "aria-label": "Needs" },
    needs.map((need) => h("li", { class: "chip static" }, needLabel(need))),
  );
}

export async function render(root, ctx) {
  const dynamic = ctx.dynamic;
  const me = ctx.me;
  const nameOf = (id) => {
    const member = dynamic.members.find((m) => m.user_id === id);
    return member ? member.display_name : "Former member";
  };
  const partner = dynamic.members.find((m) => m.user_id !== me.id);
  const partnerName = partner ? partner.display_name : "your partner";
  const ended = dynamic.state === "ended";

  const error = alertBox();
  const status = h("p", { role: "status", class: "status", id: "checkins-status" });
  const body = h("div", { id: "checkins" });
  root.append(
    h("h1", {}, "Check-ins"),
    h("p", { class: "actions top" }, ended ? null : h("a", { href: "#/checkin", class: "button secondary" }, "Check in now")),
    error,
    status,
    body,
  );

  // Notes typed for an answer survive a redraw by the sync feed.
  const drafts = new Map();

  // Who gets the better deal, by name and how much, as its author answered. No signed number:
  // −1 from one partner and +1 from the other mean the same thing, and read the same here.
  function dealText(checkin) {
    if (checkin.deal === null || checkin.deal === undefined) return null;
    const author = checkin.user_id === me.id ? "you" : nameOf(checkin.user_id);
    const other = dynamic.members.find((m) => m.user_id !== checkin.user_id);
    const otherName = other ? other.display_name : "the partner";
    const d = checkin.deal;
    if (d === 0) return `Better deal: even, as ${author} sees it`;
    const who = d > 0 ? nameOf(checkin.user_id) : otherName;
    return `Better deal: ${who}, ${DEAL_AMOUNT[Math.abs(d)]}, as ${author} sees it`;
  }

  function details(checkin) {
    const parts = [];
    if (checkin.energy) parts.push(`Energy ${checkin.energy}`);
    if (checkin.gave) parts.push(`Gave ${checkin.gave}`);
    if (checkin.received) parts.push(`Received ${checkin.received}`);
    const deal = dealText(checkin);
    if (deal) parts.push(deal);
    return parts.length ? h("p", { class: "muted small" }, parts.join(" · ")) : null;
  }

  function responseList(list) {
    if (!list.length) return null;
    return h(
      "ul",
      { class: "responses", "aria-label": "Answers" },
      list.map((r) =>
        h(
          "li",
          {},
          h("strong", {}, `${nameOf(r.user_id)}: ${ANSWER_TEXT[r.kind] || r.kind}`),
          r.note ? ` — ${r.note}` : "",
          h("span", { class: "muted small" }, ` (${when(r.created_at)})`),
        ),
      ),
    );
  }

  async function answer(checkin, kind, noteInput, buttons) {
    error.textContent = "";
    status.textContent = "";
    for (const b of buttons) b.disabled = true;
    const note = noteInput.value.trim();
    try {
      const result = await write({
        method: "POST",
        path: `/api/checkins/${checkin.id}/responses`,
        body: note ? { kind, note } : { kind },
        label: "Answer to a need",
        kind: "response",
        dynamic_id: dynamic.id,
        offline: true,
      });
      drafts.delete(checkin.id);
      noteInput.value = "";
      status.textContent = result.queued
        ? "Saved on this phone; it will be sent when you're back online."
        : `Sent to ${partnerName}: ${ANSWER_TEXT[kind]}.`;
    } catch (failure) {
      if (failure instanceof ApiError && failure.code === "dynamic_ended") error.textContent = "This dynamic has ended, so needs can no longer be answered.";
      else error.textContent = `Not sent: ${failure.message}`;
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  }

  function openNeedCard(checkin, responses, waiting) {
    const noteId = `answer-note-${checkin.id}`;
    const noteInput = h("input", { type: "text", id: noteId, maxlength: "1000", autocomplete: "off" });
    noteInput.value = drafts.get(checkin.id) || "";
    noteInput.addEventListener("input", () => drafts.set(checkin.id, noteInput.value));
    const buttons = ANSWERS.map(([kind, label]) =>
      h("button", { type: "button", class: kind === "done" ? "" : "secondary", "data-kind": kind }, label),
    );
    buttons.forEach((button, i) => button.addEventListener("click", () => answer(checkin, ANSWERS[i][0], noteInput, buttons)));
    const heading = `${nameOf(checkin.user_id)}, ${when(checkin.occurred_at)}`;
    return h(
      "li",
      { class: "card need-card", "data-checkin": checkin.id },
      h("h3", {}, heading),
      h("p", { class: "mood-line" }, face(checkin.mood), `Mood ${moodText(checkin.mood)}`),
      needChips(checkin.needs),
      checkin.note ? h("p", { class: "note" }, checkin.note) : null,
      checkin.response_kind ? h("p", { class: "answer-state" }, `Your answer so far: ${ANSWER_TEXT[checkin.response_kind]}`) : null,
      waiting.length ? h("p", { class: "waiting" }, `Your answer is waiting to be sent (${waiting.length}).`) : null,
      responseList(responses),
      ended
        ? null
        : h(
            "div",
            { class: "answer" },
            h("label", { for: noteId }, "A note back (optional)"),
            noteInput,
            h("div", { class: "answer-buttons", role: "group", "aria-label": `Answer ${nameOf(checkin.user_id)}` }, buttons),
          ),
    );
  }

  function checkinCard(checkin, responses) {
    const mine = checkin.user_id === me.id;
    let state = null;
    const ended = endedText(checkin, { mine, partnerName });
    if (ended) state = h("p", { class: "answer-state muted" }, ended);
    else if (checkin.needs && checkin.needs.length) {
      const answerer = mine ? partnerName : "You";
      state = checkin.response_kind
        ? h("p", { class: `answer-state kind-${checkin.response_kind}` }, `${answerer}: ${ANSWER_TEXT[checkin.response_kind]}`)
        : h("p", { class: "answer-state muted" }, mine ? `Not answered by ${partnerName} yet` : "Not answered yet");
    }
    const closing =
      mine && !ended && isOpen(checkin) && dynamic.state !== "ended"
        ? closeButtons(checkin, {
            dynamicId: dynamic.id,
            onStatus: (text) => {
              status.textContent = text;
            },
            onError: (text) => {
              error.textContent = text;
            },
          })
        : null;
    return h(
      "li",
      { class: mine ? "card checkin-card mine" : "card checkin-card", "data-checkin": checkin.id },
      h("h3", {}, `${nameOf(checkin.user_id)}, ${when(checkin.occurred_at)}`),
      h("p", { class: "mood-line" }, face(checkin.mood), `Mood ${moodText(checkin.mood)}`),
      details(checkin),
      needChips(checkin.needs),
      checkin.note ? h("p", { class: "note" }, checkin.note) : null,
      state,
      closing,
      responseList(responses),
    );
  }

  function waitingCard(item) {
    const b = item.body || {};
    const failed = item.state === "failed";
    return h(
      "li",
      { class: failed ? "card checkin-card waiting failed" : "card checkin-card waiting" },
      h("h3", {}, `${nameOf(me.id)}, ${when(b.occurred_at || item.created_at)}`),
      h(
        "p",
        { class: "badge" },
        failed ? `Could not be sent: ${(item.error && item.error.detail) || "refused"}` : "Waiting to be sent",
      ),
      b.mood ? h("p", { class: "mood-line" }, face(b.mood), `Mood ${moodText(b.mood)}`) : null,
      needChips(b.needs),
      b.note ? h("p", { class: "note" }, b.note) : null,
      failed ? h("p", {}, h("a", { href: "#/outbox" }, "Review it")) : null,
    );
  }

  const asked = ctx.params[0] || null;
  let shown = false;
  let drawing = 0;
  async function draw() {
    const ticket = ++drawing;
    let checkins;
    let responses;
    let queued;
    try {
      [checkins, responses, queued] = await Promise.all([
        entities("checkin", dynamic.id),
        // Responses are filed by their check-in: their feed data carries checkin_id but (as of
        // now) no dynamic_id, so they are matched to this dynamic's check-ins below.
        entities("checkin_response"),
        items(),
      ]);
    } catch (failure) {
      error.textContent = `Could not read this phone's copy: ${failure.message}`;
      return;
    }
    if (ticket !== drawing) return;
    checkins.sort((a, b) => (a.occurred_at < b.occurred_at ? 1 : a.occurred_at > b.occurred_at ? -1 : 0));
    const byCheckin = new Map();
    const ours = new Set(checkins.map((c) => c.id));
    for (const r of responses) {
      if (!ours.has(r.checkin_id)) continue;
      if (!byCheckin.has(r.checkin_id)) byCheckin.set(r.checkin_id, []);
      byCheckin.get(r.checkin_id).push(r);
    }
    for (const list of byCheckin.values()) list.sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
    const mineWaiting = queued.filter((i) => i.kind === "checkin" && i.dynamic_id === dynamic.id);
    const answersWaiting = queued.filter((i) => i.kind === "response" && i.state === "pending");
    const waitingFor = (id) => answersWaiting.filter((i) => i.path === `/api/checkins/${id}/responses`);

    const open = checkins.filter((c) => c.user_id !== me.id && isOpen(c));
    const openIds = new Set(open.map((c) => c.id));
    const recent = checkins.filter((c) => !openIds.has(c.id)).slice(0, RECENT);

    // Keep the focus where it was across a redraw (a typed note, a button).
    const focused = document.activeElement && body.contains(document.activeElement) ? document.activeElement.id : null;

    const sections = [];
    sections.push(
      h(
        "section",
        { id: "open-needs", "aria-labelledby": "open-needs-title" },
        h("h2", { id: "open-needs-title" }, `${partnerName}'s open needs`),
        open.length
          ? h("ul", { class: "cards" }, open.map((c) => openNeedCard(c, byCheckin.get(c.id) || [], waitingFor(c.id))))
          : h("p", { class: "muted" }, `Nothing waiting: ${partnerName} has no open needs.`),
      ),
    );
    if (mineWaiting.length) {
      sections.push(
        h(
          "section",
          { id: "waiting", "aria-labelledby": "waiting-title" },
          h("h2", { id: "waiting-title" }, "Waiting to be sent"),
          h("ul", { class: "cards" }, mineWaiting.map(waitingCard)),
        ),
      );
    }
    sections.push(
      h(
        "section",
        { id: "recent", "aria-labelledby": "recent-title" },
        h("h2", { id: "recent-title" }, "Recent check-ins"),
        recent.length
          ? h("ul", { class: "cards" }, recent.map((c) => checkinCard(c, byCheckin.get(c.id) || [])))
          : h("p", { class: "muted" }, open.length ? "Nothing else yet." : "No check-ins yet. A check-in takes a few seconds."),
      ),
    );
    body.replaceChildren(...sections);
    if (focused) {
      const again = document.getElementById(focused);
      if (again) again.focus();
    } else if (asked && !shown) {
      // #/checkins/<id> (a need on home): that check-in, brought into view and marked.
      const card = body.querySelector(`[data-checkin="${CSS.escape(asked)}"]`);
      if (card) {
        shown = true;
        card.classList.add("asked");
        card.setAttribute("tabindex", "-1");
        card.scrollIntoView({ block: "center" });
        card.focus({ preventScroll: true });
      }
    }
  }

  const unsubscribe = subscribe((message) => {
    if (message.type === "sync" || message.type === "outbox") draw();
  });
  await draw();
  // The local copy first, then whatever the server has that this phone has not seen yet.
  if (navigator.onLine) trySync();
  return () => {
    unsubscribe();
  };
}
