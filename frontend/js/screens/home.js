// Home, the today view: where things stand, the two safety calls (red and yellow) one tap away
// behind a confirmation, a quick check-in, the partner's open needs, what is due today, and the
// balance verdict. It draws from the local copy at once (so it opens offline) and then from
// GET /today.
import { OfflineError } from "../api.js";
import { alertBox, confirmDialog, h } from "../dom.js";
import { items, write } from "../outbox.js";
import { currentDynamic, live, subscribe } from "../store.js";
import { VERDICTS } from "./balance.js";

function memberState(dynamic, me) {
  const mine = dynamic.members.find((m) => m.user_id === me.id) || null;
  const partner = dynamic.members.find((m) => m !== mine) || null;
  return { mine, partner };
}

function stateCard(dynamic, me, queuedFlags) {
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
    lines.push("Everything you agreed is in force.");
  }
  for (const member of [mine, partner]) {
    if (member && member.yellow_at) {
      lines.push(member === mine ? "You raised yellow: you want to talk." : `${partnerName} raised yellow: they want to talk.`);
      if (dynamic.state !== "paused") cls = "card state-yellow";
    }
  }
  for (const member of [mine, partner]) {
    const note = member && (member.red_note || member.yellow_note);
    if (note) lines.push(`${member === mine ? "Your" : `${partnerName}'s`} note: “${note}”`);
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
        label: { red: "Red", yellow: "Yellow", resume: "Resume", nudge: "Thinking of you" }[kind],
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
    // Ended (the partner left, here or on another device): home becomes pairing again.
    if (!latest || latest.state === "ended") return ctx.go("pair");
    dynamic = latest;
    const { mine, partner } = memberState(dynamic, me);
    const partnerName = partner ? partner.display_name : "your partner";
    heading.textContent = `You and ${partner ? partner.display_name : "your partner"}`;
    const queued = (await items()).filter((i) => i.dynamic_id === dynamic.id && i.state === "pending");
    const queuedFlags = queued.filter((i) => ["red", "yellow", "resume"].includes(i.kind)).map((i) => i.label);
    const standing = Boolean(mine && (mine.red_at || mine.yellow_at));

    const red = h("button", { type: "button", class: "danger big", id: "red" }, "Red: stop everything");
    red.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: "Call red?",
        text: `This pauses everything between you and ${partnerName} at once, and tells them.`,
        confirm: "Call red",
        danger: true,
      });
      if (ok) act("red");
    });
    const yellow = h("button", { type: "button", class: "caution big", id: "yellow" }, "Yellow: we need to talk");
    yellow.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: "Raise yellow?",
        text: `This tells ${partnerName} you want to slow down and talk. It pauses nothing.`,
        confirm: "Raise yellow",
      });
      if (ok) act("yellow");
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

    const parts = [stateCard(dynamic, me, queuedFlags), h("div", { class: "safety" }, red, yellow, resume)];
    parts.push(h("a", { href: "#/checkin", class: "button big", id: "quick-checkin" }, "Check in"));
    if (today) parts.push(...todaySections(today, dynamic, me));
    else if (stale) parts.push(h("p", { class: "muted" }, navigator.onLine ? "Loading today…" : "Today's details will show once you are online."));
    parts.push(
      h(
        "div",
        { class: "actions" },
        h("a", { href: "#/checkins", class: "button secondary" }, "Check-ins and needs"),
        h("a", { href: "#/limits", class: "button secondary" }, "Limits and desires"),
        h("a", { href: "#/inbox", class: "button secondary" }, "Updates"),
        h("button", { type: "button", class: "secondary", id: "nudge", onclick: () => act("nudge", { offline: false }) }, `Thinking of ${partnerName}`),
        h("button", { type: "button", class: "secondary", id: "refresh", onclick: () => refresh() }, "Refresh"),
      ),
    );
    body.replaceChildren(...parts);
  }

  function todaySections(data, dynamic, me) {
    const sections = [];
    const { partner } = memberState(dynamic, me);
    const needs = data.open_needs.filter((n) => n.user_id !== me.id);
    if (needs.length) {
      sections.push(
        h(
          "section",
          { class: "card", "aria-labelledby": "needs-title" },
          h("h2", { id: "needs-title" }, `${partner ? partner.display_name : "Your partner"} needs`),
          h("ul", { class: "plain" }, needs.map((n) => h("li", {}, n.needs.join(", ") + (n.response_kind ? ` (${n.response_kind.replace("_", " ")})` : "")))),
          h("a", { href: "#/checkins", class: "button", id: "answer-needs" }, "Answer"),
        ),
      );
    }
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
                  {},
                  h("a", { href: `#/protocol/${o.protocol_id}` }, `${o.local_time} ${o.title}`),
                  o.performer_id === me.id ? " (you)" : partner ? ` (${partner.display_name})` : "",
                  o.done ? " — done" : "",
                ),
              ),
            )
          : h("p", { class: "muted" }, dynamic.state === "paused" ? "Nothing is due while paused." : "Nothing scheduled today."),
        h("a", { href: "#/protocols", class: "button secondary" }, "Protocols"),
      ),
    );
    const balance = data.balance || {};
    sections.push(
      h(
        "section",
        { class: "card", "aria-labelledby": "balance-title" },
        h("h2", { id: "balance-title" }, "Balance"),
        h("p", { class: "state", id: "verdict" }, VERDICTS[balance.verdict] || balance.verdict || "—"),
        (balance.reasons || []).length ? h("ul", { class: "plain" }, balance.reasons.map((r) => h("li", {}, r))) : null,
        h("a", { href: "#/balance", class: "button secondary" }, "See balance"),
      ),
    );
    if (data.unread_notifications) {
      sections.push(h("a", { href: "#/inbox", class: "button secondary", id: "unread" }, `${data.unread_notifications} new ${data.unread_notifications === 1 ? "update" : "updates"}`));
    }
    return sections;
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
    unsubscribe();
  };
}
