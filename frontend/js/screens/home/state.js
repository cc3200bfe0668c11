// Where things stand, for the state card of home: active or paused, what is truly in force,
// the yellows, my own notes, whether the partner saw my flag, and what waits to be sent.
import { h } from "../../dom.js";
import { clockText as clock } from "../../format.js";
import { quoted } from "./signal.js";

// The signed-in member and the partner (either may be missing in a dynamic being set up).
export function memberState(dynamic, me) {
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

export function stateCard(dynamic, me, queuedFlags, protocols) {
  const { mine, partner } = memberState(dynamic, me);
  const partnerName = partner ? partner.display_name : "Your partner";
  const lines = [];
  let title = "Active";
  let cls = "card";
  if (dynamic.state === "paused") {
    title = "Paused";
    cls = "card state-paused";
    if (mine?.red_at && partner?.red_at) lines.push("You both called red. Everything is on hold.");
    else if (mine?.red_at) lines.push("You called red. Everything is on hold until you resume.");
    else lines.push(`${partnerName} called red. Everything is on hold; only they can lift it.`);
  } else {
    lines.push(agreedLine(protocols));
  }
  for (const member of [mine, partner]) {
    if (member?.yellow_at) {
      lines.push(member === mine ? "You raised yellow: you want to talk." : `${partnerName} raised yellow: they want to talk.`);
      if (dynamic.state !== "paused") cls = "card state-yellow";
    }
  }
  if (mine?.red_note) lines.push(quoted(dynamic.id, mine, "red_note", "Your note: "));
  if (mine?.yellow_note) lines.push(quoted(dynamic.id, mine, "yellow_note", "Your note: "));
  // The partner's own flags and notes are in the takeover above; here, whether they saw mine.
  if (mine && partner) {
    const saw = [
      mine.red_at && partner.saw_red_at ? `your red at ${clock(partner.saw_red_at)}` : null,
      mine.yellow_at && partner.saw_yellow_at ? `your yellow at ${clock(partner.saw_yellow_at)}` : null,
    ].filter(Boolean);
    if (saw.length) {
      lines.push(`${partnerName} sees you: they saw ${saw.join(" and ")}.`);
      if (partner.saw_note) lines.push(quoted(dynamic.id, partner, "saw_note", `${partnerName}: `));
    } else if (mine.red_at || mine.yellow_at) lines.push(`${partnerName} has been told.`);
  }
  if (queuedFlags.length) lines.push(`Waiting to be sent: ${queuedFlags.join(", ")}. Talk to ${partnerName} directly if it cannot wait.`);
  return h(
    "section",
    { class: cls, "aria-live": "polite", "aria-labelledby": "state" },
    h("p", { class: "state", id: "state" }, title),
    h(
      "div",
      { id: "state-detail" },
      lines.map((line) => h("p", {}, line)),
    ),
  );
}
