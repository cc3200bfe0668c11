// Welcome: sign up (adults only) or sign in. Someone who came by a partner's join link is told
// so: the invite itself can be read only once signed in (GET /api/invites/{code} needs a
// session), so the pairing screen shows who it is from right after.
import { ApiError, OfflineError, login, register } from "../api.js";
import { alertBox, h } from "../dom.js";

const PASSWORD_MIN = 8;
const PASSWORD_MAX = 128;

// Characters as the server counts them (code points, not UTF-16 units).
const length = (text) => [...text].length;

function passwordProblem(password) {
  const n = length(password);
  if (n < PASSWORD_MIN) return `Your password is too short: use at least ${PASSWORD_MIN} characters${n ? ` (this one has ${n})` : ""}.`;
  if (n > PASSWORD_MAX) return `Your password is too long: use at most ${PASSWORD_MAX} characters (this one has ${n}).`;
  return null;
}

// Retry-After (seconds) in whole minutes, from the error if the API client kept the header,
// else from the server's sentence ("… try again in 840 seconds").
function minutesToWait(error) {
  let seconds = Number(error.retryAfter);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    const match = /(\d+)\s*seconds?/.exec((error.body && error.body.detail) || "");
    seconds = match ? Number(match[1]) : NaN;
  }
  if (!Number.isFinite(seconds) || seconds <= 0) return null;
  return Math.max(1, Math.ceil(seconds / 60));
}

function signInProblem(error) {
  if (error instanceof OfflineError) return "You are offline. Signing in needs a connection.";
  if (!(error instanceof ApiError)) return "Something went wrong. Try again in a moment.";
  if (error.code === "account_disabled") return "This account is switched off on this server. The person who runs it can tell you more.";
  if (error.code === "invalid_credentials" || error.status === 401) return "Wrong email or password. Check both and try again.";
  if (error.code === "too_many_attempts" || error.status === 429) {
    const minutes = minutesToWait(error);
    const wait = minutes ? `in ${minutes} ${minutes === 1 ? "minute" : "minutes"}` : "later";
    return `Too many failed attempts: signing in to this account from here is paused for safety. Try again ${wait}.`;
  }
  if (error.status === 422) return "Enter your email address and your password.";
  return error.message;
}

