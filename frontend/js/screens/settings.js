// More / settings: profile, sign-in details (email and password), my role in the dynamic,
// time zone and quiet hours, reminders, notifications on this phone, the PIN lock, signed-in
// devices, export, sign out, and the two irreversible acts (leave the dynamic, delete the
// account). Works without a dynamic: the
// dynamic's parts are simply not shown.
//
// Account changes are never queued (`offline: false`): a setting saved "later" would surprise.
import { api, ApiError, logout, OfflineError, setUser } from "../api.js";
import { alertBox, confirmDialog, h } from "../dom.js";
import { wipe } from "../idb.js";
import { items, write } from "../outbox.js";
import { hasPin, removePin, setPin, validPin } from "../pin.js";
import * as push from "../push.js";
import { currentDynamic, subscribe, sync } from "../store.js";

const ROLES = [
  ["dominant", "Dominant"],
  ["submissive", "Submissive"],
  ["switch", "Switch"],
  ["other", "Other / no label"],
];
const ROLE_NAMES = Object.fromEntries(ROLES);

// An error in words, for the person reading it.
export function describe(error) {
  if (error instanceof OfflineError || (error && error.offline)) {
    return "You are offline. Connect to the internet and try again; nothing was changed.";
  }
  if (error instanceof ApiError) {
    if (error.status === 429) return "Too many attempts. Wait a few minutes and try again.";
    if (error.status >= 500) return "The server had a problem. Try again in a moment.";
    return error.message;
  }
  return (error && error.message) || "Something went wrong.";
}

// The password rule of the API (8 to 128 characters), counted as the server counts: code
// points, not UTF-16 units.
const PASSWORD_MIN = 8;
const PASSWORD_MAX = 128;
const length = (text) => [...text].length;

function passwordProblem(password) {
  const n = length(password);
  if (n < PASSWORD_MIN) return `The new password is too short: use at least ${PASSWORD_MIN} characters${n ? ` (this one has ${n})` : ""}.`;
  if (n > PASSWORD_MAX) return `The new password is too long: use at most ${PASSWORD_MAX} characters (this one has ${n}).`;
  return null;
}

// "in 12 minutes", from Retry-After when the answer had it.
function waitWords(error) {
  const seconds = Number(error.retryAfter);
  if (!Number.isFinite(seconds) || seconds <= 0) return "in a few minutes";
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return `in ${minutes} ${minutes === 1 ? "minute" : "minutes"}`;
}

// A refused change of email or password in words, and the field it is about (or null).
// `fields` names this form's inputs: {current, email, password}.
function signInProblem(error, fields) {
  if (error instanceof ApiError) {
    if (error.code === "wrong_password") return ["Your current password is not right. Nothing was changed.", fields.current];
    if (error.code === "email_taken") return ["Another account already uses this email. Nothing was changed.", fields.email];
    if (error.code === "too_many_attempts" || error.status === 429) {
      return [`Too many wrong passwords: changes that need the password are paused for safety. Try again ${waitWords(error)}.`, null];
    }
    if (error.code === "validation_error" && error.body && Array.isArray(error.body.errors) && error.body.errors.length) {
      const name = error.body.errors[0].loc && error.body.errors[0].loc[1];
      if (name === "email") return ["This email address does not look right. Check it, like name@example.org.", fields.email];
      if (name === "new_password") return [`The new password must have ${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`, fields.password];
      if (name === "current_password") return ["Type your current password.", fields.current];
    }
  }
  return [describe(error), null];
}

// Marks one input of a form as wrong (and only that one), and puts the cursor in it.
function flag(form, input) {
  for (const other of form.querySelectorAll("input")) other.removeAttribute("aria-invalid");
  if (!input) return;
  input.setAttribute("aria-invalid", "true");
  input.focus();
}

