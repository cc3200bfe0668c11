// The quick check-in (#/checkin): from home, the "Check in" tab (1), a mood face (2), Save (3).
// Everything else (energy, gave, received, needs, the deal question, a note) is optional and
// below. occurred_at is the phone's time when Save is pressed, so a check-in that waits in the
// outbox keeps the moment it was made.
import { ApiError } from "../api.js";
import { alertBox, h } from "../dom.js";
import { face, MOODS, NEEDS, needLabel } from "../moods.js";
import { write } from "../outbox.js";
import { entity, subscribe } from "../store.js";

const SCALE = [
  [1, "1 — very little"],
  [2, "2 — a little"],
  [3, "3 — some"],
  [4, "4 — a lot"],
  [5, "5 — very much"],
];
const ENERGY = [
  [1, "1 — very low"],
  [2, "2 — low"],
  [3, "3 — medium"],
  [4, "4 — high"],
  [5, "5 — very high"],
];
const FIELDS = { mood: "Mood", energy: "Energy", gave: "Gave", received: "Received", needs: "Needs", deal: "Better deal", note: "Note", occurred_at: "Time" };

// The deal question from the person's side: −3 "my partner, by far" … +3 "me, by far".
function dealLabels(partnerName) {
  return [
    [-3, `${partnerName}, by far`, "−3"],
    [-2, `${partnerName}, clearly`, "−2"],
    [-1, `${partnerName}, a little`, "−1"],
    [0, "Equal", "0"],
    [1, "Me, a little", "+1"],
    [2, "Me, clearly", "+2"],
    [3, "Me, by far", "+3"],
  ];
}

function fieldName(loc) {
  const parts = (loc || []).filter((p) => p !== "body");
  return FIELDS[parts[0]] || String(parts[0] || "Check-in");
}

// A short confirmation that outlives the screen (home is drawn right after a check-in).
export function toast(text) {
  const old = document.getElementById("toast");
  if (old) old.remove();
  const note = h("p", { id: "toast", class: "toast", role: "status" }, text);
  document.body.append(note);
  setTimeout(() => note.remove(), 4000);
}

const MAX_NEEDS = 5;

// A row of radio buttons, one big touch target each. `skip` adds a first "not said" choice,
// checked, so an optional question can be left (or set back to) unanswered.
function scale(name, legend, choices, { skip = false, hint = null, wide = false } = {}) {
  const options = [];
  if (skip) options.push([null, "Not said", "–"]);
  for (const [value, label, short] of choices) options.push([value, label, short]);
  return h(
    "fieldset",
    { class: wide ? "scale wide" : "scale", id: `${name}-field` },
    h("legend", {}, legend),
    hint ? h("p", { class: "hint muted" }, hint) : null,
    h(
      "div",
      { class: "scale-options" },
      options.map(([value, label, short]) =>
        h(
          "label",
          { class: value === null ? "scale-option skip" : "scale-option" },
          h("input", { type: "radio", name, value: value === null ? "" : String(value), checked: skip && value === null }),
          h("span", { class: "scale-short", "aria-hidden": "true" }, short),
          h("span", { class: "scale-label" }, label),
        ),
      ),
    ),
  );
}

function picked(form, name) {
  const input = form.querySelector(`input[name="${name}"]:checked`);
  if (!input || input.value === "") return null;
  return Number(input.value);
}

