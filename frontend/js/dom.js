// A tiny DOM builder: h("button", {type: "submit"}, "Save"). Text is always text, never HTML.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, "");
    else el.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

// `container` shows `parts` in their order; a child that reads as before (its markup) stays,
// never taken out and put back: an element removed between a press and its lift takes no tap.
export function keepSame(container, parts) {
  const before = new Map([...container.children].map((el) => [el.outerHTML, el]));
  const next = parts.map((part) => before.get(part.outerHTML) || part);
  for (const el of [...container.children]) if (!next.includes(el)) el.remove();
  next.forEach((el, i) => {
    if (container.children[i] !== el) container.insertBefore(el, container.children[i] || null);
  });
}

// Draws `parts` into `container` in place of what it showed, keeping what the person was in the
// middle of (a sync may redraw a screen at any moment): the field with focus keeps it, with its
// cursor, and a field they typed in or changed keeps their value in the new drawing (matched by
// id in the container). A field is theirs once an input or change event came from it, never
// because of how a drawing set it; a form that sends its words clears its field.
export function redraw(container, parts) {
  if (!container.dataset.edits) {
    const mark = (event) => event.target.id && event.target.setAttribute("data-edited", "");
    container.addEventListener("input", mark);
    container.addEventListener("change", mark);
    container.dataset.edits = "watched";
  }
  const active = container.contains(document.activeElement) ? document.activeElement : null;
  const selection = active && typeof active.selectionStart === "number" ? [active.selectionStart, active.selectionEnd] : null;
  const edited = [...container.querySelectorAll("[data-edited]")].filter((field) => field.id);
  container.replaceChildren(...parts);
  const inNew = (id) => container.querySelector(`#${CSS.escape(id)}`);
  for (const old of edited) {
    const field = inNew(old.id);
    if (!field || field.type !== old.type) continue;
    if (old.type === "checkbox" || old.type === "radio") field.checked = old.checked;
    else field.value = old.value;
    field.setAttribute("data-edited", "");
  }
  const again = active?.id && inNew(active.id);
  if (!again) return;
  again.focus({ preventScroll: true });
  if (selection && typeof again.selectionStart === "number") again.setSelectionRange(...selection);
}

// An error line that screen readers announce when it is filled.
export function alertBox() {
  return h("p", { role: "alert" });
}

// A modal confirmation; resolves true when the user confirms. With `note: {label, hint}` it
// also offers a short optional note and resolves with its text ("" for none), or null when
// cancelled.
export function confirmDialog({ title, text, confirm, danger = false, note = null }) {
  return new Promise((resolve) => {
    const field = note ? h("textarea", { id: "confirm-note", maxlength: 500, rows: 2 }) : null;
    const dialog = h(
      "dialog",
      { "aria-labelledby": "confirm-title" },
      h("h2", { id: "confirm-title" }, title),
      h("p", {}, text),
      note ? h("label", { for: "confirm-note" }, note.label) : null,
      field,
      note?.hint ? h("p", { class: "muted" }, note.hint) : null,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "secondary", value: "cancel", onclick: () => dialog.close("cancel") }, "Cancel"),
        h("button", { type: "button", class: danger ? "danger" : "", value: "confirm", onclick: () => dialog.close("confirm") }, confirm),
      ),
    );
    dialog.addEventListener("close", () => {
      dialog.remove();
      const ok = dialog.returnValue === "confirm";
      if (note) resolve(ok ? field.value.trim() : null);
      else resolve(ok);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// A short confirmation that outlives the screen (home is drawn right after a check-in).
export function toast(text) {
  const old = document.getElementById("toast");
  if (old) old.remove();
  const note = h("p", { id: "toast", class: "toast", role: "status" }, text);
  document.body.append(note);
  setTimeout(() => note.remove(), 4000);
}
