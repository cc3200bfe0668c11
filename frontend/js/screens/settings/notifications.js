// Notifications on this phone (Web Push), discreet wording, and whether the partner's doings
// are pushed or only reminders.
import { h } from "../../dom.js";
import { describe } from "../../errors.js";
import { within } from "../../promises.js";
import * as push from "../../push.js";
import { checkbox, feedback, saveMe, section } from "./form.js";

const STATES = {
  on: "On: this phone shows notifications from Accord.",
  off: "Off: this phone shows no notifications from Accord.",
  blocked: "Blocked: this browser's settings do not let Accord show notifications. Allow them there, then come back.",
  unsupported: "This browser cannot show notifications from Accord. On an iPhone, add Accord to the Home Screen first.",
  unknown: "Could not tell whether notifications are on for this phone.",
};

// The line saying whether this phone shows notifications, and the button that turns them on or off.
function pushToggle(note) {
  const line = h("p", { id: "push-state", "aria-live": "polite" });
  const button = h("button", { type: "button", id: "push-toggle" }, "Enable notifications on this phone");
  let current = "off";
  const show = (state) => {
    current = state;
    line.textContent = STATES[state] || STATES.unknown;
    button.textContent = state === "on" ? "Turn off notifications on this phone" : "Enable notifications on this phone";
    button.className = state === "on" ? "secondary" : "";
    button.hidden = state === "unsupported" || state === "blocked";
  };
  const refresh = async () => {
    try {
      show(await within(4000, push.status(), "unknown"));
    } catch {
      show("unknown");
    }
  };
  button.addEventListener("click", async () => {
    note.clear();
    button.disabled = true;
    const on = current !== "on";
    try {
      await (on ? push.enable() : push.disable());
      note.ok(on ? "Notifications are on for this phone." : "Notifications are off on this phone.");
    } catch (error) {
      note.fail(`Notifications could not be turned ${on ? "on" : "off"}: ${describe(error)}`);
    } finally {
      button.disabled = false;
      await refresh();
    }
  });
  refresh();
  return [line, button];
}

// A checkbox saved to the profile as soon as it changes; put back if the server refused.
function setting(account, note, { id, label, key, on, off }) {
  const [input, labelled] = checkbox(id, label, account.me[key]);
  input.addEventListener("change", async () => {
    note.clear();
    input.disabled = true;
    try {
      account.me = await saveMe({ [key]: input.checked });
      note.ok(input.checked ? on : off);
    } catch (error) {
      input.checked = !input.checked;
      note.fail(error);
    } finally {
      input.disabled = false;
    }
  });
  return labelled;
}

export function notificationsSection(account) {
  const note = feedback();
  const discreet = setting(account, note, {
    id: "discreet",
    label: "Discreet: notifications say only “You have something new in Accord”",
    key: "discreet_notifications",
    on: "Discreet notifications are on.",
    off: "Notifications now say what happened.",
  });
  const inbox = setting(account, note, {
    id: "push-inbox",
    label: "Notify me of what my partner does, not only of reminders",
    key: "push_inbox",
    on: "You will be notified of what your partner does.",
    off: "Only reminders will be pushed.",
  });
  return section("notify", "Notifications", ...pushToggle(note), discreet, inbox, ...note.nodes);
}
