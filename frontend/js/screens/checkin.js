// The quick check-in (#/checkin): from home, the "Check in" tab (1), a mood face (2), Save (3).
// Everything else (energy, gave, received, needs, the deal question, a note) is optional and
// below (the questions are in ./checkin/). occurred_at is the phone's time when Save is
// pressed, so a check-in that waits in the outbox keeps the moment it was made.
import { alertBox, h, toast } from "../dom.js";
import { describe } from "../errors.js";
import { NEEDS } from "../moods.js";
import { write } from "../outbox.js";
import { entity, subscribe } from "../store.js";
import { privacy, sealFields, WordsLocked } from "../words.js";
import { amountScales, dealScale, moodField, picked } from "./checkin/fields.js";
import { CUSTOM_NEED_MAX, MAX_NEEDS, needsField } from "./checkin/needs.js";
import { CHECKIN_CODES, privacyHint, WORDS_LOCKED } from "./checkin/words.js";

function closed() {
  return h(
    "section",
    { class: "card", id: "checkin-closed" },
    h("p", {}, "This dynamic has ended, so check-ins are closed. What you shared before stays readable."),
    h("p", {}, h("a", { href: "#/checkins" }, "See past check-ins")),
  );
}

// The dynamic's state as the feed last told it: paused shows a note, ended closes the form.
function showState(state, form, notice) {
  if (state === "ended") {
    form.replaceWith(closed());
    notice.replaceChildren();
    return;
  }
  const paused = h(
    "p",
    { class: "card state-paused", id: "paused-note" },
    "Things are paused. You can still check in: this is when it matters most.",
  );
  notice.replaceChildren(state === "paused" ? paused : "");
}

// The check-in to send, or {problem} saying what is missing first.
function collect(form, needs, note) {
  const mood = picked(form, "mood");
  if (mood === null) return { problem: "Choose how you are (1 to 5) first.", focus: form.querySelector('input[name="mood"]') };
  const list = needs.chosen();
  if (list.length > MAX_NEEDS) return { problem: `At most ${MAX_NEEDS} needs: unselect one.` };
  // Checked here: sealed, the server can no longer count its characters.
  if (list.some((need) => [...need].length > CUSTOM_NEED_MAX)) {
    return {
      problem: `Needs: a need in your own words is ${CUSTOM_NEED_MAX} characters at most.`,
      focus: form.querySelector("#custom-need"),
    };
  }
  const body = { mood, needs: list, occurred_at: new Date().toISOString() };
  for (const name of ["energy", "gave", "received", "deal"]) {
    const value = picked(form, name);
    if (value !== null) body[name] = value;
  }
  if (note.value.trim()) body.note = note.value.trim().normalize("NFC");
  return { body };
}

// The check-in as it goes into the outbox: its id made here, and its words sealed where the
// dynamic is private (the fixed need chips stay in clear: the balance counts them).
async function sealed(dynamicId, body) {
  const id = globalThis.crypto.randomUUID();
  const words = await sealFields(dynamicId, "checkin", id, { note: body.note, needs: body.needs }, (need) => NEEDS.includes(need));
  return { ...body, ...words, id };
}

// Sends the form once at a time; then home, with a word of thanks that outlives the screen.
function sending(form, { dynamic, needs, note, error, go }) {
  let busy = false;
  const buttons = (disabled) => {
    for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = disabled;
  };
  return async (event) => {
    event.preventDefault();
    if (busy) return;
    error.textContent = "";
    const { body, problem, focus } = collect(form, needs, note);
    if (problem) {
      error.textContent = problem;
      if (focus) focus.focus();
      return;
    }
    busy = true;
    buttons(true);
    try {
      const path = `/api/dynamics/${dynamic.id}/checkins`;
      const result = await write({
        method: "POST",
        path,
        body: await sealed(dynamic.id, body),
        label: "Check-in",
        kind: "checkin",
        dynamic_id: dynamic.id,
        offline: true,
      });
      toast(result.queued ? "Saved on this phone; it will be sent when you're back online." : "Checked in. Thank you.");
      go("home");
    } catch (failure) {
      error.textContent = failure instanceof WordsLocked ? WORDS_LOCKED : describe(failure, { codes: CHECKIN_CODES });
      error.scrollIntoView({ block: "nearest" });
    } finally {
      busy = false;
      buttons(false);
    }
  };
}

export async function render(root, ctx) {
  const dynamic = ctx.dynamic;
  const partner = dynamic.members.find((m) => m.user_id !== ctx.me.id);
  const partnerName = partner ? partner.display_name : "My partner";
  root.append(h("h1", {}, "Check in"));
  if (dynamic.state === "ended") {
    root.append(closed());
    return;
  }
  const error = alertBox();
  const needs = needsField();
  const note = h("textarea", { id: "note", name: "note", rows: "3", maxlength: "1000", "aria-describedby": "note-privacy" });
  const noteHint = h("p", { class: "hint muted", id: "note-privacy" });
  privacy(dynamic.id).then((mode) => {
    noteHint.textContent = privacyHint(mode, partnerName);
    noteHint.dataset.privacy = mode;
  });
  const form = h(
    "form",
    { id: "checkin-form", novalidate: true },
    moodField(),
    h("button", { type: "submit", class: "big", id: "save" }, "Save"),
    error,
    h(
      "div",
      { class: "optional" },
      h("h2", {}, "More, if you like"),
      amountScales(),
      needs.field,
      dealScale(partnerName),
      h("label", { for: "note" }, "A note (optional)", note),
      noteHint,
      h("button", { type: "submit", class: "big", id: "save-bottom" }, "Save check-in"),
    ),
  );
  form.addEventListener("submit", sending(form, { dynamic, needs, note, error, go: ctx.go }));

  const notice = h("div", { id: "dynamic-state", "aria-live": "polite" });
  root.append(notice, form);
  showState(dynamic.state, form, notice);
  return subscribe((message) => {
    if (message.type !== "sync" || !(message.entities || []).includes("dynamic")) return;
    entity("dynamic", dynamic.id).then((fresh) => {
      if (fresh) showState(fresh.state, form, notice);
    });
  });
}
