// Welcome: sign up (adults only) or sign in. Someone who came by a partner's join link is told
// so: the invite itself can be read only once signed in (GET /api/invites/{code} needs a
// session), so the pairing screen shows who it is from right after.
import { ApiError, login, register } from "../api.js";
import { alertBox, h } from "../dom.js";
import { describe, invalidField, SOMETHING_WRONG, secondsToWait, unexpected } from "../errors.js";
import { inMinutes } from "../format.js";
import { afterSignIn } from "../keyring.js";
import { PASSWORD_MAX, PASSWORD_MIN, passwordProblem } from "../password-rule.js";

// A refused sign-in in words.
function signInProblem(error) {
  if (unexpected(error)) return SOMETHING_WRONG;
  const wrong = "Wrong email or password. Check both and try again.";
  const paused = `Too many failed attempts: signing in to this account from here is paused for safety. Try again ${inMinutes(secondsToWait(error), "later")}.`;
  if (error.code === "account_disabled") return "This account is switched off on this server. The person who runs it can tell you more.";
  if (error.status === 401) return wrong;
  if (error.status === 429) return paused;
  if (error.status === 422) return "Enter your email address and your password.";
  const codes = { invalid_credentials: wrong, too_many_attempts: paused };
  return describe(error, { offline: "You are offline. Signing in needs a connection.", codes });
}

// A refused sign-up in words, and the field it is about (or null).
function signUpProblem(error) {
  if (unexpected(error)) return [SOMETHING_WRONG, null];
  const invalid = {
    email: ["This email address does not look right. Check it, like name@example.org.", "email"],
    password: [`Your password must have ${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`, "password"],
    display_name: ["Your name must be one line of 1 to 64 characters.", "display_name"],
  };
  if (invalid[invalidField(error)]) return invalid[invalidField(error)];
  const tooMany = `Too many new accounts from this network. Try again ${inMinutes(secondsToWait(error), "later")}.`;
  if (error.status === 429) return [tooMany, null];
  const codes = {
    email_taken: "An account with this email already exists. Sign in below, or use another email.",
    too_many_sign_ups: tooMany,
  };
  const text = describe(error, { offline: "You are offline. Creating an account needs a connection.", codes });
  return [text, error.code === "email_taken" ? "email" : null];
}

// Marks one field as wrong (and only that one), and puts the cursor in it.
function flag(form, name) {
  for (const input of form.querySelectorAll("input")) input.removeAttribute("aria-invalid");
  if (!name) return;
  const input = form.elements.namedItem(name);
  if (input) {
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}

// What is wrong with the sign-up form before it is sent, as [words, field], or null.
function signUpMissing(signup, { name, email, password, adult }) {
  if (!name) return ["Tell us your name: it is what your partner sees.", "display_name"];
  if (!email || !signup.elements.namedItem("email").checkValidity()) return ["Enter your email address, like name@example.org.", "email"];
  if (passwordProblem(password)) return [passwordProblem(password), "password"];
  if (!adult) return ["Accord is for adults: please confirm that you are one.", "adult"];
  return null;
}

function emailInput() {
  return h("input", {
    type: "email",
    name: "email",
    required: true,
    maxlength: 320,
    autocomplete: "email",
    inputmode: "email",
    spellcheck: "false",
  });
}

function signUpFields() {
  const name = h("input", {
    type: "text",
    name: "display_name",
    required: true,
    maxlength: 64,
    autocomplete: "nickname",
    "aria-describedby": "name-hint",
  });
  const password = h("input", {
    type: "password",
    name: "password",
    required: true,
    minlength: PASSWORD_MIN,
    maxlength: PASSWORD_MAX,
    autocomplete: "new-password",
    "aria-describedby": "password-hint",
  });
  return [
    h("label", {}, "Your name", name),
    h("p", { id: "name-hint", class: "hint muted" }, "What your partner will see."),
    h("label", {}, "Email", emailInput()),
    h("label", {}, "Password", password),
    h(
      "p",
      { id: "password-hint", class: "hint muted" },
      `${PASSWORD_MIN} to ${PASSWORD_MAX} characters. A few words you will remember make a strong one.`,
    ),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "adult", required: true }), "I am an adult (18 or over)"),
  ];
}

