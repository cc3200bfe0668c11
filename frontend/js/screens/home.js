// Home, the today view: where things stand, the two safety calls (red and yellow) one tap away
// behind a confirmation, a quick check-in, one list of what waits for this person, what is due
// today, and the balance verdict. With more than one partner, a switcher on top. The first
// minute after pairing explains (home/intro.js). It draws from the local copy at once (so it
// opens offline) and then from GET /today.
import { OfflineError } from "../api.js";
import { VERDICTS } from "../balance-words.js";
import { alertBox, confirmDialog, h } from "../dom.js";
import { items, write } from "../outbox.js";
import * as push from "../push.js";
import { chooseDynamic, currentDynamic, entities, live, openDynamics, subscribe } from "../store.js";
import { introCard } from "./home/intro.js";
import { switcher } from "./home/switcher.js";
import { waitingSection } from "./home/waiting.js";
import { reviewCard } from "./review/home-card.js";

const ASKED_KEY = "accord.notifications-asked";
const FELT_KEY = "accord.signals-felt";

// "10:02" today, "3 Dec, 22:40" on another day.
function clock(iso) {
  const when = new Date(iso);
  const time = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (when.toDateString() === new Date().toDateString()) return time;
  return `${when.toLocaleDateString([], { day: "numeric", month: "short" })}, ${time}`;
}

// What was typed for "I see you" survives home being drawn again (each sync redraws it).
const seenDraft = { text: "" };

// Browsers allow vibration only once the page has been tapped; before that, Chromium refuses
// it with an error in the console. (Where userActivation is unknown, the browser decides.)
function mayVibrate() {
  if (!navigator.vibrate) return false;
  return !navigator.userActivation || navigator.userActivation.hasBeenActive;
}

// A partner's red or yellow, new to this phone: a short vibration where the browser allows it.
// A page nobody has tapped yet (just opened or reloaded) shows the signal without vibrating.
function feel(partner) {
  const signals = [partner.red_at, partner.yellow_at].filter(Boolean);
  const felt = new Set(JSON.parse(sessionStorage.getItem(FELT_KEY) || "[]"));
  const fresh = signals.filter((at) => !felt.has(at));
  if (!fresh.length) return;
  for (const at of fresh) felt.add(at);
  sessionStorage.setItem(FELT_KEY, JSON.stringify([...felt].slice(-20)));
  if (!mayVibrate()) return;
  try {
    navigator.vibrate(partner.red_at ? [300, 150, 300] : [200]);
  } catch {
    // Vibration is a courtesy: a browser that throws instead of refusing quietly is fine.
  }
}

// The partner's red or yellow takes over the top of home: what they said, and "I see you".
function partnerSignal(dynamic, me, onSee) {
  const { mine, partner } = memberState(dynamic, me);
  if (!partner || !(partner.red_at || partner.yellow_at)) {
    seenDraft.text = "";
    return null;
  }
  const name = partner.display_name;
  const red = Boolean(partner.red_at);
  const seenAt = red ? mine && mine.saw_red_at : mine && mine.saw_yellow_at;
  const parts = [
    h("h2", { id: "signal-title" }, red ? `${name} called red` : `${name} raised yellow`),
    h(
      "p",
      {},
      red
        ? `At ${clock(partner.red_at)}. Everything between you is paused. ${name} may need space or care: let them lead.`
        : `At ${clock(partner.yellow_at)}. ${name} wants to slow down and talk. Nothing is paused.`,
    ),
  ];
  const note = red ? partner.red_note : partner.yellow_note;
  if (note) parts.push(h("p", { class: "signal-note" }, `${name}: “${note}”`));
  if (red && partner.yellow_at && partner.yellow_note) parts.push(h("p", { class: "signal-note" }, `${name} (yellow): “${partner.yellow_note}”`));
  if (seenAt) {
    parts.push(h("p", { id: "seen-done" }, `You told ${name} you see them at ${clock(seenAt)}.`));
    if (mine.saw_note) parts.push(h("p", { class: "muted" }, `You said: “${mine.saw_note}”`));
  } else {
    const words = h("textarea", { id: "seen-note", maxlength: 500, rows: 2 });
    words.value = seenDraft.text;
    words.addEventListener("input", () => {
      seenDraft.text = words.value;
    });
    const button = h("button", { type: "submit", class: "big", id: "see" }, "I see you");
    const form = h(
      "form",
      { class: "stack" },
      h("label", { for: "seen-note" }, `A few words for ${name} (optional)`),
      words,
      button,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      button.disabled = true;
      onSee(words.value.trim()).finally(() => {
        button.disabled = false;
      });
      seenDraft.text = "";
    });
    parts.push(form);
  }
  return h("section", { class: `takeover ${red ? "takeover-red" : "takeover-yellow"}`, id: "partner-signal", role: "alert", "aria-labelledby": "signal-title" }, parts);
}

