// Changing the password: the current one, the new one twice. Other devices are signed out; this
// phone keeps its session.
import { h } from "../../dom.js";
import { rewrap } from "../../keyring.js";
import { PASSWORD_MAX, PASSWORD_MIN, passwordProblem } from "../../password-rule.js";
import { feedback, field, saveMe, sendForm } from "./form.js";
import { signInProblem } from "./sign-in-problem.js";

function inputs() {
  const password = (id, autocomplete, extra = {}) => h("input", { type: "password", id, required: true, autocomplete, ...extra });
  return {
    current: password("current-password", "current-password"),
    next: password("new-password", "new-password", { minlength: PASSWORD_MIN, maxlength: PASSWORD_MAX }),
    again: password("new-password-again", "new-password", { maxlength: PASSWORD_MAX }),
  };
}

// What is wrong with the form before it is sent, as [words, input], or null.
function problem({ current, next, again }) {
  if (!current.value) return ["Type your current password: changing the password needs it.", current];
  const rule = passwordProblem(next.value, "The new password");
  if (rule) return [rule, next];
  if (next.value !== again.value) {
    again.value = "";
    return ["The two new passwords are not the same. Type the new one again.", again];
  }
  return null;
}

// `username`: the hidden email input password managers file the new password under.
export function passwordForm(account, username) {
  const fields = inputs();
  const { current, next, again } = fields;
  const note = feedback();
  const button = h("button", { type: "submit", id: "password-save" }, "Change password");
  const form = h(
    "form",
    { id: "password-form", novalidate: true, "aria-labelledby": "password-form-title" },
    h("h3", { id: "password-form-title", class: "set-subtitle" }, "Password"),
    username,
    field("Current password", current),
    field(
      "New password",
      next,
      `${PASSWORD_MIN} to ${PASSWORD_MAX} characters. Changing it signs out your other devices; this phone stays signed in.`,
    ),
    field("New password again", again),
    ...note.nodes,
    button,
  );
  sendForm(form, note, button, {
    check: () => problem(fields),
    send: async () => {
      // The answer is the User; this device's session goes on as it was.
      account.me = await saveMe({ current_password: current.value, new_password: next.value }, "Sign-in details");
      // The private key is wrapped again under the new password (docs/e2ee.md). If this is
      // lost, the next sign-in finds the wrap under the old password and offers the kit.
      await rewrap(account.me, current.value, next.value).catch(() => null);
      for (const input of [current, next, again]) input.value = "";
      account.devicesChanged(); // the list now shows this phone only
      return "Password changed. Other devices have been signed out; this phone stays signed in.";
    },
    refused: (error) => {
      current.value = "";
      return signInProblem(error, { current, password: next });
    },
  });
  return form;
}
