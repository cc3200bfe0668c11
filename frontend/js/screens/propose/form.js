// The terms form: title, description, kind, performers, schedule, reminders and review date,
// each with a line for what is wrong with it.
import { alertBox, h } from "../../dom.js";
import { KINDS } from "../../protocol-terms.js";
import { schedulePart } from "./schedule.js";

const KIND_HINTS = {
  ritual: "Ritual: something done the same way, often at set times",
  rule: "Rule: something always or never done",
  task: "Task: something to get done",
  communication: "Communication: how and when you talk",
  care: "Care: how you look after each other",
};

// Today on this phone, as a date input takes it.
function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function controls(base) {
  const description = h("textarea", {
    id: "p-description",
    name: "description",
    rows: "4",
    maxlength: "4000",
    "aria-describedby": "hint-description err-description",
  });
  description.value = base.description || "";
  return {
    title: h("input", {
      type: "text",
      id: "p-title",
      name: "title",
      maxlength: "120",
      autocomplete: "off",
      "aria-describedby": "err-title",
      value: base.title,
    }),
    description,
    kind: h(
      "select",
      { id: "p-kind", name: "kind", "aria-describedby": "err-kind" },
      h("option", { value: "" }, "Choose one"),
      Object.entries(KINDS).map(([value, label]) => h("option", { value, selected: value === base.kind }, label)),
    ),
    reminders: h("input", { type: "checkbox", id: "p-reminders", checked: base.reminders !== false }),
    review: h("input", {
      type: "date",
      id: "p-review",
      name: "review_on",
      min: today(),
      value: base.review_on || "",
      "aria-describedby": "hint-review err-review_on",
    }),
  };
}

// A checkbox for each member, me first.
function performers(dynamic, me, chosen) {
  return (dynamic.members || [])
    .filter((m) => m.user_id)
    .sort((a, b) => (a.user_id === me.id ? -1 : b.user_id === me.id ? 1 : 0))
    .map((m) => {
      const box = h("input", {
        type: "checkbox",
        name: "performer",
        value: m.user_id,
        id: `p-performer-${m.user_id}`,
        checked: chosen.includes(m.user_id),
      });
      return [box, h("label", { class: "check", for: box.id }, box, m.user_id === me.id ? `Me (${m.display_name})` : m.display_name)];
    });
}

function fields(c, boxes, schedule, line) {
  const div = (...children) => h("div", { class: "proto-field" }, ...children);
  const hint = (id, text) => h("p", { class: "muted proto-hint", id }, text);
  return [
    div(h("label", { for: "p-title" }, "Title"), c.title, line("title")),
    div(
      h("label", { for: "p-description" }, "Description (optional)"),
      c.description,
      hint("hint-description", "What exactly, how, and anything that matters to either of you."),
      line("description"),
    ),
    div(
      h("label", { for: "p-kind" }, "Kind"),
      c.kind,
      line("kind"),
      h(
        "ul",
        { class: "muted proto-hint" },
        Object.values(KIND_HINTS).map((t) => h("li", {}, t)),
      ),
    ),
    h(
      "fieldset",
      { class: "proto-field", id: "p-performers", "aria-describedby": "err-performer_ids" },
      h("legend", {}, "Who performs it"),
      boxes.map(([, label]) => label),
      line("performer_ids"),
    ),
    h(
      "fieldset",
      { class: "proto-field", id: "p-schedule", "aria-describedby": "err-schedule" },
      h("legend", {}, "Schedule"),
      ...schedule.nodes,
      line("schedule"),
    ),
    div(h("label", { class: "check", for: "p-reminders" }, c.reminders, "Remind the performer when it is due"), line("reminders")),
    div(
      h("label", { for: "p-review" }, "Review date (optional)"),
      c.review,
      hint("hint-review", "A day on which you are both reminded to look at it again."),
      line("review_on"),
    ),
  ];
}

// `base`: the terms to start from. Returns {form, summary, submit, collect(), clearErrors(),
// mark(field, words)}.
export function termsForm(base, dynamic, me, { submitText, cancelHref }) {
  const c = controls(base);
  const boxes = performers(dynamic, me, base.performer_ids);
  const schedule = schedulePart(base.schedule);
  const errors = {};
  const line = (field) => {
    errors[field] = h("p", { class: "proto-field-error", id: `err-${field}` });
    return errors[field];
  };
  const summary = Object.assign(alertBox(), { id: "propose-error" });
  const submit = h("button", { type: "submit", id: "propose-submit", class: "big" }, submitText);
  const cancel = h("a", { href: cancelHref, class: "button secondary", id: "propose-cancel" }, "Cancel");
  const form = h(
    "form",
    { id: "propose-form", class: "proto-form", novalidate: true },
    ...fields(c, boxes, schedule, line),
    summary,
    h("div", { class: "actions" }, submit, cancel),
  );
  const collect = () => ({
    title: c.title.value.trim(),
    description: c.description.value.trim(),
    kind: c.kind.value,
    performer_ids: boxes.filter(([box]) => box.checked).map(([box]) => box.value),
    schedule: schedule.value(),
    reminders: c.reminders.checked,
    review_on: c.review.value || null,
  });
  const clearErrors = () => {
    summary.textContent = "";
    for (const each of Object.values(errors)) each.textContent = "";
    for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  };
  const mark = (field, text) => {
    const each = errors[field];
    if (!each) return false;
    each.textContent = each.textContent ? `${each.textContent} ${text}` : text;
    const control = { title: c.title, description: c.description, kind: c.kind, review_on: c.review }[field];
    if (control) control.setAttribute("aria-invalid", "true");
    return true;
  };
  return { form, summary, submit, collect, clearErrors, mark };
}