// Right after pairing: ask once whether this phone may show notifications, and say why.
function notificationAsk(partnerName, onDone) {
  if (!push.supported() || Notification.permission !== "default" || localStorage.getItem(ASKED_KEY)) return null;
  const message = alertBox();
  const done = () => {
    localStorage.setItem(ASKED_KEY, "1");
    onDone();
  };
  const turnOn = h("button", { type: "button", id: "notify-on" }, "Turn on notifications");
  turnOn.addEventListener("click", async () => {
    turnOn.disabled = true;
    try {
      await push.enable();
      done();
    } catch (failure) {
      turnOn.disabled = false;
      message.textContent = failure.message;
    }
  });
  return h(
    "section",
    { class: "card", id: "notify-ask", "aria-labelledby": "notify-title" },
    h("h2", { id: "notify-title" }, "Let a red reach you"),
    h(
      "p",
      {},
      `With notifications on, a red or yellow from ${partnerName} reaches this phone even when Accord is closed. They only say “You have something new in Accord” unless you choose otherwise in More.`,
    ),
    message,
    h("div", { class: "actions" }, turnOn, h("button", { type: "button", class: "secondary", id: "notify-later", onclick: done }, "Not now")),
  );
}

function memberState(dynamic, me) {
  const mine = dynamic.members.find((m) => m.user_id === me.id) || null;
  const partner = dynamic.members.find((m) => m !== mine) || null;
  return { mine, partner };
}

// What is in force, truly: "everything you agreed" only when something is.
function agreedLine(protocols) {
  if (protocols.some((p) => p.status === "active")) return "Everything you agreed is in force.";
  if (protocols.some((p) => p.status === "proposed")) return "Nothing is in force yet: a proposal is waiting for an answer.";
  if (protocols.some((p) => p.status === "suspended")) return "No protocol is in force right now: what you agreed is on hold.";
  return "Nothing is agreed yet. When you're ready, either of you can propose a first protocol.";
}

function stateCard(dynamic, me, queuedFlags, protocols) {
  const { mine, partner } = memberState(dynamic, me);
  const partnerName = partner ? partner.display_name : "Your partner";
  const lines = [];
  let title = "Active";
  let cls = "card";
  if (dynamic.state === "paused") {
    title = "Paused";
    cls = "card state-paused";
    if (mine && mine.red_at && partner && partner.red_at) lines.push("You both called red. Everything is on hold.");
    else if (mine && mine.red_at) lines.push("You called red. Everything is on hold until you resume.");
    else lines.push(`${partnerName} called red. Everything is on hold; only they can lift it.`);
  } else {
    lines.push(agreedLine(protocols));
  }
  for (const member of [mine, partner]) {
    if (member && member.yellow_at) {
      lines.push(member === mine ? "You raised yellow: you want to talk." : `${partnerName} raised yellow: they want to talk.`);
      if (dynamic.state !== "paused") cls = "card state-yellow";
    }
  }
  if (mine && mine.red_note) lines.push(`Your note: “${mine.red_note}”`);
  if (mine && mine.yellow_note) lines.push(`Your note: “${mine.yellow_note}”`);
  // The partner's own flags and notes are in the takeover above; here, whether they saw mine.
  if (mine && partner) {
    const saw = [
      mine.red_at && partner.saw_red_at ? `your red at ${clock(partner.saw_red_at)}` : null,
      mine.yellow_at && partner.saw_yellow_at ? `your yellow at ${clock(partner.saw_yellow_at)}` : null,
    ].filter(Boolean);
    if (saw.length) {
      lines.push(`${partnerName} sees you: they saw ${saw.join(" and ")}.`);
      if (partner.saw_note) lines.push(`${partnerName}: “${partner.saw_note}”`);
    } else if (mine.red_at || mine.yellow_at) lines.push(`${partnerName} has been told.`);
  }
  if (queuedFlags.length) lines.push(`Waiting to be sent: ${queuedFlags.join(", ")}. Talk to ${partnerName} directly if it cannot wait.`);
  return h(
    "section",
    { class: cls, "aria-live": "polite", "aria-labelledby": "state" },
    h("p", { class: "state", id: "state" }, title),
    h("div", { id: "state-detail" }, lines.map((line) => h("p", {}, line))),
  );
}

