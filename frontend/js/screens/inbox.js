// Updates: the inbox of what the partner did and which reminders came due, newest first, read
// from the local copy (the feed brings each notification and each "read"). Opening the screen
// marks everything read; each update links to the screen it is about, as its push does.
import { h } from "../dom.js";
import { write } from "../outbox.js";
import { LOCKED_TEXT, openProtocols } from "../protocol-words.js";
import { entities, subscribe, trySync } from "../store.js";

const TEXT = {
  partner_linked: "{actor} linked with you",
  red: "{actor} called red: everything is paused",
  yellow: "{actor} raised yellow: let's talk",
  seen: "{actor} sees you",
  resumed: "{actor} lifted their flag",
  partner_left: "{actor} ended the dynamic",
  partner_checked_in: "{actor} checked in",
  checkin_answered: "{actor} answered your check-in",
  protocol_proposed: "{actor} proposed {protocol}",
  protocol_renegotiated: "{actor} proposed a change to {protocol}",
  protocol_agreed: "{actor} agreed to {protocol}",
  protocol_active: "{Protocol} is now in force",
  protocol_declined: "{actor} declined {protocol}",
  protocol_withdrawn: "{actor} withdrew consent from {protocol}",
  protocol_retired: "{actor} retired {protocol}",
  completion_recorded: "{actor} did {protocol}",
  completion_acknowledged: "{actor} acknowledged what you did: {protocol}",
  limits_updated: "{actor} updated their limits",
  nudge: "{actor} is thinking of you",
  // Reviews (the same words as app/reminders/messages.py).
  review_started: "{actor} started a review: your answers stay private until you both submit",
  review_answered: "{actor} answered the review: your turn when you are ready",
  review_revealed: "You both answered: see the review together",
  review_closed: "{actor} closed the review with a summary",
};
const REMINDER = {
  protocol: "A protocol was due",
  checkin: "Time to check in",
  review: "Time to review a protocol together",
  review_due: "Your review is tomorrow",
};
const SCREEN = { partner_checked_in: "checkins", checkin_answered: "checkins", limits_updated: "limits" };

// The same mapping as the server's pushes (app/reminders/messages.py, screen_for): the screen,
// inside the dynamic the update is about.
function target(n) {
  const protocolId = n.data?.protocol_id;
  let screen = SCREEN[n.kind] || "home";
  if (protocolId && (n.kind.startsWith("protocol_") || n.kind.startsWith("completion_") || n.kind === "reminder")) {
    screen = `protocol/${encodeURIComponent(protocolId)}`;
  } else if (n.kind.startsWith("review_") && n.data?.review_id) screen = `review/${encodeURIComponent(n.data.review_id)}`;
  else if (n.kind === "reminder" && n.data?.reminder === "checkin") screen = "checkin";
  else if (n.kind === "reminder" && n.data?.reminder === "review_due") screen = "review";
  return n.dynamic_id ? `#/dynamics/${encodeURIComponent(n.dynamic_id)}/${screen}` : `#/${screen}`;
}

// "Sam changed 42 answers about limits; 9 now meet your answers, so you both see them":
// counts, never items.
function limitsText(actor, data) {
  if (!data || typeof data.changed !== "number") return `${actor} updated their limits`;
  const parts = [`${actor} changed ${data.changed} ${data.changed === 1 ? "answer" : "answers"} about limits`];
  const one = (n, single, many) => (n === 1 ? single : many);
  if (data.appeared)
    parts.push(
      `${data.appeared} now ${one(data.appeared, "meets", "meet")} your answers, so you both see ${one(data.appeared, "it", "them")}`,
    );
  if (data.withdrawn) parts.push(`${data.withdrawn} shown before ${one(data.withdrawn, "was", "were")} taken back`);
  return parts.join("; ");
}

// The protocol by its title, as this phone knows it (“Morning message”); "a protocol" only
// when this phone has never seen it.
function protocolName(n, titles) {
  const title = n.data?.protocol_id ? titles.get(n.data.protocol_id) : null;
  return title ? `“${title}”` : "a protocol";
}

export function describe(n, partnerName, titles = new Map()) {
  if (n.kind === "reminder") return REMINDER[n.data?.reminder] || "A reminder";
  const actor = n.data?.actor_name || partnerName || "Your partner";
  if (n.kind === "limits_updated") return limitsText(actor, n.data);
  const protocol = protocolName(n, titles);
  return (TEXT[n.kind] || "Something new in your dynamic")
    .replace("{actor}", actor)
    .replace("{protocol}", protocol)
    .replace("{Protocol}", protocol.charAt(0).toUpperCase() + protocol.slice(1));
}

export async function render(root, ctx) {
  const list = h("div", { id: "inbox" });
  root.append(h("h1", {}, "Updates"), list);
  const partner = ctx.dynamic?.members.find((m) => m.user_id !== ctx.me.id);
  let marked = false;

  async function draw() {
    const all = (await entities("notification")).sort((a, b) => (a.created_at < b.created_at ? 1 : -1)).slice(0, 100);
    // Titles opened on this phone; sealed ones it cannot open (locked) are "a protocol".
    const protocols = await openProtocols(await entities("protocol"));
    const titles = new Map(protocols.map((p) => [p.id, typeof p.title === "string" && p.title !== LOCKED_TEXT ? p.title : null]));
    if (!all.length) {
      list.replaceChildren(
        h("p", { class: "muted", id: "inbox-empty" }, "Nothing yet. What your partner does, and your reminders, will show here."),
      );
      return;
    }
    list.replaceChildren(
      h(
        "ul",
        { class: "plain" },
        all.map((n) =>
          h(
            "li",
            { class: n.read_at ? "card" : "card unread", "data-kind": n.kind },
            h("a", { href: target(n) }, describe(n, partner?.display_name, titles)),
            h(
              "p",
              { class: "muted" },
              new Date(n.created_at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }),
              n.read_at ? "" : " · new",
            ),
          ),
        ),
      ),
    );
    if (!marked && all.some((n) => !n.read_at)) {
      marked = true;
      // Read on every device of mine: the feed brings the read_at back.
      write({ path: "/api/notifications/read", body: { all: true }, label: "Updates read", kind: "read" }).catch(() => {
        marked = false; // not marked this time: tried again the next time the list is drawn
      });
    }
  }

  await draw();
  trySync();
  return subscribe((message) => {
    if (message.type === "sync") draw();
  });
}
