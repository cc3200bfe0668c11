// Updates: the inbox of what the partner did and which reminders came due, newest first, read
// from the local copy (the feed brings each notification and each "read"). Opening the screen
// marks everything read; each update links to the screen it is about, as its push does.
import { h } from "../dom.js";
import { write } from "../outbox.js";
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
  protocol_proposed: "{actor} proposed a protocol",
  protocol_renegotiated: "{actor} proposed a change to a protocol",
  protocol_agreed: "{actor} agreed to a protocol",
  protocol_active: "A protocol is now in force",
  protocol_declined: "{actor} declined a proposal",
  protocol_withdrawn: "{actor} withdrew consent from a protocol",
  protocol_retired: "{actor} retired a protocol",
  completion_recorded: "{actor} did what you agreed",
  completion_acknowledged: "{actor} acknowledged what you did",
  limits_updated: "{actor} updated their limits",
  nudge: "{actor} is thinking of you",
  // issue 13: reviews (the same words as app/reminders/messages.py)
  review_started: "{actor} started a review: your answers stay private until you both submit",
  review_answered: "{actor} answered the review: your turn when you are ready",
  review_revealed: "You both answered: see the review together",
  review_closed: "{actor} closed the review with a summary",
};
const REMINDER = { protocol: "A protocol was due", checkin: "Time to check in", review: "Time to review a protocol together", review_due: "Your review is tomorrow" };
const SCREEN = { partner_checked_in: "checkins", checkin_answered: "checkins", limits_updated: "limits" };

// The same mapping as the server's pushes (app/reminders/messages.py, screen_for).
function target(n) {
  const protocolId = n.data && n.data.protocol_id;
  if (protocolId && (n.kind.startsWith("protocol_") || n.kind.startsWith("completion_") || n.kind === "reminder")) {
    return `#/protocol/${encodeURIComponent(protocolId)}`;
  }
  if (n.kind === "reminder" && n.data && n.data.reminder === "checkin") return "#/checkin";
  if (n.kind.startsWith("review_") && n.data && n.data.review_id) return `#/review/${encodeURIComponent(n.data.review_id)}`;
  if (n.kind === "reminder" && n.data && n.data.reminder === "review_due") return "#/review";
  return `#/${SCREEN[n.kind] || "home"}`;
}

function describe(n, partnerName) {
  if (n.kind === "reminder") return REMINDER[n.data && n.data.reminder] || "A reminder";
  const actor = (n.data && n.data.actor_name) || partnerName || "Your partner";
  return (TEXT[n.kind] || "Something new in your dynamic").replace("{actor}", actor);
}

export async function render(root, ctx) {
  const list = h("div", { id: "inbox" });
  root.append(h("h1", {}, "Updates"), list);
  const partner = ctx.dynamic && ctx.dynamic.members.find((m) => m.user_id !== ctx.me.id);
  let marked = false;

  async function draw() {
    const all = (await entities("notification")).sort((a, b) => (a.created_at < b.created_at ? 1 : -1)).slice(0, 100);
    if (!all.length) {
      list.replaceChildren(h("p", { class: "muted", id: "inbox-empty" }, "Nothing yet. What your partner does, and your reminders, will show here."));
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
            h("a", { href: target(n) }, describe(n, partner && partner.display_name)),
            h("p", { class: "muted" }, new Date(n.created_at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }), n.read_at ? "" : " · new"),
          ),
        ),
      ),
    );
    if (!marked && all.some((n) => !n.read_at)) {
      marked = true;
      // Read on every device of mine: the feed brings the read_at back.
      write({ path: "/api/notifications/read", body: { all: true }, label: "Updates read", kind: "read" }).catch(() => {
        marked = false;
      });
    }
  }

  await draw();
  trySync();
  return subscribe((message) => {
    if (message.type === "sync") draw();
  });
}
