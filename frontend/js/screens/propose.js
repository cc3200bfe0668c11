// Propose a protocol (#/propose), or renegotiate one (#/propose/<id>): every term the API takes.
// A renegotiation sends only the terms that changed, with If-Match set to the ETag of the terms
// this form was filled from, so a protocol that changed meanwhile is never overwritten unread.
// The server's 422 messages are shown next to the fields they name.
import { api, OfflineError } from "../api.js";
import { alertBox, h } from "../dom.js";
import { write } from "../outbox.js";
import { entity, trySync } from "../store.js";
import { DAYS, FIELDS, KINDS, changedFields, explain, partnerOf } from "./protocol.js";
import { takeProposal } from "./review/prefill.js";

const KIND_HINTS = {
  ritual: "Ritual: something done the same way, often at set times",
  rule: "Rule: something always or never done",
  task: "Task: something to get done",
  communication: "Communication: how and when you talk",
  care: "Care: how you look after each other",
};

// Friendlier words for the commonest validation errors; otherwise the server's own message.
function fieldMessage(field, error) {
  const type = error.type || "";
  if (field === "title" && /too_short|missing/.test(type)) return "Give it a title.";
  if (field === "title" && /too_long/.test(type)) return "A title is at most 120 characters.";
  if (field === "kind") return "Choose what kind of protocol it is.";
  if (field === "performer_ids" && (type === "too_short" || type === "missing")) return "Choose who performs it.";
  if (field === "schedule" && error.loc && error.loc.includes("times") && type === "too_short") return "Add at least one time, or turn the schedule off.";
  if (field === "schedule" && error.loc && error.loc.includes("weekdays") && type === "too_short") return "Choose at least one day, or turn the schedule off.";
  return error.msg ? error.msg.replace(/^Value error, /, "") : "Check this field.";
}

const CODE_FIELDS = {
  performer_not_member: "performer_ids",
  review_on_past: "review_on",
  review_on_too_far: "review_on",
};

function today() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

