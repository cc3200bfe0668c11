// Home, the today view: where things stand, the two safety calls (red and yellow) one tap away
// behind a confirmation, a quick check-in, one list of what waits for this person, what is due
// today, and the balance verdict. With more than one partner, a switcher on top. The first
// minute after pairing explains (home/intro.js). It draws from the local copy at once (so it
// opens offline) and then from GET /today. Its sections are in ./home/.
import { OfflineError } from "../api.js";
import { alertBox, h, redraw } from "../dom.js";
import { items, write } from "../outbox.js";
import { NOTE_FIELD, signalBody } from "../signals.js";
import { chooseDynamic, currentDynamic, entities, live, openDynamics, subscribe } from "../store.js";
import { heldNotesCard } from "./home/held-notes.js";
import { introCard } from "./home/intro.js";
import { notificationAsk } from "./home/notify-ask.js";
import { reviewCard } from "./home/review-card.js";
import { safetyCalls, withNote } from "./home/safety.js";
import { feel, partnerSignal } from "./home/signal.js";
import { memberState, stateCard } from "./home/state.js";
import { switcher } from "./home/switcher.js";
import { moreLinks, todaySections } from "./home/today.js";
import { waitingSection } from "./home/waiting.js";

const LABELS = { red: "Red", yellow: "Yellow", resume: "Resume", nudge: "Thinking of you", seen: "I see you" };
const QUEUED_RED =
  "You are offline: your red is saved on this phone and goes out the moment you are back online. If you need to stop now, tell your partner directly.";
// Sent at once without its note, which this phone could not seal (its words are locked).
const HELD_SENT = {
  red: "Your red is sent. Your note is kept on this phone for now: open your private words to send it too.",
  yellow: "Your yellow is sent. Your note is kept on this phone for now: open your private words to send it too.",
  seen: "They know you see them. Your note is kept on this phone for now: open your private words to send it too.",
};
const QUEUED = "You are offline: this is saved on this phone and will be sent when you are back online.";

// `screen` holds what a redraw needs: ctx, me, the dynamic shown, GET today's answer (`today`,
// `stale`), whether home was left (`stopped`), the switcher's badges, and the elements.
async function act(screen, kind, options = {}) {
  const { dynamic, error } = screen;
  error.textContent = "";
  try {
    // A note is sealed here; where it cannot be, the signal goes at once without it (js/signals.js).
    const { body, held } = NOTE_FIELD[kind] ? await signalBody(dynamic.id, kind, options.body?.note) : { body: options.body };
    const answer = await write({
      path: `/api/dynamics/${dynamic.id}/${kind}`,
      body,
      label: LABELS[kind],
      kind,
      dynamic_id: dynamic.id,
      offline: options.offline !== false,
    });
    if (answer.queued) error.textContent = kind === "red" ? QUEUED_RED : QUEUED;
    else if (held) error.textContent = HELD_SENT[kind];
    await draw(screen);
  } catch (failure) {
    error.textContent = failure instanceof OfflineError ? "You are offline: try again when you are back online." : failure.message;
  }
}

async function draw(screen) {
  const { today, stale, body } = screen;
  const latest = today?.dynamic && !stale ? today.dynamic : await currentDynamic();
  // Left for another screen meanwhile: never draw or navigate from here any more.
  if (screen.stopped) return;
  if (!latest || latest.state === "ended" || latest.id !== screen.dynamic.id) return leave(screen.ctx, latest);
  screen.dynamic = latest;
  const parts = await sections(screen);
  if (!parts) return;
  // A sync may redraw home at any moment (the live stream): whoever is on a control by
  // keyboard, or typing, stays on it, and what they typed stays.
  redraw(body, parts);
}

// Another dynamic was chosen meanwhile: draw that one. Ended (the partner left, here or on
// another device): home shows another open dynamic if there is one, else it becomes pairing.
async function leave(ctx, latest) {
  if (latest && latest.state !== "ended") return ctx.render();
  const other = await currentDynamic();
  if (other && other.state !== "ended") {
    chooseDynamic(other.id);
    return ctx.render();
  }
  return ctx.go("pair");
}

