// "Waiting for you": the one list at the top of home of what needs this person, from GET today's
// `waiting` (app/today/waiting.py): the partner's red or yellow until seen, proposals to agree
// to, completions to acknowledge, the partner's open needs (each linking to its check-in), and a
// review to answer. A true empty state when nothing waits.
import { h } from "../../dom.js";
import { titleOf } from "../../protocol-words.js";
import { openWords } from "../../words.js";

function day(iso) {
  return new Date(iso).toLocaleDateString([], { weekday: "short", day: "numeric", month: "short" });
}

function moment(iso) {
  const when = new Date(iso);
  const time = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return when.toDateString() === new Date().toDateString() ? `today, ${time}` : `${day(iso)}, ${time}`;
}

// "Alice would like praise, a slow Sunday": needs in her own words opened here, or said to be
// locked where this phone cannot open them.
function wouldLike(item, name, dynamicId) {
  const text = h("span", {}, `${name} would like ${item.needs.filter((n) => typeof n === "string").join(", ")}`);
  const open = (need) => openWords(dynamicId, need, "checkin", item.checkin_id, "needs");
  Promise.all(item.needs.map((need) => (typeof need === "string" ? need : open(need)))).then((names) => {
    const shown = names.map((n) => (n === null ? "something locked on this phone" : n));
    text.textContent = `${name} would like ${shown.join(", ")}`;
  });
  return text;
}

// Each kind: [the words, the link, the call to action]. `review` is filled by the reviews part.
const KINDS = {
  signal: (item, name) => [
    item.signal === "red" ? `${name} called red` : `${name} raised yellow`,
    null,
    "Let them know you see them, above",
  ],
  proposal: (item, name, dynamicId) => [
    h("span", {}, `${name} proposed `, titleOf(item, dynamicId)),
    `#/protocol/${encodeURIComponent(item.protocol_id)}`,
    "Read it, then agree or decline",
  ],
  acknowledge: (item, name, dynamicId) => [
    h("span", {}, `${name} did `, titleOf(item, dynamicId)),
    `#/protocol/${encodeURIComponent(item.protocol_id)}`,
    "Acknowledge it",
  ],
  need: (item, name, dynamicId) => [
    wouldLike(item, name, dynamicId),
    `#/checkins/${encodeURIComponent(item.checkin_id)}`,
    `Asked ${moment(item.at)} · open until ${day(item.expires_at)}`,
  ],
  // The slot for "a review to answer" (the reviews part adds these items on the server).
  review: (item) => [
    "A review to answer",
    item.review_id ? `#/review/${encodeURIComponent(item.review_id)}` : "#/review",
    "Your answers stay private until you have both sent yours",
  ],
};

function toSignal() {
  const target = document.getElementById("see") || document.getElementById("partner-signal");
  if (!target) return;
  target.scrollIntoView({ block: "center" });
  target.focus({ preventScroll: true });
}

export function waitingSection(items, partnerName, dynamicId) {
  const rows = items
    .filter((item) => KINDS[item.kind])
    .map((item) => {
      const [words, link, action] = KINDS[item.kind](item, partnerName, dynamicId);
      return h(
        "li",
        { class: `waiting-item waiting-${item.kind}`, "data-kind": item.kind },
        // A signal is answered in the takeover above: its row takes you there.
        link
          ? h("a", { href: link }, h("span", { class: "waiting-what" }, words), h("span", { class: "waiting-how muted" }, action))
          : h(
              "button",
              { type: "button", class: "link", onclick: toSignal },
              h("span", { class: "waiting-what" }, words),
              h("span", { class: "waiting-how muted" }, action),
            ),
      );
    });
  return h(
    "section",
    { class: "card", id: "waiting-for-you", "aria-labelledby": "waiting-title" },
    h("h2", { id: "waiting-title" }, rows.length ? "Waiting for you" : "Nothing is waiting for you"),
    rows.length
      ? h("ul", { class: "plain waiting-list" }, rows)
      : h("p", { class: "muted", id: "waiting-empty" }, `You're all caught up with ${partnerName}. A check-in is always welcome.`),
  );
}