export async function render(root, ctx) {
  const dynamic = ctx.dynamic;
  const me = ctx.me;
  const partner = dynamic.members.find((m) => m.user_id !== me.id);
  const partnerName = partner ? partner.display_name : "My partner";
  const error = alertBox();
  root.append(h("h1", {}, "Check in"));

  const closed = () =>
    h(
      "section",
      { class: "card", id: "checkin-closed" },
      h("p", {}, "This dynamic has ended, so check-ins are closed. What you shared before stays readable."),
      h("p", {}, h("a", { href: "#/checkins" }, "See past check-ins")),
    );
  if (dynamic.state === "ended") {
    root.append(closed());
    return;
  }

  const moods = h(
    "fieldset",
    { class: "moods", id: "mood-field" },
    h("legend", {}, "How are you right now?"),
    h(
      "div",
      { class: "mood-options" },
      MOODS.map(([value, label]) =>
        h(
          "label",
          { class: "mood-option" },
          h("input", { type: "radio", name: "mood", value: String(value), required: true }),
          face(value),
          h("span", { class: "mood-label" }, `${value} — ${label}`),
        ),
      ),
    ),
  );

  const save = h("button", { type: "submit", class: "big", id: "save" }, "Save");

  // Needs: the fixed chips, plus one in the person's own words. At most five in all.
  const chips = NEEDS.map((need) =>
    h(
      "label",
      { class: "chip" },
      h("input", { type: "checkbox", name: "need", value: need }),
      h("span", {}, needLabel(need)),
    ),
  );
  const custom = h("input", { type: "text", id: "custom-need", name: "custom", autocomplete: "off", "aria-describedby": "custom-hint" });
  const needCount = h("p", { class: "hint muted", id: "need-count", "aria-live": "polite" }, `Up to ${MAX_NEEDS}.`);
  const needs = h(
    "fieldset",
    { class: "needs", id: "needs-field" },
    h("legend", {}, "What do you need?"),
    needCount,
    h("div", { class: "chips" }, chips),
    h(
      "label",
      { for: "custom-need", class: "custom-need" },
      "Something else, in your own words",
      custom,
    ),
    h("p", { class: "hint muted", id: "custom-hint" }, "A few words, 24 characters at most."),
  );

  function chosenNeeds(form) {
    const list = [...form.querySelectorAll('input[name="need"]:checked')].map((i) => i.value);
    const own = custom.value.trim();
    if (own) list.push(own);
    return list;
  }

  function updateNeeds() {
    const count = chosenNeeds(form).length;
    needCount.textContent = count ? `${count} of ${MAX_NEEDS} chosen.` : `Up to ${MAX_NEEDS}.`;
    for (const chip of form.querySelectorAll('input[name="need"]')) chip.disabled = !chip.checked && count >= MAX_NEEDS;
  }

  const deals = dealLabels(partnerName);
  const note = h("textarea", { id: "note", name: "note", rows: "3", maxlength: "1000" });

  const form = h(
    "form",
    { id: "checkin-form", novalidate: true },
    moods,
    save,
    error,
    h(
      "div",
      { class: "optional" },
      h("h2", {}, "More, if you like"),
      scale("energy", "Energy", ENERGY.map(([v, l]) => [v, l, String(v)]), { skip: true, hint: "1 very low · 5 very high" }),
      scale("gave", "How much I gave since my last check-in", SCALE.map(([v, l]) => [v, l, String(v)]), { skip: true, hint: "1 very little · 5 very much" }),
      scale("received", "How much I received since my last check-in", SCALE.map(([v, l]) => [v, l, String(v)]), { skip: true, hint: "1 very little · 5 very much" }),
      needs,
      scale("deal", "Considering what each of us puts in and gets out, who gets the better deal?", deals, {
        skip: true,
        wide: true,
      }),
      h("label", { for: "note" }, "A note (optional)", note),
      h("button", { type: "submit", class: "big", id: "save-bottom" }, "Save check-in"),
    ),
  );
  form.addEventListener("change", updateNeeds);
  custom.addEventListener("input", updateNeeds);

  // The dynamic's state as the feed last told it: paused shows a note, ended closes the form.
  const notice = h("div", { id: "dynamic-state", "aria-live": "polite" });
  function showState(state) {
    if (state === "ended") {
      form.replaceWith(closed());
      notice.replaceChildren();
      return;
    }
    notice.replaceChildren(
      state === "paused"
        ? h("p", { class: "card state-paused", id: "paused-note" }, "Things are paused. You can still check in: this is when it matters most.")
        : "",
    );
  }
  root.append(notice, form);
  showState(dynamic.state);
  const unsubscribe = subscribe((message) => {
    if (message.type !== "sync" || !(message.entities || []).includes("dynamic")) return;
    entity("dynamic", dynamic.id).then((fresh) => {
      if (fresh) showState(fresh.state);
    });
  });

  let busy = false;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    error.textContent = "";
    const mood = picked(form, "mood");
    if (mood === null) {
      error.textContent = "Choose how you are (1 to 5) first.";
      form.querySelector('input[name="mood"]').focus();
      return;
    }
    const list = chosenNeeds(form);
    if (list.length > MAX_NEEDS) {
      error.textContent = `At most ${MAX_NEEDS} needs: unselect one.`;
      return;
    }
    const body = { mood, needs: list, occurred_at: new Date().toISOString() };
    for (const name of ["energy", "gave", "received", "deal"]) {
      const value = picked(form, name);
      if (value !== null) body[name] = value;
    }
    if (note.value.trim()) body.note = note.value;

    busy = true;
    for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = true;
    try {
      const result = await write({
        method: "POST",
        path: `/api/dynamics/${dynamic.id}/checkins`,
        body,
        label: "Check-in",
        kind: "checkin",
        dynamic_id: dynamic.id,
        offline: true,
      });
      toast(result.queued ? "Saved on this phone; it will be sent when you're back online." : "Checked in. Thank you.");
      ctx.go("home");
    } catch (failure) {
      error.textContent = describe(failure);
      error.scrollIntoView({ block: "nearest" });
    } finally {
      busy = false;
      for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = false;
    }
  });
  return unsubscribe;
}

// A refusal in words a person can act on.
function describe(failure) {
  if (!(failure instanceof ApiError)) return failure.message || "Something went wrong. Try again.";
  if (failure.code === "dynamic_ended") return "This dynamic has ended, so check-ins are closed.";
  if (failure.code === "occurred_at_out_of_range") return "This phone's clock looks wrong: check its date and time, then try again.";
  const problems = (failure.body && failure.body.errors) || [];
  if (failure.status === 422 && problems.length) {
    return (
      "Not saved. " +
      problems
        .map((p) => {
          const field = fieldName(p.loc);
          const message = String(p.msg || "").replace(/^Value error, /, "");
          return `${field}: ${message}.`;
        })
        .join(" ")
    );
  }
  return `Not saved: ${failure.message}`;
}
