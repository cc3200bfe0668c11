// Check-ins (#/checkins): the partner's open needs first, with "Seen", "On it" and "Done";
// then both members' recent check-ins from the local copy, with the answers each received;
// my own check-ins still waiting in the outbox are shown as "waiting to be sent". The cards
// are in screens/checkins/.
import { alertBox, h } from "../dom.js";
import { items } from "../outbox.js";
import { entities, subscribe, trySync } from "../store.js";
import { checkinCard, peopleOf, waitingCard } from "./checkins/cards.js";
import { closeButtons, isOpen } from "./checkins/closing.js";
import { openNeedCard } from "./checkins/needs.js";

const RECENT = 30;

// The local copy: this dynamic's check-ins (newest first), their answers by check-in, and
// what waits in the outbox.
async function read(dynamic) {
  const [checkins, responses, queued] = await Promise.all([
    entities("checkin", dynamic.id),
    // Responses are filed by their check-in: their feed data carries checkin_id but (as of
    // now) no dynamic_id, so they are matched to this dynamic's check-ins below.
    entities("checkin_response"),
    items(),
  ]);
  checkins.sort((a, b) => (a.occurred_at < b.occurred_at ? 1 : a.occurred_at > b.occurred_at ? -1 : 0));
  const byCheckin = new Map(checkins.map((c) => [c.id, []]));
  for (const r of responses) byCheckin.get(r.checkin_id)?.push(r);
  for (const list of byCheckin.values()) list.sort((a, b) => (a.created_at < b.created_at ? -1 : 1));
  return { checkins, byCheckin, queued };
}

function section(id, title, ...children) {
  return h("section", { id, "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title), ...children);
}

// "It was met" and "No longer needed" on the asker's own open needs.
function closing(screen, checkin) {
  const { me, dynamic } = screen.people;
  if (checkin.user_id !== me.id || !isOpen(checkin) || dynamic.state === "ended") return null;
  return closeButtons(checkin, {
    dynamicId: dynamic.id,
    onStatus: (text) => {
      screen.status.textContent = text;
    },
    onError: (text) => {
      screen.error.textContent = text;
    },
  });
}

// #/checkins/<id> (a need on home): that check-in, brought into view and marked, once.
function showAsked(screen) {
  if (!screen.asked || screen.shownAsked) return;
  const card = screen.body.querySelector(`[data-checkin="${CSS.escape(screen.asked)}"]`);
  if (!card) return;
  screen.shownAsked = true;
  card.classList.add("asked");
  card.setAttribute("tabindex", "-1");
  card.scrollIntoView({ block: "center" });
  card.focus({ preventScroll: true });
}

function sections(screen, { checkins, byCheckin, queued }) {
  const { people } = screen;
  const { me, dynamic, partnerName } = people;
  const answersWaiting = queued.filter((i) => i.kind === "response" && i.state === "pending");
  const waitingFor = (id) => answersWaiting.filter((i) => i.path === `/api/checkins/${id}/responses`);
  const mineWaiting = queued.filter((i) => i.kind === "checkin" && i.dynamic_id === dynamic.id);
  const open = checkins.filter((c) => c.user_id !== me.id && isOpen(c));
  const recent = checkins.filter((c) => !open.includes(c)).slice(0, RECENT);
  const cards = (list, card) => h("ul", { class: "cards" }, list.map(card));
  return [
    section(
      "open-needs",
      `${partnerName}'s open needs`,
      open.length
        ? cards(open, (c) => openNeedCard(screen, c, byCheckin.get(c.id), waitingFor(c.id)))
        : h("p", { class: "muted" }, `Nothing waiting: ${partnerName} has no open needs.`),
    ),
    mineWaiting.length
      ? section(
          "waiting",
          "Waiting to be sent",
          cards(mineWaiting, (i) => waitingCard(i, people)),
        )
      : null,
    section(
      "recent",
      "Recent check-ins",
      recent.length
        ? cards(recent, (c) => checkinCard(c, byCheckin.get(c.id), people, closing(screen, c)))
        : h("p", { class: "muted" }, open.length ? "Nothing else yet." : "No check-ins yet. A check-in takes a few seconds."),
    ),
  ].filter(Boolean);
}

async function draw(screen) {
  const ticket = ++screen.drawing;
  let data;
  try {
    data = await read(screen.people.dynamic);
  } catch (failure) {
    screen.error.textContent = `Could not read this phone's copy: ${failure.message}`;
    return;
  }
  if (ticket !== screen.drawing) return;
  // Keep the focus where it was across a redraw (a typed note, a button).
  const { body } = screen;
  const focused = document.activeElement && body.contains(document.activeElement) ? document.activeElement.id : null;
  body.replaceChildren(...sections(screen, data));
  if (focused) document.getElementById(focused)?.focus();
  else showAsked(screen);
}

export async function render(root, ctx) {
  const people = peopleOf(ctx.dynamic, ctx.me);
  const screen = {
    people,
    error: alertBox(),
    status: h("p", { role: "status", class: "status", id: "checkins-status" }),
    body: h("div", { id: "checkins" }),
    drafts: new Map(), // notes typed for an answer survive a redraw by the sync feed
    drawing: 0,
    asked: ctx.params[0] || null,
    shownAsked: false,
  };
  const checkIn = ctx.dynamic.state === "ended" ? null : h("a", { href: "#/checkin", class: "button secondary" }, "Check in now");
  root.append(h("h1", {}, "Check-ins"), h("p", { class: "actions top" }, checkIn), screen.error, screen.status, screen.body);
  const unsubscribe = subscribe((message) => {
    if (message.type === "sync" || message.type === "outbox") draw(screen);
  });
  await draw(screen);
  // The local copy first, then whatever the server has that this phone has not seen yet.
  if (navigator.onLine) trySync();
  return unsubscribe;
}