// `offerSignIn(email)`: the email is already an account's, so the sign-in form gets it.
function signUpForm(next, offerSignIn) {
  const error = Object.assign(alertBox(), { id: "signup-error" });
  const button = h("button", { type: "submit" }, "Create account");
  const signup = h("form", { id: "signup", novalidate: true }, ...signUpFields(), error, button);
  signup.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(signup);
    const values = {
      name: String(form.get("display_name") || "").trim(),
      email: String(form.get("email") || "").trim(),
      password: String(form.get("password") || ""),
      adult: Boolean(form.get("adult")),
    };
    error.textContent = "";
    const missing = signUpMissing(signup, values);
    flag(signup, missing ? missing[1] : null);
    if (missing) {
      error.textContent = missing[0];
      return;
    }
    button.disabled = true;
    try {
      const user = await register({ display_name: values.name, email: values.email, password: values.password });
      next(user, values.password);
    } catch (failure) {
      button.disabled = false;
      const [message, field] = signUpProblem(failure);
      error.textContent = message;
      flag(signup, failure instanceof ApiError && failure.code === "email_taken" ? null : field);
      if (failure instanceof ApiError && failure.code === "email_taken") {
        // Most likely this person has an account already: offer it in the sign-in form.
        offerSignIn(values.email);
        signup.elements.namedItem("email").setAttribute("aria-invalid", "true");
      }
    }
  });
  return signup;
}

function signInForm(next) {
  const error = Object.assign(alertBox(), { id: "signin-error" });
  const button = h("button", { type: "submit" }, "Sign in");
  const forgot =
    "Forgot your password? Accord sends no e-mail: use the recovery kit you wrote down, or ask the person who runs this server for a reset link.";
  const signin = h(
    "form",
    { id: "signin", novalidate: true },
    h("label", {}, "Email", emailInput()),
    h(
      "label",
      {},
      "Password",
      h("input", { type: "password", name: "password", required: true, maxlength: PASSWORD_MAX, autocomplete: "current-password" }),
    ),
    error,
    button,
    h(
      "p",
      { class: "hint muted", id: "forgot-password" },
      forgot,
      " ",
      h("a", { href: "#/recover", id: "use-kit" }, "Use my recovery kit"),
    ),
  );
  signin.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(signin);
    const email = String(form.get("email") || "").trim();
    const password = String(form.get("password") || "");
    error.textContent = "";
    if (!email || !password) {
      error.textContent = "Enter your email address and your password.";
      flag(signin, email ? "password" : "email");
      return;
    }
    flag(signin, null);
    button.disabled = true;
    try {
      const user = await login({ email, password });
      next(user, password);
    } catch (failure) {
      button.disabled = false;
      error.textContent = signInProblem(failure);
      if (failure instanceof ApiError && failure.status === 401) flag(signin, "password");
    }
  });
  return signin;
}

function invitedNote() {
  return h(
    "section",
    { class: "invited", id: "invited", "aria-labelledby": "invited-title" },
    h("h2", { id: "invited-title" }, "You have been invited"),
    h(
      "p",
      {},
      "Your partner invited you to link your profiles. Sign up or sign in to accept your invite: you will see who it is from before you join.",
    ),
  );
}

export function render(root, { go, hasJoinCode }) {
  const next = (user, password) => {
    // Keys are set up (or opened) with the password just typed, while the app goes on: a
    // new recovery kit is then offered in the banner. A failure is let go on purpose: signing
    // in must not depend on it, and More → "Private words" offers the setup again.
    afterSignIn(user, password).catch(() => null);
    go(hasJoinCode() ? "pair" : "home");
  };
  const signin = signInForm(next);
  const signup = signUpForm(next, (email) => {
    signin.elements.namedItem("email").value = email;
  });
  const parts = [
    h("h1", {}, "Accord"),
    h("p", { class: "muted" }, "Agreements, check-ins and balance, for two."),
    hasJoinCode() ? invitedNote() : null,
    h("section", { "aria-labelledby": "signup-title" }, h("h2", { id: "signup-title" }, "Create an account"), signup),
    h("section", { "aria-labelledby": "signin-title" }, h("h2", { id: "signin-title" }, "Sign in"), signin),
  ];
  root.append(...parts.filter(Boolean));
}
