// The devices signed in to this account, each but this one with a way to sign it out.
import { api } from "../../api.js";
import { confirmDialog, h } from "../../dom.js";
import { stampText } from "../../format.js";
import { write } from "../../outbox.js";
import { feedback, section } from "./form.js";

// "Firefox on Android", from a browser's User-Agent.
export function deviceName(agent) {
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

function signOutButton(s, label, note, reload) {
  const button = h(
    "button",
    { type: "button", class: "secondary", "aria-label": `Sign out ${label}, signed in ${stampText(s.created_at)}` },
    "Sign out",
  );
  button.addEventListener("click", async () => {
    const text = `${label} will need the password to open Accord again.`;
    if (!(await confirmDialog({ title: "Sign that device out?", text, confirm: "Sign it out", danger: true }))) return;
    note.clear();
    try {
      await write({ method: "DELETE", path: `/api/me/sessions/${s.id}`, label: "Sign a device out", offline: false });
      note.ok(`${label} is signed out.`);
      await reload();
    } catch (error) {
      note.fail(error);
    }
  });
  return button;
}

function deviceItem(s, note, reload) {
  const label = deviceName(s.user_agent);
  const seen = `Signed in ${stampText(s.created_at)} · last seen ${stampText(s.last_used_at)}`;
  return h(
    "li",
    { class: "set-device" },
    h(
      "div",
      {},
      h("strong", {}, label),
      s.current ? h("span", { class: "set-badge" }, "This phone") : null,
      h("br"),
      h("span", { class: "muted" }, seen),
    ),
    s.current ? null : signOutButton(s, label, note, reload),
  );
}

// `account.devicesChanged` is set to show the list again (after a password change, say).
export function devicesSection(account) {
  const list = h("ul", { class: "set-device-list", id: "devices" });
  const note = feedback();
  const load = async () => {
    try {
      const sessions = await api("GET", "/api/me/sessions");
      const now = Date.now();
      const live = sessions.filter((s) => !s.revoked_at && Date.parse(s.expires_at) > now);
      list.replaceChildren(...live.map((s) => deviceItem(s, note, load)));
    } catch (error) {
      note.fail(error);
    }
  };
  account.devicesChanged = load;
  load();
  const hint = h("p", { class: "set-hint" }, "Sign out a phone you no longer use or have lost.");
  return section("devices", "Signed in", hint, list, ...note.nodes);
}
