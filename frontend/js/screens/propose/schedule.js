// The schedule of a protocol on the form: on or off, its times of day (up to 12) and weekdays.
import { h } from "../../dom.js";
import { DAYS } from "../../protocol-terms.js";

const MAX_TIMES = 12;

function timesPart(start) {
  const list = h("div", { class: "proto-times", id: "p-times" });
  const add = h("button", { type: "button", class: "secondary", id: "add-time" }, "Add a time");
  const number = () => {
    const rows = [...list.children];
    rows.forEach((row, i) => {
      row.querySelector(".proto-time-label").textContent = `Time ${i + 1}`;
      row.querySelector(".proto-remove").setAttribute("aria-label", `Remove time ${i + 1}`);
    });
    add.disabled = rows.length >= MAX_TIMES;
  };
  const row = (value) => {
    const input = h("input", { type: "time", class: "proto-time", value: value || "" });
    const remove = h("button", { type: "button", class: "secondary proto-remove" }, "Remove");
    const line = h("div", { class: "proto-time-row" }, h("label", {}, h("span", { class: "proto-time-label" }), input), remove);
    remove.addEventListener("click", () => {
      line.remove();
      number();
      add.focus();
    });
    return line;
  };
  add.addEventListener("click", () => {
    const line = row("");
    list.append(line);
    number();
    line.querySelector("input").focus();
  });
  list.append(...start.map(row));
  number();
  return { list, add };
}

function dayBoxes(weekdays) {
  return DAYS.map((day, i) => {
    const box = h("input", { type: "checkbox", id: `p-day-${i}`, value: String(i), checked: weekdays.includes(i) });
    const label = h(
      "label",
      { class: "check proto-day", for: box.id },
      box,
      h("span", { "aria-hidden": "true" }, day.slice(0, 3)),
      h("span", { class: "proto-sr" }, day),
    );
    return [box, label];
  });
}

// `schedule`: the terms' schedule or null. Returns the fieldset's nodes and value() (the
// schedule as the API takes it).
export function schedulePart(schedule) {
  const scheduled = h("input", { type: "checkbox", id: "p-scheduled", checked: Boolean(schedule) });
  const times = timesPart(schedule ? schedule.times : [""]);
  const days = dayBoxes(schedule ? schedule.weekdays : [0, 1, 2, 3, 4, 5, 6]);
  const detail = h(
    "div",
    { class: "proto-schedule", id: "p-schedule-detail" },
    times.list,
    times.add,
    h(
      "fieldset",
      { class: "proto-days" },
      h("legend", {}, "On these days"),
      h(
        "div",
        { class: "proto-day-grid" },
        days.map(([, label]) => label),
      ),
    ),
    h("p", { class: "muted" }, "Times are in each performer's own time zone."),
  );
  const toggle = () => {
    detail.hidden = !scheduled.checked;
  };
  scheduled.addEventListener("change", toggle);
  toggle();
  const value = () => {
    if (!scheduled.checked) return null;
    const chosen = [...times.list.querySelectorAll("input")]
      .map((i) => i.value)
      .filter(Boolean)
      .sort();
    return { times: chosen, weekdays: days.filter(([box]) => box.checked).map(([box]) => Number(box.value)) };
  };
  return { nodes: [h("label", { class: "check", for: "p-scheduled" }, scheduled, "At set times"), detail], value };
}