function signUpProblem(error) {
  if (error instanceof OfflineError) return ["You are offline. Creating an account needs a connection.", null];
  if (!(error instanceof ApiError)) return ["Something went wrong. Try again in a moment.", null];
  if (error.code === "email_taken") return ["An account with this email already exists. Sign in below, or use another email.", "email"];
  if (error.code === "too_many_sign_ups" || error.status === 429) {
    const minutes = minutesToWait(error);
    const wait = minutes ? `in ${minutes} ${minutes === 1 ? "minute" : "minutes"}` : "later";
    return [`Too many new accounts from this network. Try again ${wait}.`, null];
  }
  if (error.code === "validation_error" && error.body && Array.isArray(error.body.errors) && error.body.errors.length) {
    const field = error.body.errors[0].loc && error.body.errors[0].loc[1];
    if (field === "email") return ["This email address does not look right. Check it, like name@example.org.", "email"];
    if (field === "password") return [`Your password must have ${PASSWORD_MIN} to ${PASSWORD_MAX} characters.`, "password"];
    if (field === "display_name") return ["Your name must be one line of 1 to 64 characters.", "display_name"];
  }
  return [error.message, null];
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

export function render(root, { go, hasJoinCode }) {
  const invited = hasJoinCode();
  const next = () => go(hasJoinCode() ? "pair" : "home");

  // --- sign up ------------------------------------------------------------------------------------
  const signupError = alertBox();
  signupError.id = "signup-error";
  const signupButton = h("button", { type: "submit" }, "Create account");
  const signup = h(
    "form",
    { id: "signup", novalidate: true },
    h("label", {}, "Your name", h("input", { type: "text", name: "display_name", required: true, maxlength: 64, autocomplete: "nickname", "aria-describedby": "name-hint" })),
    h("p", { id: "name-hint", class: "hint muted" }, "What your partner will see."),
    h("label", {}, "Email", h("input", { type: "email", name: "email", required: true, maxlength: 320, autocomplete: "email", inputmode: "email", spellcheck: "false" })),
    h(
      "label",
      {},
      "Password",
      h("input", { type: "password", name: "password", required: true, minlength: PASSWORD_MIN, maxlength: PASSWORD_MAX, autocomplete: "new-password", "aria-describedby": "password-hint" }),
    ),
    h("p", { id: "password-hint", class: "hint muted" }, `${PASSWORD_MIN} to ${PASSWORD_MAX} characters. A few words you will remember make a strong one.`),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "adult", required: true }), "I am an adult (18 or over)"),
    signupError,
    signupButton,
  );
  signup.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(signup);
    const name = String(form.get("display_name") || "").trim();
    const email = String(form.get("email") || "").trim();
    const password = String(form.get("password") || "");
    signupError.textContent = "";
    let problem = null;
    if (!name) problem = ["Tell us your name: it is what your partner sees.", "display_name"];
    else if (!email || !signup.elements.namedItem("email").checkValidity()) problem = ["Enter your email address, like name@example.org.", "email"];
    else if (passwordProblem(password)) problem = [passwordProblem(password), "password"];
    else if (!form.get("adult")) problem = ["Accord is for adults: please confirm that you are one.", "adult"];
    if (problem) {
      signupError.textContent = problem[0];
      flag(signup, problem[1]);
      return;
    }
    flag(signup, null);
    signupButton.disabled = true;
    try {
      await register({ display_name: name, email, password });
      next();
    } catch (error) {
      signupButton.disabled = false;
      const [message, field] = signUpProblem(error);
      signupError.textContent = message;
      if (error instanceof ApiError && error.code === "email_taken") {
        // Most likely this person has an account already: offer it in the sign-in form.
        signin.elements.namedItem("email").value = email;
        flag(signup, null);
        signup.elements.namedItem("email").setAttribute("aria-invalid", "true");
      } else flag(signup, field);
    }
  });

  // --- sign in ------------------------------------------------------------------------------------
  const signinError = alertBox();
  signinError.id = "signin-error";
  const signinButton = h("button", { type: "submit" }, "Sign in");
  const signin = h(
    "form",
    { id: "signin", novalidate: true },
    h("label", {}, "Email", h("input", { type: "email", name: "email", required: true, maxlength: 320, autocomplete: "email", inputmode: "email", spellcheck: "false" })),
    h("label", {}, "Password", h("input", { type: "password", name: "password", required: true, maxlength: PASSWORD_MAX, autocomplete: "current-password" })),
    signinError,
    signinButton,
    h("p", { class: "hint muted", id: "forgot-password" }, "Forgot your password? Accord sends no e-mail: ask the person who runs this server for a reset link."),
  );
  signin.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(signin);
    const email = String(form.get("email") || "").trim();
    const password = String(form.get("password") || "");
    signinError.textContent = "";
    if (!email || !password) {
      signinError.textContent = "Enter your email address and your password.";
      flag(signin, email ? "password" : "email");
      return;
    }
    flag(signin, null);
    signinButton.disabled = true;
    try {
      await login({ email, password });
      next();
    } catch (error) {
      signinButton.disabled = false;
      signinError.textContent = signInProblem(error);
      if (error instanceof ApiError && error.status === 401) flag(signin, "password");
    }
  });

  const parts = [
    h("h1", {}, "Accord"),
    h("p", { class: "muted" }, "Agreements, check-ins and balance, for two."),
    invited
      ? h(
          "section",
          { class: "invited", id: "invited", "aria-labelledby": "invited-title" },
          h("h2", { id: "invited-title" }, "You have been invited"),
          h("p", {}, "Your partner invited you to link your profiles. Sign up or sign in to accept your invite: you will see who it is from before you join."),
        )
      : null,
    h("section", { "aria-labelledby": "signup-title" }, h("h2", { id: "signup-title" }, "Create an account"), signup),
    h("section", { "aria-labelledby": "signin-title" }, h("h2", { id: "signin-title" }, "Sign in"), signin),
  ];
  root.append(...parts.filter(Boolean));
}