export async function render(root, ctx) {
  const me = ctx.me;
  let dynamic = ctx.dynamic;
  let today = null;
  let stale = true;
  let stopped = false;
  const error = alertBox();
  const heading = h("h1", {}, "Accord");
  const body = h("div", { id: "home" });
  root.append(heading, error, body);

  async function act(kind, options = {}) {
    error.textContent = "";
    try {
      const answer = await write({
        path: `/api/dynamics/${dynamic.id}/${kind}`,
        body: options.body,
        label: { red: "Red", yellow: "Yellow", resume: "Resume", nudge: "Thinking of you", seen: "I see you" }[kind],
        kind,
        dynamic_id: dynamic.id,
        offline: options.offline !== false,
      });
      if (answer.queued) {
        error.textContent =
          kind === "red"
            ? "You are offline: your red is saved on this phone and goes out the moment you are back online. If you need to stop now, tell your partner directly."
            : "You are offline: this is saved on this phone and will be sent when you are back online.";
      }
      await draw();
    } catch (failure) {
      error.textContent = failure instanceof OfflineError ? "You are offline: try again when you are back online." : failure.message;
    }
  }

  async function draw() {
    const latest = today && today.dynamic && !stale ? today.dynamic : await currentDynamic();
    // Left for another screen meanwhile: never draw or navigate from here any more.
    if (stopped) return;
    // Ended (the partner left, here or on another device): home shows another open dynamic if
    // there is one, else it becomes pairing again.
    if (!latest || latest.state === "ended") {
      const other = await currentDynamic();
      if (other && other.state !== "ended") {
        chooseDynamic(other.id);
        return ctx.render();
      }
      return ctx.go("pair");
    }
    if (latest.id !== dynamic.id) return ctx.render();
    dynamic = latest;
    const { mine, partner } = memberState(dynamic, me);
    const partnerName = partner ? partner.display_name : "your partner";
    heading.textContent = `You and ${partner ? partner.display_name : "your partner"}`;
    const queued = (await items()).filter((i) => i.dynamic_id === dynamic.id && i.state === "pending");
    const queuedFlags = queued.filter((i) => ["red", "yellow", "resume"].includes(i.kind)).map((i) => i.label);
    const standing = Boolean(mine && (mine.red_at || mine.yellow_at));

    const red = h("button", { type: "button", class: "danger big", id: "red" }, "Red: stop everything");
    red.addEventListener("click", async () => {
      const note = await confirmDialog({
        title: "Call red?",
        text: `This pauses everything between you and ${partnerName} at once, and tells them.`,
        confirm: "Call red",
        danger: true,
        note: { label: `Anything ${partnerName} should know? (optional)` },
      });
      if (note !== null) act("red", { body: note ? { note } : {} });
    });
    const yellow = h("button", { type: "button", class: "caution big", id: "yellow" }, "Yellow: we need to talk");
    yellow.addEventListener("click", async () => {
      const note = await confirmDialog({
        title: "Raise yellow?",
        text: `This tells ${partnerName} you want to slow down and talk. It pauses nothing.`,
        confirm: "Raise yellow",
        note: { label: `What would you like to talk about? (optional)` },
      });
      if (note !== null) act("yellow", { body: note ? { note } : {} });
    });
    const partnerRed = Boolean(partner && partner.red_at);
    // Resume is shown while there is something to resume: a flag of mine, or a pause (then
    // disabled when only the partner can lift it, so it is clear why nothing can be done).
    const resume = h("button", { type: "button", class: "secondary big", id: "resume", disabled: !standing, hidden: !standing && dynamic.state !== "paused" }, "Resume");
    resume.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: "Resume?",
        text: partnerRed
          ? "This lifts your own red and yellow. Your partner's red still stands, so things stay paused."
          : "This lifts your red and yellow and lets things go on as agreed. Your partner is told.",
        confirm: "Resume",
      });
      if (ok) act("resume", { offline: false });
    });

    const parts = [];
    const dynamics = await openDynamics();
    if (stopped) return;
    const switch_ = switcher(dynamics, dynamic, me, counts, ctx.go);
    if (switch_) parts.push(switch_);
    if (dynamics.length > 1 && !watchingCounts) watchCounts();
    const signal = partnerSignal(dynamic, me, (note) => act("seen", { body: note ? { note } : {} }));
    if (signal) {
      parts.push(signal);
      feel(partner);
    }
    const intro = introCard({ dynamic, me, mine, partner, partnerName, onDone: () => draw() });
    const protocols = await entities("protocol", dynamic.id);
    if (stopped) return;
    parts.push(stateCard(dynamic, me, queuedFlags, protocols), h("div", { class: "safety" }, red, yellow, resume));
    // What waits for this person comes first after the safety calls; then the first minute.
    if (today) parts.push(waitingSection(today.waiting || [], partnerName));
    if (intro) parts.push(intro);
    const ask = intro ? null : notificationAsk(partnerName, () => draw());
    if (ask) parts.push(ask);
    // A review to answer is in the waiting list; this says what else there is to know of one.
    const review = await reviewCard(dynamic, me);
    if (stopped) return;
    if (review) parts.push(review);
    parts.push(h("a", { href: "#/checkin", class: "button big", id: "quick-checkin" }, "Check in"));
    if (today) parts.push(...todaySections(today, dynamic, me));
    else if (stale) parts.push(h("p", { class: "muted" }, navigator.onLine ? "Loading today…" : "Today's details will show once you are online."));
    const unread = today ? today.unread_notifications : 0;
    parts.push(
      h(
        "nav",
        { class: "home-more", "aria-label": "More for you two" },
        h("a", { href: "#/checkins", id: "link-checkins" }, "Check-ins"),
        h("a", { href: "#/limits", id: "link-limits" }, "Limits and desires"),
        h("a", { href: "#/inbox", id: "link-updates" }, unread ? `Updates (${unread} new)` : "Updates"),
        h("button", { type: "button", class: "link", id: "nudge", onclick: () => act("nudge", { offline: false }) }, `Thinking of ${partnerName}`),
      ),
    );
    // A sync may redraw home at any moment (the live stream): whoever is on a control by
    // keyboard, or typing, stays on it.
    const focused = body.contains(document.activeElement) ? document.activeElement.id : "";
    body.replaceChildren(...parts);
    const again = focused && document.getElementById(focused);
    if (again) again.focus({ preventScroll: true });
  }

  function todaySections(data, dynamic, me) {
    const sections = [];
    const { partner } = memberState(dynamic, me);
    const due = data.occurrences;
    sections.push(
      h(
        "section",
        { class: "card", "aria-labelledby": "due-title" },
        h("h2", { id: "due-title" }, "Today"),
        due.length
          ? h(
              "ul",
              { class: "plain" },
              due.map((o) =>
                h(
                  "li",
                  { class: o.due === false ? "muted" : null },
                  h("a", { href: `#/protocol/${o.protocol_id}` }, `${o.local_time} ${o.title}`),
                  o.performer_id === me.id ? " (you)" : partner ? ` (${partner.display_name})` : "",
                  o.due === false ? " — before you agreed it, so not due" : o.done ? " — done" : "",
                ),
              ),
            )
          : h("p", { class: "muted" }, dynamic.state === "paused" ? "Nothing is due while paused." : "Nothing scheduled today."),
        h("a", { href: "#/protocols", class: "button secondary" }, "Protocols"),
      ),
    );
    // The verdict, and the way to the balance; its words are on the balance screen, not
    // repeated here every day.
    const balance = data.balance || {};
    sections.push(
      h(
        "section",
        { class: "card", "aria-labelledby": "balance-title" },
        h("h2", { id: "balance-title" }, "Balance"),
        h("p", { class: "state", id: "verdict" }, VERDICTS[balance.verdict] || balance.verdict || "—"),
        h("a", { href: "#/balance", class: "button secondary" }, "See the balance"),
      ),
    );
    return sections;
  }

  // Badges of what waits in each dynamic, for the switcher (only with more than one).
  let counts = null;
  let watchingCounts = null;
  function watchCounts() {
    watchingCounts = live(
      "/api/waiting",
      (data) => {
        if (!data) return;
        const changed = JSON.stringify(data) !== JSON.stringify(counts);
        counts = data;
        if (changed) draw();
      },
      () => {}, // the badges are a courtesy: without them the switcher still works
    );
  }

  let stopLive = null;
  function refresh() {
    if (stopLive) stopLive();
    stopLive = live(
      `/api/dynamics/${dynamic.id}/today`,
      (data, meta) => {
        if (data) today = data;
        stale = meta.stale;
        draw();
      },
      (failure) => {
        error.textContent = failure.message;
      },
    );
  }

  await draw();
  refresh();
  const unsubscribe = subscribe((message) => {
    if (message.type === "sync" || message.type === "outbox") draw();
  });
  return () => {
    stopped = true;
    if (stopLive) stopLive();
    if (watchingCounts) watchingCounts();
    unsubscribe();
  };
}
