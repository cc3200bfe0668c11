// Notes that did not go with their red, yellow or "I see you" because this phone could not seal
// them (js/signals.js): said warmly, kept here, sent once the words are open, or let go.
import { h } from "../../dom.js";
import { unlocked } from "../../keyring.js";
import { heldNotes, letGo, sendHeld } from "../../signals.js";
import { LOCKED_WRITE, privacy, WordsLocked } from "../../words.js";

const WHAT = { red: "red", yellow: "yellow", seen: "“I see you”" };

// Under a signal's note field: where this phone cannot seal the note, it says so plainly before
// anything is sent (filled in once known, so the dialog never waits for it).
export function noteHint(dynamicId, what) {
  const hint = h("span", { class: "note-locked" });
  privacy(dynamicId).then((mode) => {
    if (mode === "locked")
      hint.textContent = `Your notes are private, and locked on this phone. Your ${what} still goes at once; a note waits here until you open your words (More → Private words), then you can send it.`;
  });
  return hint;
}

// Whether the signal a note belongs to still stands: a note is never sent to raise a flag again.
function stillStands(held, { mine, partner }) {
  if (held.kind === "red") return Boolean(mine?.red_at);
  if (held.kind === "yellow") return Boolean(mine?.yellow_at);
  return Boolean(partner?.red_at || partner?.yellow_at);
}

function heldItem(held, members, redraw) {
  const said = h("p", { class: "muted small" });
  const send = h("button", { type: "button", class: "secondary", hidden: !stillStands(held, members) }, "Send my note");
  send.addEventListener("click", async () => {
    send.disabled = true;
    try {
      await sendHeld(held);
      redraw();
    } catch (failure) {
      said.textContent = failure instanceof WordsLocked ? LOCKED_WRITE : failure.message;
      send.disabled = false;
    }
  });
  const open = unlocked() ? null : h("a", { href: "#/settings", class: "button secondary" }, "Open my words");
  return h(
    "li",
    { class: "held-note" },
    h("p", {}, `Your ${WHAT[held.kind]} went out at once, without your note. Your note is kept here, on this phone, for you:`),
    h("blockquote", {}, held.note),
    h(
      "div",
      { class: "actions" },
      send,
      open,
      h("button", { type: "button", class: "secondary", onclick: () => letGo(held.id) }, "Let it go"),
    ),
    said,
  );
}

// members: { dynamic, mine, partner }; null when nothing is held for this dynamic.
export function heldNotesCard(members, redraw) {
  const held = heldNotes(members.dynamic.id);
  if (!held.length) return null;
  return h(
    "section",
    { class: "card", id: "held-notes", "aria-labelledby": "held-notes-title" },
    h("h2", { id: "held-notes-title" }, "A note waiting on this phone"),
    h(
      "ul",
      { class: "plain" },
      held.map((item) => heldItem(item, members, redraw)),
    ),
  );
}
