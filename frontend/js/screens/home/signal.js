// The partner's red or yellow, at the top of home: what they said, when, and "I see you" with
// an optional note; a short vibration the first time this phone shows it, where allowed.
import { h } from "../../dom.js";
import { clockText as clock } from "../../format.js";
import { wordsOf } from "../../words.js";
import { noteHint } from "./held-notes.js";

const FELT_KEY = "accord.signals-felt";

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
export function feel(partner) {
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

// A member's signal note, quoted after `lead`: opened on this phone where it is private
// (sealed for member:<their id>:<field>), or said to be locked here.
export function quoted(dynamicId, member, field, lead) {
  const value = member[field];
  return [`${lead}“`, wordsOf("span", {}, { dynamicId, value, entity: "member", id: member.user_id, field }), "”"];
}

// The partner's red or yellow takes over the top of home: what they said, and "I see you".
// `mine` and `partner` are the two members (home/state.js memberState).
export function partnerSignal({ dynamicId, mine, partner }, onSee) {
  if (!partner || !(partner.red_at || partner.yellow_at)) {
    seenDraft.text = "";
    return null;
  }
  const name = partner.display_name;
  const red = Boolean(partner.red_at);
  const seenAt = red ? mine?.saw_red_at : mine?.saw_yellow_at;
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
  const field = red ? "red_note" : "yellow_note";
  if (partner[field]) parts.push(h("p", { class: "signal-note" }, quoted(dynamicId, partner, field, `${name}: `)));
  if (red && partner.yellow_at && partner.yellow_note)
    parts.push(h("p", { class: "signal-note" }, quoted(dynamicId, partner, "yellow_note", `${name} (yellow): `)));
  if (seenAt) {
    parts.push(h("p", { id: "seen-done" }, `You told ${name} you see them at ${clock(seenAt)}.`));
    if (mine.saw_note) parts.push(h("p", { class: "muted" }, quoted(dynamicId, mine, "saw_note", "You said: ")));
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
      h("p", { class: "muted small" }, noteHint(dynamicId, "“I see you”")),
      button,
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      button.disabled = true;
      onSee(words.value.trim()).finally(() => {
        button.disabled = false;
      });
      // Sent: the field is empty again, in this drawing and the next (home keeps what was typed).
      seenDraft.text = "";
      words.value = "";
    });
    parts.push(form);
  }
  return h(
    "section",
    {
      class: `takeover ${red ? "takeover-red" : "takeover-yellow"}`,
      id: "partner-signal",
      role: "alert",
      "aria-labelledby": "signal-title",
    },
    parts,
  );
}
