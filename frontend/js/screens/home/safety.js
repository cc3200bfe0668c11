// The two safety calls and their way back, each behind a confirmation: red stops everything,
// yellow asks to talk, resume lifts my own flags. `act(kind, options)` sends the call.
import { confirmDialog, h } from "../../dom.js";
import { noteHint } from "./held-notes.js";

// A red, a yellow or an "I see you" may carry a short note; an empty one sends none.
export const withNote = (note) => ({ body: note ? { note } : {} });

function redButton(dynamicId, partnerName, act) {
  const red = h("button", { type: "button", class: "danger big", id: "red" }, "Red: stop everything");
  red.addEventListener("click", async () => {
    const note = await confirmDialog({
      title: "Call red?",
      text: `This pauses everything between you and ${partnerName} at once, and tells them.`,
      confirm: "Call red",
      danger: true,
      note: { label: `Anything ${partnerName} should know? (optional)`, hint: noteHint(dynamicId, "red") },
    });
    if (note !== null) act("red", withNote(note));
  });
  return red;
}

function yellowButton(dynamicId, partnerName, act) {
  const yellow = h("button", { type: "button", class: "caution big", id: "yellow" }, "Yellow: we need to talk");
  yellow.addEventListener("click", async () => {
    const note = await confirmDialog({
      title: "Raise yellow?",
      text: `This tells ${partnerName} you want to slow down and talk. It pauses nothing.`,
      confirm: "Raise yellow",
      note: { label: `What would you like to talk about? (optional)`, hint: noteHint(dynamicId, "yellow") },
    });
    if (note !== null) act("yellow", withNote(note));
  });
  return yellow;
}

// Resume is shown while there is something to resume: a flag of mine, or a pause (then
// disabled when only the partner can lift it, so it is clear why nothing can be done).
function resumeButton({ mine, partner, paused }, act) {
  const standing = Boolean(mine && (mine.red_at || mine.yellow_at));
  const partnerRed = Boolean(partner?.red_at);
  const resume = h(
    "button",
    { type: "button", class: "secondary big", id: "resume", disabled: !standing, hidden: !standing && !paused },
    "Resume",
  );
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
  return resume;
}

// members: { dynamicId, mine, partner, paused } (home/state.js memberState, and whether the dynamic is paused).
export function safetyCalls(members, partnerName, act) {
  const { dynamicId } = members;
  return h(
    "div",
    { class: "safety" },
    redButton(dynamicId, partnerName, act),
    yellowButton(dynamicId, partnerName, act),
    resumeButton(members, act),
  );
}
