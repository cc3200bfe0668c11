// Changing the email one signs in with: the new one and the current password.
import { h } from "../../dom.js";
import { length } from "../../password-rule.js";
import { feedback, field, saveMe, sendForm } from "./form.js";
import { signInProblem } from "./sign-in-problem.js";

// What is wrong with the form before it is sent, as [words, input], or null.
function problem(me, newEmail, current) {
  const email = newEmail.value.trim();
  if (!email) return ["Type the new email address.", newEmail];
  if (newEmail.validity.typeMismatch || length(email) > 320)
    return ["This email address does not look right. Check it, like name@example.org.", newEmail];
  if (email.toLowerCase() === me.email.toLowerCase()) return ["That is already the email you sign in with.", newEmail];
  if (!current.value) return ["Type your current password: changing the email needs it.", current];
  return null;
}

// `shown()` draws the email again once it changed.
export function emailForm(account, shown) {
  const newEmail = h("input", {
    type: "email",
    id: "new-email",
    required: true,
    maxlength: 320,
    autocomplete: "email",
    inputmode: "email",
    spellcheck: "false",
  });
  const current = h("input", { type: "password", id: "email-current-password", required: true, autocomplete: "current-password" });
  const note = feedback();
  const button = h("button", { type: "submit", id: "email-save" }, "Change email");
  const form = h(
    "form",
    { id: "email-form", novalidate: true, "aria-labelledby": "email-form-title" },
    h("h3", { id: "email-form-title", class: "set-subtitle" }, "Email"),
    field("New email", newEmail),
    field("Current password", current, "Needed to change the email."),
    ...note.nodes,
    button,
  );
  sendForm(form, note, button, {
    check: () => problem(account.me, newEmail, current),
    send: async () => {
      const body = { email: newEmail.value.trim(), current_password: current.value };
      account.me = await saveMe(body, "Sign-in details");
      shown();
      newEmail.value = "";
      current.value = "";
      return `Email changed. From now on, sign in with ${account.me.email}.`;
    },
    refused: (error) => {
      current.value = "";
      return signInProblem(error, { current, email: newEmail });
    },
  });
  return form;
}