// A status line (polite) next to an alert line (assertive), for one form.
function feedback() {
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
function field(labelText, control, hint) {
  const id = control.id || `f${++ids}`;
  control.id = id;
  const hintNode = hint ? h("span", { class: "set-hint", id: `${id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute("aria-describedby", hintNode.id);
  return h("div", { class: "set-field" }, h("label", { for: id }, labelText), hintNode, control);
}

function checkbox(id, labelText, checked) {
  const input = h("input", { type: "checkbox", id, checked: Boolean(checked) });
  return [input, h("label", { class: "check", for: id }, input, h("span", {}, labelText))];
}

function section(id, title, ...children) {
  return h("section", { class: "card settings-section", "aria-labelledby": `${id}-title` }, h("h2", { id: `${id}-title` }, title), ...children);
}

async function saveMe(body) {
  const { data } = await write({ method: "PATCH", path: "/api/me", body, label: "Settings", offline: false });
  await setUser(data);
  return data;
}

function deviceName(agent) {
  const ua = agent || "";
  let browser = "A browser";
  if (/Edg\//.test(ua)) browser = "Edge";
  else if (/Firefox\//.test(ua)) browser = "Firefox";
  else if (/Chrome\/|Chromium\//.test(ua)) browser = "Chrome";
  else if (/Safari\//.test(ua)) browser = "Safari";
  let system = "";
  if (/Android/.test(ua)) system = "Android";
  else if (/iPhone|iPad|iPod/.test(ua)) system = "iPhone or iPad";
  else if (/Mac OS X/.test(ua)) system = "a Mac";
  else if (/Windows/.test(ua)) system = "Windows";
  else if (/Linux/.test(ua)) system = "Linux";
  return system ? `${browser} on ${system}` : browser;
}

const when = (iso) => new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));

function timeZones(current) {
  let zones = [];
  try {
    zones = Intl.supportedValuesOf("timeZone");
  } catch {
    zones = [];
  }
  const device = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return [...new Set([...zones, current, device, "UTC"].filter(Boolean))].sort();
}

// Resolves to the first to settle: the work, or `fallback` after `ms`.
function within(ms, work, fallback) {
  return Promise.race([work, new Promise((resolve) => setTimeout(() => resolve(fallback), ms))]);
}

export async function render(root, ctx) {
  let me = ctx.me;
  let dynamic = ctx.dynamic;
  const wrap = h("div", { class: "settings-screen" });
  const topError = alertBox();
  root.append(wrap);

  // The freshest profile: the server's when online, else what this phone stored.
  try {
    me = await api("GET", "/api/me");
    await setUser(me);
  } catch (error) {
    if (!(error instanceof OfflineError)) topError.textContent = describe(error);
  }

  const mine = dynamic ? dynamic.members.find((m) => m.user_id === me.id) : null;
  const partner = dynamic ? dynamic.members.find((m) => m !== mine) : null;
  const partnerName = partner ? partner.display_name : "your partner";

  // ---- links
  const links = h(
    "nav",
    { class: "settings-links", "aria-label": "More" },
    dynamic ? h("a", { href: "#/limits", id: "link-limits" }, "Limits and desires") : null,
    dynamic ? h("a", { href: "#/checkins", id: "link-checkins" }, "Check-ins") : null,
    h("a", { href: "#/outbox", id: "link-outbox" }, "Changes waiting to be sent"),
  );

  // ---- profile
  const name = h("input", { type: "text", id: "display-name", required: true, maxlength: 64, autocomplete: "nickname", value: me.display_name });
  const pronouns = h("input", { type: "text", id: "pronouns", maxlength: 32, value: me.pronouns || "" });
  const profileNote = feedback();
  const profile = h(
    "form",
    { id: "profile-form" },
    field("Your name", name, "What your partner sees."),
    field("Pronouns (optional)", pronouns),
    ...profileNote.nodes,
    h("button", { type: "submit" }, "Save profile"),
  );
  profile.addEventListener("submit", async (event) => {
    event.preventDefault();
    profileNote.clear();
    const display = name.value.trim();
    if (!display) return profileNote.fail("Your name cannot be empty.");
    try {
      me = await saveMe({ display_name: display, pronouns: pronouns.value.trim() || null });
      profileNote.ok("Profile saved.");
    } catch (error) {
      profileNote.fail(error);
    }
  });

  // ---- sign-in details: email and password (PATCH /api/me with current_password). A new
  // password signs out every other device; this one keeps its session (docs/api.md).
  const signedInAs = h("p", { id: "account-email" });
  const showEmail = () => signedInAs.replaceChildren("You sign in with ", h("strong", {}, me.email), ".");
  showEmail();

  const newEmail = h("input", { type: "email", id: "new-email", required: true, maxlength: 320, autocomplete: "email", inputmode: "email", spellcheck: "false" });
  const emailCurrent = h("input", { type: "password", id: "email-current-password", required: true, autocomplete: "current-password" });
  const emailNote = feedback();
  const emailButton = h("button", { type: "submit", id: "email-save" }, "Change email");
  const emailForm = h(
    "form",
    { id: "email-form", novalidate: true, "aria-labelledby": "email-form-title" },
    h("h3", { id: "email-form-title", class: "set-subtitle" }, "Email"),
    field("New email", newEmail),
    field("Current password", emailCurrent, "Needed to change the email."),
    ...emailNote.nodes,
    emailButton,
  );
  emailForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    emailNote.clear();
    flag(emailForm, null);
    const email = newEmail.value.trim();
    const fail = (text, input) => {
      emailNote.fail(text);
      flag(emailForm, input);
    };
    if (!email) return fail("Type the new email address.", newEmail);
    if (newEmail.validity.typeMismatch || length(email) > 320) return fail("This email address does not look right. Check it, like name@example.org.", newEmail);
    if (email.toLowerCase() === me.email.toLowerCase()) return fail("That is already the email you sign in with.", newEmail);
    if (!emailCurrent.value) return fail("Type your current password: changing the email needs it.", emailCurrent);
    emailButton.disabled = true;
    try {
      const { data } = await write({ method: "PATCH", path: "/api/me", body: { email, current_password: emailCurrent.value }, label: "Sign-in details", offline: false });
      me = data;
      await setUser(data);
      showEmail();
      username.value = data.email;
      newEmail.value = "";
      emailCurrent.value = "";
      emailNote.ok(`Email changed. From now on, sign in with ${data.email}.`);
    } catch (error) {
      emailCurrent.value = "";
      const [text, input] = signInProblem(error, { current: emailCurrent, email: newEmail });
      fail(text, input);
    } finally {
      emailButton.disabled = false;
    }
  });

  // The account's email, for password managers: they file the new password under it.
  const username = h("input", { type: "email", id: "password-username", autocomplete: "username", value: me.email, hidden: true, readonly: true });
  const currentPassword = h("input", { type: "password", id: "current-password", required: true, autocomplete: "current-password" });
  const newPassword = h("input", { type: "password", id: "new-password", required: true, minlength: PASSWORD_MIN, maxlength: PASSWORD_MAX, autocomplete: "new-password" });
  const newPasswordAgain = h("input", { type: "password", id: "new-password-again", required: true, maxlength: PASSWORD_MAX, autocomplete: "new-password" });
  const passwordNote = feedback();
  const passwordButton = h("button", { type: "submit", id: "password-save" }, "Change password");
  const passwordForm = h(
    "form",
    { id: "password-form", novalidate: true, "aria-labelledby": "password-form-title" },
    h("h3", { id: "password-form-title", class: "set-subtitle" }, "Password"),
    username,
    field("Current password", currentPassword),
    field("New password", newPassword, `${PASSWORD_MIN} to ${PASSWORD_MAX} characters. Changing it signs out your other devices; this phone stays signed in.`),
    field("New password again", newPasswordAgain),
    ...passwordNote.nodes,
    passwordButton,
  );
  passwordForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    passwordNote.clear();
    flag(passwordForm, null);
    const fail = (text, input) => {
      passwordNote.fail(text);
      flag(passwordForm, input);
    };
    if (!currentPassword.value) return fail("Type your current password: changing the password needs it.", currentPassword);
    const problem = passwordProblem(newPassword.value);
    if (problem) return fail(problem, newPassword);
    if (newPassword.value !== newPasswordAgain.value) {
      newPasswordAgain.value = "";
      return fail("The two new passwords are not the same. Type the new one again.", newPasswordAgain);
    }
    passwordButton.disabled = true;
    try {
      const { data } = await write({
        method: "PATCH",
        path: "/api/me",
        body: { current_password: currentPassword.value, new_password: newPassword.value },
        label: "Sign-in details",
        offline: false,
      });
      // The answer is the User; this device's session goes on as it was.
      me = data;
      await setUser(data);
      for (const input of [currentPassword, newPassword, newPasswordAgain]) input.value = "";
      passwordNote.ok("Password changed. Other devices have been signed out; this phone stays signed in.");
      loadDevices(); // defined below: the list now shows this phone only
    } catch (error) {
      currentPassword.value = "";
      const [text, input] = signInProblem(error, { current: currentPassword, password: newPassword });
      fail(text, input);
    } finally {
      passwordButton.disabled = false;
    }
  });

  // ---- my role in the dynamic
  let roleSection = null;
  let unsubscribe = () => {};
  if (dynamic && mine) {
    const role = h("select", { id: "my-role" }, ROLES.map(([value, label]) => h("option", { value, selected: value === mine.role }, label)));
    const nickname = h("input", { type: "text", id: "my-nickname", maxlength: 40, value: mine.nickname || "" });
    const roleNote = feedback();
    const partnerLine = h("p", { id: "partner-role" });
    const showPartner = (d) => {
      const p = d.members.find((m) => m.user_id !== me.id);
      if (!p) return partnerLine.replaceChildren();
      const bits = [`${p.display_name}${p.pronouns ? ` (${p.pronouns})` : ""}: ${ROLE_NAMES[p.role] || p.role}`];
      if (p.nickname) bits.push(`, called “${p.nickname}”`);
      partnerLine.replaceChildren(h("span", { class: "muted" }, "Your partner: "), bits.join(""));
    };
    showPartner(dynamic);
    // The partner's name or role changed elsewhere: the feed brings it.
    unsubscribe = subscribe(async (message) => {
      if (message.type !== "sync" || !(message.entities || []).includes("dynamic")) return;
      const fresh = await currentDynamic();
      // The dynamic ended (the partner left): draw the screen again without it.
      if (!fresh || fresh.id !== dynamic.id) ctx.render();
      else showPartner(fresh);
    });
    const roleForm = h(
      "form",
      { id: "role-form" },
      h("p", { class: "muted" }, "A role is a label for the two of you. It grants no extra rights in Accord."),
      field("My role", role),
      field("Honorific or nickname (optional)", nickname, "How you are called in this dynamic."),
      partnerLine,
      ...roleNote.nodes,
      h("button", { type: "submit" }, "Save role"),
    );
    roleForm.addEventListener("submit", async (event) => {
      event.preventDefault();
      roleNote.clear();
      try {
        const { data } = await write({
          method: "PATCH",
          path: `/api/dynamics/${dynamic.id}/membership`,
          body: { role: role.value, nickname: nickname.value.trim() || null },
          label: "Role",
          kind: "dynamic",
          dynamic_id: dynamic.id,
          offline: false,
        });
        dynamic = data;
        showPartner(data);
        roleNote.ok("Role saved.");
      } catch (error) {
        roleNote.fail(error);
      }
    });
    roleSection = section("role", `You and ${partnerName}`, roleForm);
  }

  // ---- time zone, quiet hours, reminders
  const device = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zone = h("select", { id: "timezone" }, timeZones(me.timezone).map((z) => h("option", { value: z, selected: z === me.timezone }, z.replace(/_/g, " "))));
  const useDevice = h("button", { type: "button", class: "secondary", id: "use-device-zone", hidden: !device || device === me.timezone }, `Use this phone's time zone (${(device || "").replace(/_/g, " ")})`);
  useDevice.addEventListener("click", () => {
    zone.value = device;
    useDevice.hidden = true;
  });
  zone.addEventListener("change", () => {
    useDevice.hidden = !device || zone.value === device;
  });
  const [quietOn, quietLabel] = checkbox("quiet-on", "Quiet hours: hold notifications overnight", me.quiet_hours_start);
  const quietStart = h("input", { type: "time", id: "quiet-start", value: me.quiet_hours_start || "22:00" });
  const quietEnd = h("input", { type: "time", id: "quiet-end", value: me.quiet_hours_end || "07:00" });
  const quietTimes = h("div", { class: "set-time-pair", id: "quiet-times" }, field("From", quietStart), field("Until", quietEnd));
  const [remindOn, remindLabel] = checkbox("remind-on", "Remind me to check in every day", me.checkin_reminder_time);
  const remindAt = h("input", { type: "time", id: "remind-at", value: me.checkin_reminder_time || "20:00" });
  const remindField = field("At", remindAt);
  const sync1 = () => {
    quietTimes.hidden = !quietOn.checked;
    remindField.hidden = !remindOn.checked;
  };
  quietOn.addEventListener("change", sync1);
  remindOn.addEventListener("change", sync1);
  sync1();
  const timeNote = feedback();
  const timeForm = h(
    "form",
    { id: "time-form" },
    field("Time zone", zone, "Reminders and “today” follow it."),
    useDevice,
    quietLabel,
    quietTimes,
    h("p", { class: "set-hint" }, "During quiet hours, reminders and notifications wait until the end."),
    remindLabel,
    remindField,
    ...timeNote.nodes,
    h("button", { type: "submit" }, "Save times"),
  );
  timeForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    timeNote.clear();
    const body = { timezone: zone.value };
    if (quietOn.checked) {
      if (!quietStart.value || !quietEnd.value) return timeNote.fail("Give quiet hours a start and an end.");
      if (quietStart.value === quietEnd.value) return timeNote.fail("Quiet hours cannot start and end at the same time.");
      Object.assign(body, { quiet_hours_start: quietStart.value, quiet_hours_end: quietEnd.value });
    } else {
      Object.assign(body, { quiet_hours_start: null, quiet_hours_end: null });
    }
    if (remindOn.checked && !remindAt.value) return timeNote.fail("Choose a time for the daily reminder.");
    body.checkin_reminder_time = remindOn.checked ? remindAt.value : null;
    try {
      me = await saveMe(body);
      timeNote.ok("Times saved.");
    } catch (error) {
      timeNote.fail(error);
    }
  });

  // ---- notifications
  const pushState = h("p", { id: "push-state", "aria-live": "polite" });
  const pushButton = h("button", { type: "button", id: "push-toggle" }, "Enable notifications on this phone");
  const pushNote = feedback();
  let pushCurrent = "off";
  const STATES = {
    on: "On: this phone shows notifications from Accord.",
    off: "Off: this phone shows no notifications from Accord.",
    blocked: "Blocked: this browser's settings do not let Accord show notifications. Allow them there, then come back.",
    unsupported: "This browser cannot show notifications from Accord. On an iPhone, add Accord to the Home Screen first.",
    unknown: "Could not tell whether notifications are on for this phone.",
  };
  const showPush = (state) => {
    pushCurrent = state;
    pushState.textContent = STATES[state] || STATES.unknown;
    pushButton.textContent = state === "on" ? "Turn off notifications on this phone" : "Enable notifications on this phone";
    pushButton.className = state === "on" ? "secondary" : "";
    pushButton.hidden = state === "unsupported" || state === "blocked";
  };
  const refreshPush = async () => {
    try {
      showPush(await within(4000, push.status(), "unknown"));
    } catch {
      showPush("unknown");
    }
  };
  pushButton.addEventListener("click", async () => {
    pushNote.clear();
    pushButton.disabled = true;
    try {
      if (pushCurrent === "on") {
        await push.disable();
        pushNote.ok("Notifications are off on this phone.");
      } else {
        await push.enable();
        pushNote.ok("Notifications are on for this phone.");
      }
    } catch (error) {
      pushNote.fail(`Notifications could not be turned ${pushCurrent === "on" ? "off" : "on"}: ${describe(error)}`);
    } finally {
      pushButton.disabled = false;
      await refreshPush();
    }
  });
  const [discreet, discreetLabel] = checkbox("discreet", "Discreet: notifications say only “You have something new in Accord”", me.discreet_notifications);
  const [inbox, inboxLabel] = checkbox("push-inbox", "Notify me of what my partner does, not only of reminders", me.push_inbox);
  const toggle = (input, key, on, off) =>
    input.addEventListener("change", async () => {
      pushNote.clear();
      input.disabled = true;
      try {
        me = await saveMe({ [key]: input.checked });
        pushNote.ok(input.checked ? on : off);
      } catch (error) {
        input.checked = !input.checked;
        pushNote.fail(error);
      } finally {
        input.disabled = false;
      }
    });
  toggle(discreet, "discreet_notifications", "Discreet notifications are on.", "Notifications now say what happened.");
  toggle(inbox, "push_inbox", "You will be notified of what your partner does.", "Only reminders will be pushed.");
  const notifications = section("notify", "Notifications", pushState, pushButton, discreetLabel, inboxLabel, ...pushNote.nodes);
  refreshPush();

  // ---- PIN
  const pinState = h("p", { id: "pin-state" });
  const pin1 = h("input", { type: "password", id: "pin-new", inputmode: "numeric", autocomplete: "off", maxlength: 8, pattern: "[0-9]*" });
  const pin2 = h("input", { type: "password", id: "pin-repeat", inputmode: "numeric", autocomplete: "off", maxlength: 8, pattern: "[0-9]*" });
  const pinSubmit = h("button", { type: "submit", id: "pin-save" }, "Set PIN");
  const pinRemove = h("button", { type: "button", class: "secondary", id: "pin-remove" }, "Remove PIN");
  const pinNote = feedback();
  const showPin = async () => {
    const has = await hasPin();
    pinState.textContent = has
      ? "A PIN locks Accord on this phone when it opens and after five minutes away."
      : "No PIN: anyone holding this phone unlocked can open Accord.";
    pinSubmit.textContent = has ? "Change PIN" : "Set PIN";
    pinRemove.hidden = !has;
  };
  const pinForm = h(
    "form",
    { id: "pin-form" },
    pinState,
    field("New PIN (4 to 8 digits)", pin1),
    field("New PIN again", pin2),
    ...pinNote.nodes,
    h("div", { class: "actions" }, pinSubmit, pinRemove),
    h("p", { class: "set-hint" }, "The PIN stays on this phone. After ten wrong tries, Accord signs this phone out and erases its copy."),
  );
  pinForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    pinNote.clear();
    if (!validPin(pin1.value)) return pinNote.fail("A PIN is 4 to 8 digits.");
    if (pin1.value !== pin2.value) return pinNote.fail("The two PINs are not the same. Type it again.");
    const had = await hasPin();
    try {
      await setPin(pin1.value);
    } catch (error) {
      return pinNote.fail(error);
    }
    pin1.value = "";
    pin2.value = "";
    await showPin();
    pinNote.ok(had ? "PIN changed." : "PIN set. Accord will ask for it when it opens.");
  });
  pinRemove.addEventListener("click", async () => {
    const ok = await confirmDialog({ title: "Remove the PIN?", text: "Anyone holding this phone unlocked will be able to open Accord.", confirm: "Remove PIN", danger: true });
    if (!ok) return;
    await removePin();
    await showPin();
    pinNote.ok("PIN removed.");
  });
  await showPin();

  // ---- devices
  const deviceList = h("ul", { class: "set-device-list", id: "devices" });
  const deviceNote = feedback();
  const loadDevices = async () => {
    try {
      const sessions = await api("GET", "/api/me/sessions");
      const now = Date.now();
      const live = sessions.filter((s) => !s.revoked_at && Date.parse(s.expires_at) > now);
      deviceList.replaceChildren(
        ...live.map((s) => {
          const label = deviceName(s.user_agent);
          const end = s.current
            ? null
            : h("button", { type: "button", class: "secondary", "aria-label": `Sign out ${label}, signed in ${when(s.created_at)}` }, "Sign out");
          if (end) {
            end.addEventListener("click", async () => {
              const ok = await confirmDialog({ title: "Sign that device out?", text: `${label} will need the password to open Accord again.`, confirm: "Sign it out", danger: true });
              if (!ok) return;
              deviceNote.clear();
              try {
                await write({ method: "DELETE", path: `/api/me/sessions/${s.id}`, label: "Sign a device out", offline: false });
                deviceNote.ok(`${label} is signed out.`);
                await loadDevices();
              } catch (error) {
                deviceNote.fail(error);
              }
            });
          }
          return h(
            "li",
            { class: "set-device" },
            h("div", {}, h("strong", {}, label), s.current ? h("span", { class: "set-badge" }, "This phone") : null, h("br"), h("span", { class: "muted" }, `Signed in ${when(s.created_at)} · last seen ${when(s.last_used_at)}`)),
            end,
          );
        }),
      );
    } catch (error) {
      deviceNote.fail(error);
    }
  };
  loadDevices();

  // ---- export
  const exportNote = feedback();
  const exportButton = h("button", { type: "button", class: "secondary", id: "export" }, "Download my data (JSON)");
  exportButton.addEventListener("click", async () => {
    exportNote.clear();
    exportButton.disabled = true;
    try {
      const data = await api("GET", "/api/me/export");
      const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
      const url = URL.createObjectURL(blob);
      const link = h("a", { href: url, download: `accord-export-${new Date().toISOString().slice(0, 10)}.json`, class: "set-vh" }, "download");
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      exportNote.ok("Your data was downloaded as a JSON file.");
    } catch (error) {
      exportNote.fail(error);
    } finally {
      exportButton.disabled = false;
    }
  });

  // ---- sign out
  const signOutNote = feedback();
  const signOutButton = h("button", { type: "button", class: "secondary", id: "sign-out" }, "Sign out of this phone");
  signOutButton.addEventListener("click", async () => {
    const waiting = (await items()).filter((i) => i.state === "pending").length;
    if (waiting) {
      const ok = await confirmDialog({
        title: "Sign out?",
        text: `${waiting} ${waiting === 1 ? "change has" : "changes have"} not been sent yet and will be lost.`,
        confirm: "Sign out anyway",
        danger: true,
      });
      if (!ok) return;
    }
    signOutButton.disabled = true;
    await signOutHere();
    ctx.render();
  });

  // ---- leave / delete
  const dangerNote = feedback();
  let leaveButton = null;
  if (dynamic) {
    leaveButton = h("button", { type: "button", class: "danger", id: "leave" }, `End the dynamic with ${partnerName}`);
    leaveButton.addEventListener("click", async () => {
      dangerNote.clear();
      const ok = await confirmDialog({
        title: `End the dynamic with ${partnerName}?`,
        text: `This ends it at once for both of you and cannot be undone. ${partnerName} is told. Every protocol stops; what you shared stays readable. To start again you would pair anew.`,
        confirm: "End it for both of us",
        danger: true,
      });
      if (!ok) return;
      leaveButton.disabled = true;
      try {
        await write({ method: "POST", path: `/api/dynamics/${dynamic.id}/leave`, label: "Leave", kind: "dynamic", dynamic_id: dynamic.id, offline: false });
        await sync().catch(() => {});
        ctx.go("home");
      } catch (error) {
        leaveButton.disabled = false;
        dangerNote.fail(error);
      }
    });
  }
  const password = h("input", { type: "password", id: "delete-password", autocomplete: "current-password" });
  const deleteForm = h(
    "form",
    { id: "delete-form" },
    h("p", {}, "Deleting your account erases your check-ins, limits and notifications for good", dynamic ? `, and ends your dynamic with ${partnerName}.` : "."),
    field("Your password", password, "Needed to delete the account."),
    h("button", { type: "submit", class: "danger", id: "delete-account" }, "Delete my account"),
  );
  deleteForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    dangerNote.clear();
    if (!password.value) return dangerNote.fail("Type your password to delete the account.");
    const ok = await confirmDialog({
      title: "Delete your account for good?",
      text: `This cannot be undone. Your account, check-ins and limits are erased${dynamic ? `, and the dynamic with ${partnerName} ends for both of you` : ""}.`,
      confirm: "Delete my account",
      danger: true,
    });
    if (!ok) return;
    try {
      await within(3000, push.disable().catch(() => {}), null);
      await write({ method: "DELETE", path: "/api/me", body: { password: password.value }, label: "Delete account", offline: false });
    } catch (error) {
      password.value = "";
      return dangerNote.fail(error.code === "wrong_password" ? "That password is not right." : error);
    }
    await signOutHere();
    ctx.render();
  });

  const parts = [
    h("h1", {}, "More"),
    topError,
    links,
    section("profile", "Profile", profile),
    section("account", "Sign-in details", signedInAs, emailForm, passwordForm),
    roleSection,
    section("times", "Time zone and reminders", timeForm),
    notifications,
    section("pin", "PIN lock on this phone", pinForm),
    section("devices", "Signed in", h("p", { class: "set-hint" }, "Sign out a phone you no longer use or have lost."), deviceList, ...deviceNote.nodes),
    section("data", "Your data", h("p", {}, "A copy of everything your account holds, as a file."), exportButton, ...exportNote.nodes, h("div", { class: "actions" }, signOutButton), ...signOutNote.nodes),
    section("danger", "Ending things", leaveButton, leaveButton ? h("p", { class: "set-hint" }, "Either of you can end the dynamic at any time.") : null, deleteForm, ...dangerNote.nodes),
  ];
  wrap.append(...parts.filter(Boolean));
  return () => unsubscribe();
}

// Stops pushes to this phone (best effort), signs out on the server, forgets everything local.
export async function signOutHere() {
  await within(3000, push.disable().catch(() => {}), null);
  await logout();
  await wipe();
}