export async function render(root, ctx) {
  const id = ctx.params[0] || null;
  const me = ctx.me;
  const dynamicId = ctx.dynamic.id;
  let stopped = false;

  async function load() {
    let p = await entity("protocol", id);
    if (!p) {
      await trySync();
      p = await entity("protocol", id);
    }
    if (!p) {
      try {
        p = await api("GET", `/api/protocols/${encodeURIComponent(id)}`);
      } catch (failure) {
        if (failure instanceof OfflineError) return { offline: true };
        return null;
      }
    }
    return p;
  }

  async function mount(protocol, message = "") {
    if (stopped) return;
    const dynamic = (await entity("dynamic", dynamicId)) || ctx.dynamic;
    const partner = partnerOf(dynamic, me);
    const them = partner ? partner.display_name : "your partner";
    root.replaceChildren();
    if (id && (!protocol || protocol.offline)) {
      root.append(
        h("h1", {}, "Renegotiate"),
        h("p", { class: "card" }, protocol ? "You are offline, and this phone has not seen this protocol yet." : "This protocol is not here."),
        h("a", { href: "#/protocols", class: "proto-back" }, "All protocols"),
      );
      return;
    }
    if (protocol && (protocol.status === "declined" || protocol.status === "retired")) {
      root.append(
        h("h1", {}, "Renegotiate"),
        h("p", { class: "card" }, "This protocol is closed (declined or retired): propose a new one instead."),
        h("a", { href: "#/propose", class: "button" }, "Propose a protocol"),
      );
      return;
    }
    const base = protocol || {
      title: "",
      description: "",
      kind: "",
      performer_ids: [],
      schedule: null,
      reminders: true,
      review_on: null,
      ...takeProposal(), // issue 13: what a review's agenda suggested
    };
    const etag = protocol ? protocol.etag : null;

    const summary = alertBox();
    summary.id = "propose-error";
    summary.textContent = message;
    const errors = {};
    const errorLine = (field) => {
      errors[field] = h("p", { class: "proto-field-error", id: `err-${field}` });
      return errors[field];
    };

    const title = h("input", {
      type: "text",
      id: "p-title",
      name: "title",
      maxlength: "120",
      autocomplete: "off",
      "aria-describedby": "err-title",
      value: base.title,
    });
    const description = h("textarea", {
      id: "p-description",
      name: "description",
      rows: "4",
      maxlength: "4000",
      "aria-describedby": "hint-description err-description",
    });
    description.value = base.description || "";
    const kind = h(
      "select",
      { id: "p-kind", name: "kind", "aria-describedby": "err-kind" },
      h("option", { value: "" }, "Choose one"),
      Object.entries(KINDS).map(([value, label]) => h("option", { value, selected: value === base.kind }, label)),
    );

    const performerBoxes = (dynamic.members || [])
      .filter((m) => m.user_id)
      .sort((a, b) => (a.user_id === me.id ? -1 : b.user_id === me.id ? 1 : 0))
      .map((m) => {
        const box = h("input", {
          type: "checkbox",
          name: "performer",
          value: m.user_id,
          id: `p-performer-${m.user_id}`,
          checked: base.performer_ids.includes(m.user_id),
        });
        return [box, h("label", { class: "check", for: box.id }, box, m.user_id === me.id ? `Me (${m.display_name})` : m.display_name)];
      });

    // The schedule: on or off, its times of day and its weekdays.
    const scheduled = h("input", { type: "checkbox", id: "p-scheduled", checked: Boolean(base.schedule) });
    const timesList = h("div", { class: "proto-times", id: "p-times" });
    const addTime = h("button", { type: "button", class: "secondary", id: "add-time" }, "Add a time");
    function timeRow(value) {
      const input = h("input", { type: "time", class: "proto-time", value: value || "" });
      const remove = h("button", { type: "button", class: "secondary proto-remove" }, "Remove");
      const row = h("div", { class: "proto-time-row" }, h("label", {}, h("span", { class: "proto-time-label" }), input), remove);
      remove.addEventListener("click", () => {
        row.remove();
        numberTimes();
        addTime.focus();
      });
      return row;
    }
    function numberTimes() {
      const rows = [...timesList.children];
      rows.forEach((row, i) => {
        row.querySelector(".proto-time-label").textContent = `Time ${i + 1}`;
        row.querySelector(".proto-remove").setAttribute("aria-label", `Remove time ${i + 1}`);
      });
      addTime.disabled = rows.length >= 12;
    }
    addTime.addEventListener("click", () => {
      const row = timeRow("");
      timesList.append(row);
      numberTimes();
      row.querySelector("input").focus();
    });
    const startTimes = base.schedule ? base.schedule.times : [""];
    for (const t of startTimes) timesList.append(timeRow(t));
    numberTimes();
    const weekdays = base.schedule ? base.schedule.weekdays : [0, 1, 2, 3, 4, 5, 6];
    const dayBoxes = DAYS.map((day, i) => {
      const box = h("input", { type: "checkbox", id: `p-day-${i}`, value: String(i), checked: weekdays.includes(i) });
      return [box, h("label", { class: "check proto-day", for: box.id }, box, h("span", { "aria-hidden": "true" }, day.slice(0, 3)), h("span", { class: "proto-sr" }, day))];
    });
    const scheduleDetail = h(
      "div",
      { class: "proto-schedule", id: "p-schedule-detail" },
      timesList,
      addTime,
      h("fieldset", { class: "proto-days" }, h("legend", {}, "On these days"), h("div", { class: "proto-day-grid" }, dayBoxes.map(([, label]) => label))),
      h("p", { class: "muted" }, "Times are in each performer's own time zone."),
    );
    const toggleSchedule = () => {
      scheduleDetail.hidden = !scheduled.checked;
    };
    scheduled.addEventListener("change", toggleSchedule);
    toggleSchedule();

    const reminders = h("input", { type: "checkbox", id: "p-reminders", checked: base.reminders !== false });
    const review = h("input", {
      type: "date",
      id: "p-review",
      name: "review_on",
      min: today(),
      value: base.review_on || "",
      "aria-describedby": "hint-review err-review_on",
    });

    const submit = h("button", { type: "submit", id: "propose-submit", class: "big" }, protocol ? "Propose this change" : "Propose");
    const form = h(
      "form",
      { id: "propose-form", class: "proto-form", novalidate: true },
      h("div", { class: "proto-field" }, h("label", { for: "p-title" }, "Title"), title, errorLine("title")),
      h(
        "div",
        { class: "proto-field" },
        h("label", { for: "p-description" }, "Description (optional)"),
        description,
        h("p", { class: "muted proto-hint", id: "hint-description" }, "What exactly, how, and anything that matters to either of you."),
        errorLine("description"),
      ),
      h(
        "div",
        { class: "proto-field" },
        h("label", { for: "p-kind" }, "Kind"),
        kind,
        errorLine("kind"),
        h("ul", { class: "muted proto-hint" }, Object.values(KIND_HINTS).map((t) => h("li", {}, t))),
      ),
      h(
        "fieldset",
        { class: "proto-field", id: "p-performers", "aria-describedby": "err-performer_ids" },
        h("legend", {}, "Who performs it"),
        performerBoxes.map(([, label]) => label),
        errorLine("performer_ids"),
      ),
      h(
        "fieldset",
        { class: "proto-field", id: "p-schedule", "aria-describedby": "err-schedule" },
        h("legend", {}, "Schedule"),
        h("label", { class: "check", for: "p-scheduled" }, scheduled, "At set times"),
        scheduleDetail,
        errorLine("schedule"),
      ),
      h(
        "div",
        { class: "proto-field" },
        h("label", { class: "check", for: "p-reminders" }, reminders, "Remind the performer when it is due"),
        errorLine("reminders"),
      ),
      h(
        "div",
        { class: "proto-field" },
        h("label", { for: "p-review" }, "Review date (optional)"),
        review,
        h("p", { class: "muted proto-hint", id: "hint-review" }, "A day on which you are both reminded to look at it again."),
        errorLine("review_on"),
      ),
      summary,
      h("div", { class: "actions" }, submit, h("a", { href: protocol ? `#/protocol/${encodeURIComponent(id)}` : "#/protocols", class: "button secondary", id: "propose-cancel" }, "Cancel")),
    );

    const intro = protocol
      ? protocol.status === "active"
        ? `Your change becomes a new version. You agree to it by proposing it; the terms you both agreed stay in force until ${them} agrees to the change too.`
        : `Your change becomes a new version. You agree to it by proposing it; it starts only if ${them} agrees too.`
      : `You agree to it by proposing it. It starts only when ${them} agrees to the same terms, and either of you can stop it at any time.`;
    root.append(h("h1", {}, protocol ? `Renegotiate “${protocol.in_force ? protocol.in_force.title : protocol.title}”` : "Propose a protocol"), h("p", { class: "muted" }, intro), form);

    function collect() {
      const times = [...timesList.querySelectorAll("input")].map((i) => i.value).filter(Boolean).sort();
      const days = dayBoxes.filter(([box]) => box.checked).map(([box]) => Number(box.value));
      return {
        title: title.value.trim(),
        description: description.value.trim(),
        kind: kind.value,
        performer_ids: performerBoxes.filter(([box]) => box.checked).map(([box]) => box.value),
        schedule: scheduled.checked ? { times, weekdays: days } : null,
        reminders: reminders.checked,
        review_on: review.value || null,
      };
    }

    function clearErrors() {
      summary.textContent = "";
      for (const line of Object.values(errors)) line.textContent = "";
      for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
    }

    function markField(field, text) {
      const line = errors[field];
      if (!line) return false;
      line.textContent = line.textContent ? `${line.textContent} ${text}` : text;
      const control = { title, description, kind, review_on: review }[field];
      if (control) control.setAttribute("aria-invalid", "true");
      return true;
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors();
      const terms = collect();
      let payload = terms;
      if (protocol) {
        const changed = changedFields(base, terms);
        if (!changed.length) {
          summary.textContent = "Nothing changed yet: change a term first.";
          return;
        }
        payload = Object.fromEntries(changed.map((field) => [field, terms[field]]));
      } else if (!payload.kind) {
        payload = { ...payload, kind: null };
      }
      submit.disabled = true;
      try {
        const answer = await write({
          method: protocol ? "PATCH" : "POST",
          path: protocol ? `/api/protocols/${encodeURIComponent(id)}` : `/api/dynamics/${dynamicId}/protocols`,
          body: payload,
          ifMatch: etag,
          label: protocol ? "Renegotiation" : "Proposal",
          kind: "protocol",
          dynamic_id: dynamicId,
          offline: false,
        });
        await trySync();
        ctx.go(`protocol/${encodeURIComponent(answer.data.id)}`);
      } catch (failure) {
        submit.disabled = false;
        if (failure.code === "etag_mismatch") {
          await trySync();
          const latest = await load();
          await mount(latest, `${explain(failure, them)} The form now shows the latest terms: make your change again.`);
          const again = root.querySelector("#propose-error");
          if (again) again.scrollIntoView({ block: "center" });
          return;
        }
        let placed = false;
        if (failure.status === 422 && Array.isArray(failure.body && failure.body.errors)) {
          for (const problem of failure.body.errors) {
            const field = problem.loc && problem.loc[0] === "body" ? problem.loc[1] : null;
            if (field && FIELDS[field] && markField(field, fieldMessage(field, problem))) placed = true;
          }
        } else if (failure.code && CODE_FIELDS[failure.code]) {
          placed = markField(CODE_FIELDS[failure.code], failure.message);
        }
        summary.textContent = placed ? "Some terms need another look: see the messages next to them." : explain(failure, them);
        const first = form.querySelector("[aria-invalid], .proto-field-error:not(:empty)");
        if (first && first.focus) first.focus();
      }
    });
  }

  await mount(id ? await load() : null);
  return () => {
    stopped = true;
  };
}