// Home's sections, top to bottom; null when home was left while they were read.
async function sections(screen) {
  const { dynamic, me, today } = screen;
  const { mine, partner } = memberState(dynamic, me);
  const partnerName = partner ? partner.display_name : "your partner";
  screen.heading.textContent = `You and ${partnerName}`;
  const queued = (await items()).filter((i) => i.dynamic_id === dynamic.id && i.state === "pending");
  const queuedFlags = queued.filter((i) => ["red", "yellow", "resume"].includes(i.kind)).map((i) => i.label);
  const dynamics = await openDynamics();
  if (screen.stopped) return null;
  const parts = [switcher(dynamics, dynamic, me, screen.counts, screen.ctx.go)];
  if (dynamics.length > 1 && !screen.watchingCounts) watchCounts(screen);
  const signal = partnerSignal({ dynamicId: dynamic.id, mine, partner }, (note) => act(screen, "seen", withNote(note)));
  if (signal) {
    parts.push(signal);
    feel(partner);
  }
  const intro = introCard({ dynamic, me, mine, partner, partnerName, onDone: () => draw(screen) });
  const protocols = await entities("protocol", dynamic.id);
  if (screen.stopped) return null;
  const paused = dynamic.state === "paused";
  const calls = safetyCalls({ dynamicId: dynamic.id, mine, partner, paused }, partnerName, (kind, options) => act(screen, kind, options));
  parts.push(
    stateCard(dynamic, me, queuedFlags, protocols),
    heldNotesCard({ dynamic, mine, partner }, () => draw(screen)),
    calls,
  );
  // What waits for this person comes first after the safety calls; then the first minute.
  if (today) parts.push(waitingSection(today.waiting || [], partnerName, dynamic.id));
  parts.push(intro || notificationAsk(partnerName, () => draw(screen)));
  // A review to answer is in the waiting list; this says what else there is to know of one.
  const review = await reviewCard(dynamic, me);
  if (screen.stopped) return null;
  parts.push(review);
  parts.push(h("a", { href: "#/checkin", class: "button big", id: "quick-checkin" }, "Check in"));
  if (today) parts.push(...todaySections(today, { dynamic, me, partner }));
  else if (screen.stale)
    parts.push(h("p", { class: "muted" }, navigator.onLine ? "Loading today…" : "Today's details will show once you are online."));
  parts.push(moreLinks(today ? today.unread_notifications : 0, partnerName, () => act(screen, "nudge", { offline: false })));
  return parts.filter(Boolean);
}

// Badges of what waits in each dynamic, for the switcher (only with more than one).
function watchCounts(screen) {
  screen.watchingCounts = live(
    "/api/waiting",
    (data) => {
      if (!data) return;
      const changed = JSON.stringify(data) !== JSON.stringify(screen.counts);
      screen.counts = data;
      if (changed) draw(screen);
    },
    () => {}, // the badges are a courtesy: without them the switcher still works
  );
}

function refresh(screen) {
  if (screen.stopLive) screen.stopLive();
  screen.stopLive = live(
    `/api/dynamics/${screen.dynamic.id}/today`,
    (data, meta) => {
      if (data) screen.today = data;
      screen.stale = meta.stale;
      draw(screen);
    },
    (failure) => {
      screen.error.textContent = failure.message;
    },
  );
}

export async function render(root, ctx) {
  const screen = {
    ctx,
    me: ctx.me,
    dynamic: ctx.dynamic,
    today: null,
    stale: true,
    stopped: false,
    counts: null,
    watchingCounts: null,
    stopLive: null,
    error: alertBox(),
    heading: h("h1", {}, "Accord"),
    body: h("div", { id: "home" }),
  };
  root.append(screen.heading, screen.error, screen.body);
  await draw(screen);
  refresh(screen);
  const unsubscribe = subscribe((message) => {
    if (message.type === "sync" || message.type === "outbox") draw(screen);
  });
  return () => {
    screen.stopped = true;
    if (screen.stopLive) screen.stopLive();
    if (screen.watchingCounts) screen.watchingCounts();
    unsubscribe();
  };
}
