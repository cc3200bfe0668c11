// A new password from a one-time link (#/reset/<token>). Accord sends no e-mail: the person who
// runs the server makes the link (python -m app.admin reset-password) and hands it over. Using
// it signs this phone in and every other device out; then home.
import { resetPassword } from "../api.js";
import { alertBox, h } from "../dom.js";
import { describe, SOMETHING_WRONG, unexpected } from "../errors.js";
import { afterSignIn } from "../keyring.js";
import { length, PASSWORD_MAX, PASSWORD_MIN } from "../password-rule.js";

// The refusals that leave the link itself done for (the form then gives way to a way out).
const LINK_DONE = {
  reset_used:
    "This link has been used already: each one works once. If you chose your new password with it, sign in with that; if not, ask for a new link.",
  reset_expired: "This link has expired: links work for an hour. Ask the person who gave it to you for a new one.",
  invalid_reset_token: "This link does not work. Check that you have all of it, or ask for a new one (a newer link replaces older ones).",
  account_disabled: "This account is switched off on this server. The person who runs it can tell you more.",
};

// [message, whether the link itself is done for (the form then gives way to a way out)].
function problem(error) {
  if (unexpected(error)) return [SOMETHING_WRONG, false];
  if (LINK_DONE[error.code]) return [LINK_DONE[error.code], true];
  if (error.status === 429) return ["Too many tries from this network. Wait a few minutes, then try again.", false];
  if (error.status === 422) return [`Your new password must have ${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`, false];
  const offline = "You are offline. Choosing a new password needs a connection: try again once you are back online.";
  return [describe(error, { offline }), false];
}

export function render(root, { go, params }) {
  const [token] = params;
  const error = alertBox();
  error.id = "reset-error";
  const password = h("input", {
    type: "password",
    name: "new_password",
    id: "new-password",
    required: true,
    minlength: PASSWORD_MIN,
    maxlength: PASSWORD_MAX,
    autocomplete: "new-password",
    "aria-describedby": "new-password-hint",
  });
  const again = h("input", {
    type: "password",
    name: "again",
    id: "new-password-again",
    required: true,
    maxlength: PASSWORD_MAX,
    autocomplete: "new-password",
  });
  const button = h("button", { type: "submit", class: "big" }, "Save and sign in");
  const form = h(
    "form",
    { id: "reset", novalidate: true },
    h("label", { for: "new-password" }, "New password"),
    password,
    h(
      "p",
      { id: "new-password-hint", class: "hint muted" },
      `${PASSWORD_MIN} to ${PASSWORD_MAX} characters. A few words you will remember make a strong one.`,
    ),
    h("label", { for: "new-password-again" }, "New password again"),
    again,
    error,
    button,
  );
  const done = h("p", { id: "reset-elsewhere", hidden: true }, h("a", { href: "#/welcome", class: "button secondary" }, "Go to sign in"));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const value = password.value;
    const n = length(value);
    if (n < PASSWORD_MIN || n > PASSWORD_MAX) {
      error.textContent =
        n < PASSWORD_MIN
          ? `That is a little short: use at least ${PASSWORD_MIN} characters.`
          : `That is too long: use at most ${PASSWORD_MAX} characters.`;
      password.setAttribute("aria-invalid", "true");
      password.focus();
      return;
    }
    password.removeAttribute("aria-invalid");
    if (again.value !== value) {
      error.textContent = "The two passwords are not the same. Type the new one again in both fields.";
      again.setAttribute("aria-invalid", "true");
      again.focus();
      return;
    }
    again.removeAttribute("aria-invalid");
    button.disabled = true;
    try {
      const user = await resetPassword({ token, new_password: value });
      // The keys are still wrapped under the password that was lost: keyring finds that out,
      // and More offers the kit to open them (docs/e2ee.md). Let go like at sign-in.
      afterSignIn(user, value).catch(() => null);
      go("home");
    } catch (failure) {
      const [message, spent] = problem(failure);
      error.textContent = message;
      button.disabled = spent;
      if (spent) {
        for (const field of [password, again]) {
          field.value = "";
          field.disabled = true;
        }
        done.hidden = false;
      } else password.focus();
    }
  });

  root.append(
    h("h1", {}, "Choose a new password"),
    h(
      "p",
      { class: "muted" },
      "Welcome back. Pick a new password and you are in: this phone is signed in, and any other device signed in to your account is signed out, to keep it yours.",
    ),
    form,
    done,
  );
  password.focus();
}
