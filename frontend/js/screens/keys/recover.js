// "I forgot my password": the e-mail, the recovery kit and a new password. The kit proves the
// account to the server and opens the key here; the key is wrapped again under the new
// password, this phone is signed in and every other device signed out (docs/e2ee.md).
import { alertBox, h } from "../../dom.js";
import { describe, SOMETHING_WRONG, unexpected } from "../../errors.js";
import { recover } from "../../keyring.js";
import { PASSWORD_MAX, PASSWORD_MIN, passwordProblem } from "../../password-rule.js";

function problem(error) {
  if (unexpected(error)) return SOMETHING_WRONG;
  const codes = {
    recovery_refused: "That kit does not match this e-mail address. Check both: the kit is 64 letters and digits, in groups of four.",
    account_disabled: "This account is switched off on this server. The person who runs it can tell you more.",
    too_many_attempts: "Too many tries for now, to keep the account safe. Wait a few minutes, then try again.",
  };
  return describe(error, { offline: "You are offline. Using your kit needs a connection.", codes });
}

function inputs() {
  const password = (id) => h("input", { type: "password", id, required: true, maxlength: PASSWORD_MAX, autocomplete: "new-password" });
  return {
    email: h("input", { type: "email", id: "recover-email", required: true, maxlength: 320, autocomplete: "email", spellcheck: "false" }),
    kit: h("textarea", { id: "recover-kit", required: true, rows: 3, autocomplete: "off", spellcheck: "false", autocapitalize: "off" }),
    next: password("recover-password"),
    again: password("recover-password-again"),
  };
}

// What is wrong before anything is sent, as [words, input], or null.
function missing({ email, kit, next, again }) {
  if (!email.value.trim()) return ["Enter the e-mail address of your account.", email];
  if (!kit.value.trim()) return ["Type your recovery kit as you wrote it down.", kit];
  const rule = passwordProblem(next.value, "The new password");
  if (rule) return [rule, next];
  if (next.value !== again.value) return ["The two new passwords are not the same. Type the new one again.", again];
  return null;
}

export function render(root, { go }) {
  const fields = inputs();
  const error = Object.assign(alertBox(), { id: "recover-error" });
  const button = h("button", { type: "submit", class: "big" }, "Use my kit and sign in");
  const label = (text, input) => [h("label", { for: input.id }, text), input];
  const form = h(
    "form",
    { id: "recover", novalidate: true },
    ...label("Email", fields.email),
    ...label("Recovery kit", fields.kit),
    ...label("New password", fields.next),
    h("p", { class: "hint muted" }, `${PASSWORD_MIN} to ${PASSWORD_MAX} characters. A few words you will remember make a strong one.`),
    ...label("New password again", fields.again),
    error,
    button,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const wrong = missing(fields);
    error.textContent = wrong ? wrong[0] : "";
    if (wrong) return wrong[1].focus();
    button.disabled = true;
    try {
      if (await recover(fields.email.value.trim(), fields.kit.value, fields.next.value)) return go("home");
      error.textContent = "That does not look like a recovery kit: it is 64 letters (a to f) and digits, in groups of four.";
      fields.kit.focus();
    } catch (failure) {
      error.textContent = problem(failure);
    }
    button.disabled = false;
  });
  root.append(
    h("h1", {}, "Back in with your recovery kit"),
    h(
      "p",
      { class: "muted" },
      "Your kit opens your keys on this phone, and you choose a new password. Any other device signed in to your account is signed out.",
    ),
    form,
    h("p", {}, h("a", { href: "#/welcome" }, "Back to sign in")),
  );
}
