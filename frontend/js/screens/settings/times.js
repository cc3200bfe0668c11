// Time zone, quiet hours and the daily check-in reminder.
import { h } from "../../dom.js";
import { checkbox, feedback, field, saveMe, section } from "./form.js";

function timeZones(current) {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    zones = []; // an older browser lists none: the person's, this phone's and UTC remain
  }
  const device = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return [...new Set([...zones, current, device, "UTC"].filter(Boolean))].sort();
}

function zoneField(me) {
  const device = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zone = h(
    "select",
    { id: "timezone" },
    timeZones(me.timezone).map((z) => h("option", { value: z, selected: z === me.timezone }, z.replace(/_/g, " "))),
  );
  const label = `Use this phone's time zone (${(device || "").replace(/_/g, " ")})`;
  const useDevice = h(
    "button",
    { type: "button", class: "secondary", id: "use-device-zone", hidden: !device || device === me.timezone },
    label,
  );
  useDevice.addEventListener("click", () => {
    zone.value = device;
    useDevice.hidden = true;
  });
  zone.addEventListener("change", () => {
    useDevice.hidden = !device || zone.value === device;
  });
  return { zone, nodes: [field("Time zone", zone, "Reminders and “today” follow it."), useDevice] };
}

// The times of the form as PATCH /api/me takes them, or the words saying what is missing.
function times({ zone, quietOn, quietStart, quietEnd, remindOn, remindAt }) {
  const body = { timezone: zone.value, quiet_hours_start: null, quiet_hours_end: null };
  if (quietOn.checked) {
    if (!quietStart.value || !quietEnd.value) return [null, "Give quiet hours a start and an end."];
    if (quietStart.value === quietEnd.value) return [null, "Quiet hours cannot start and end at the same time."];
    Object.assign(body, { quiet_hours_start: quietStart.value, quiet_hours_end: quietEnd.value });
  }
  if (remindOn.checked && !remindAt.value) return [null, "Choose a time for the daily reminder."];
  body.checkin_reminder_time = remindOn.checked ? remindAt.value : null;
  return [body, null];
}

// `account`: {me} of the screen, updated when saved.
export function timesSection(account) {
  const me = account.me;
  const { zone, nodes } = zoneField(me);
  const [quietOn, quietLabel] = checkbox("quiet-on", "Quiet hours: hold notifications overnight", me.quiet_hours_start);
  const quietStart = h("input", { type: "time", id: "quiet-start", value: me.quiet_hours_start || "22:00" });
  const quietEnd = h("input", { type: "time", id: "quiet-end", value: me.quiet_hours_end || "07:00" });
  const quietTimes = h("div", { class: "set-time-pair", id: "quiet-times" }, field("From", quietStart), field("Until", quietEnd));
  const [remindOn, remindLabel] = checkbox("remind-on", "Remind me to check in every day", me.checkin_reminder_time);
  const remindAt = h("input", { type: "time", id: "remind-at", value: me.checkin_reminder_time || "20:00" });
  const remindField = field("At", remindAt);
  const shown = () => {
    quietTimes.hidden = !quietOn.checked;
    remindField.hidden = !remindOn.checked;
  };
  quietOn.addEventListener("change", shown);
  remindOn.addEventListener("change", shown);
  shown();
  const note = feedback();
  const hint = h("p", { class: "set-hint" }, "During quiet hours, reminders and notifications wait until the end.");
  const form = h("form", { id: "time-form" }, ...nodes, quietLabel, quietTimes, hint, remindLabel, remindField, ...note.nodes);
  form.append(h("button", { type: "submit" }, "Save times"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    note.clear();
    const [body, problem] = times({ zone, quietOn, quietStart, quietEnd, remindOn, remindAt });
    if (problem) return note.fail(problem);
    try {
      account.me = await saveMe(body);
      note.ok("Times saved.");
    } catch (error) {
      note.fail(error);
    }
  });
  return section("times", "Time zone and reminders", form);
}
