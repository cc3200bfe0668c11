// Forms of the "Private words" section that need the password: key setup (when it did not
// happen at sign-in), a new recovery kit, and opening a key that is wrapped under an earlier
// password with the kit. Each shows a kit card where a new kit was made.
import { h } from "../../dom.js";
import { replaceKit, rewrapWithKit, setUp, unlock } from "../../keyring.js";
import { feedback, field } from "../settings/form.js";
import { kitCard } from "./kit-words.js";

function passwordInput(id) {
  return h("input", { type: "password", id, required: true, autocomplete: "current-password" });
}

// Wrong password (the phone's check or the server's), offline, or anything else, in words.
function refusal(error) {
  if (error instanceof Error && error.message.includes("decrypt")) return "That password does not open your keys. Check it and try again.";
  if (error?.code === "wrong_password") return "That is not the password you sign in with. Check it and try again.";
  return error;
}

function passwordForm({ id, title, intro, action, extra = [], act }) {
  const password = passwordInput(`${id}-password`);
  const note = feedback();
  const shown = h("div", { id: `${id}-shown` });
  const button = h("button", { type: "submit", id: `${id}-go` }, action);
  const form = h(
    "form",
    { id, novalidate: true },
    h("h3", { class: "set-subtitle" }, title),
    h("p", {}, intro),
    ...extra,
    field("Password for your keys", password, "The one you sign in with."),
    ...note.nodes,
    button,
    shown,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    note.clear();
    if (!password.value) return note.fail("Type your password: your keys open only with it.");
    button.disabled = true;
    try {
      // {kit}: a new kit to show; {done}: words saying it went well; {problem}: what to fix.
      const outcome = await act(password.value);
      if (outcome.problem) note.fail(outcome.problem);
      else password.value = "";
      if (outcome.kit) shown.replaceChildren(kitCard(outcome.kit));
      if (outcome.done) note.ok(outcome.done);
    } catch (error) {
      note.fail(refusal(error));
    }
    button.disabled = false;
  });
  return form;
}

export function setUpForm(account) {
  return passwordForm({
    id: "keys-setup",
    title: "Set up your keys",
    intro: "Your keys are made on this phone. The server keeps them only locked, with your password and with a recovery kit.",
    action: "Set up my keys",
    act: async (password) => ({ kit: await setUp(account.me, password) }),
  });
}

export function newKitForm(account) {
  return passwordForm({
    id: "new-kit",
    title: "A new recovery kit",
    intro: "If your kit is lost or someone else may have seen it, make a new one: the old one stops working at once.",
    action: "Make a new kit",
    act: async (password) => ({ kit: await replaceKit(account.me, password) }),
  });
}

export function staleWrapForm(account) {
  const kit = h("textarea", { id: "stale-kit", rows: 3, autocomplete: "off", spellcheck: "false" });
  return passwordForm({
    id: "stale-wrap",
    title: "Open your keys with your kit",
    intro: "Your password was reset, and your keys are still locked with the one before. Your recovery kit opens them again.",
    action: "Open my keys",
    extra: [field("Recovery kit", kit)],
    act: async (password) => {
      if (!(await rewrapWithKit(account.me, kit.value, password))) {
        return { problem: "That does not look like a recovery kit: it is 64 letters (a to f) and digits, in groups of four." };
      }
      kit.value = "";
      return { done: "Your keys are open again, and locked with your current password." };
    },
  });
}

// After the app was opened again: keys live in memory only (docs/e2ee.md), so the password opens
// them once more on this phone.
export function unlockForm(account) {
  return passwordForm({
    id: "unlock-words",
    title: "Open your private words on this phone",
    intro:
      "Your keys are kept only while the app is open. Your password opens them again here, so that you can read and write private notes.",
    action: "Open my words",
    act: async (password) => {
      await unlock(account.me, password);
      return { done: "Your private words are open on this phone." };
    },
  });
}
