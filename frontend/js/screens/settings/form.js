// The pieces every settings section is made of: a labelled field, a checkbox, a section card,
// and the status and alert lines of a form.
import { setUser } from "../../api.js";
import { alertBox, h } from "../../dom.js";
import { describe } from "../../errors.js";
import { write } from "../../outbox.js";

// A status line (polite) next to an alert line (assertive), for one form.
export function feedback() {
  const status = h("p", { role: "status", class: "settings-status" });
  const error = alertBox();
  return {
    nodes: [status, error],
    clear() {
      status.textContent = "";
      error.textContent = "";
    },
    ok(text) {
      error.textContent = "";
      status.textContent = text;
    },
    fail(failure) {
      status.textContent = "";
      error.textContent = typeof failure === "string" ? failure : describe(failure);
    },
  };
}

let ids = 0;
export function field(labelText, control, hint) {
  const id = control.id || `f${++ids}`;
  control.id = id;
  const hintNode = hint ? h("span", { class: "set-hint", id: `${id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  return h("div", { class: "set-field" }, h("label", { for: id }, labelText), hintNode, control);
}

export function checkbox(id, labelText, checked) {
  const input = h("input", { type: "checkbox", id, checked: Boolean(checked) });
  return [input, h("label", { class: "check", for: id }, input, h("span", {}, labelText))];
}

export function section(id, title, ...children) {
  return h(
    "section",
    { class: "card settings-section", "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title),
    ...children,
  );
}

// Marks one input of a form as wrong (and only that one), and puts the cursor in it.
export function flag(form, input) {
  for (const other of form.querySelectorAll("input")) other.removeAttribute("aria-invalid");
  if (!input) return;
  input.setAttribute("aria-invalid", "true");
  input.focus();
}

// Saves part of the profile (PATCH /api/me, never queued) and keeps the answer as the signed-in
// person; resolves with it.
export async function saveMe(body, label = "Settings") {
  const { data } = await write({ method: "PATCH", path: "/api/me", body, label, offline: false });
  await setUser(data);
  return data;
}

// A form of the sign-in details: on submit, `check()` says what is wrong before anything is sent
// ([words, input] or null), `send()` does the work and resolves with the words for it, and
// `refused(error)` says why the server refused ([words, input]). The input at fault is marked.
export function sendForm(form, note, button, { check, send, refused }) {
  const fail = (text, input) => {
    note.fail(text);
    flag(form, input);
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    note.clear();
    flag(form, null);
    const wrong = check();
    if (wrong) return fail(...wrong);
    button.disabled = true;
    try {
      note.ok(await send());
    } catch (error) {
      fail(...refused(error));
    } finally {
      button.disabled = false;
    }
  });
}
