// Welcome: sign up (adults only) or sign in.
import { login, register } from "../api.js";
import { alertBox, h } from "../dom.js";

export function render(root, { go, hasJoinCode }) {
  const next = () => go(hasJoinCode() ? "pair" : "home");

  const signupError = alertBox();
  const signup = h(
    "form",
    { id: "signup" },
    h("label", {}, "Your name", h("input", { type: "text", name: "display_name", required: true, maxlength: 64, autocomplete: "nickname" })),
    h("label", {}, "Email", h("input", { type: "email", name: "email", required: true, autocomplete: "email" })),
    h("label", {}, "Password", h("input", { type: "password", name: "password", required: true, minlength: 8, maxlength: 128, autocomplete: "new-password" })),
    h("label", { class: "check" }, h("input", { type: "checkbox", name: "adult", required: true }), "I am an adult (18 or over)"),
    signupError,
    h("button", { type: "submit" }, "Create account"),
  );
  signup.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(signup);
    signupError.textContent = "";
    if (!form.get("adult")) {
      signupError.textContent = "Accord is for adults: please confirm that you are one.";
      return;
    }
    try {
      await register({
        display_name: form.get("display_name"),
        email: form.get("email"),
        password: form.get("password"),
      });
      next();
    } catch (error) {
      signupError.textContent = error.message;
    }
  });

  const signinError = alertBox();
  const signin = h(
    "form",
    { id: "signin" },
    h("label", {}, "Email", h("input", { type: "email", name: "email", required: true, autocomplete: "email" })),
    h("label", {}, "Password", h("input", { type: "password", name: "password", required: true, autocomplete: "current-password" })),
    signinError,
    h("button", { type: "submit" }, "Sign in"),
  );
  signin.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(signin);
    signinError.textContent = "";
    try {
      await login({ email: form.get("email"), password: form.get("password") });
      next();
    } catch (error) {
      signinError.textContent = error.message;
    }
  });

  root.append(
    h("h1", {}, "Accord"),
    h("p", { class: "muted" }, "Agreements, check-ins and balance, for two."),
    h("section", { "aria-labelledby": "signup-title" }, h("h2", { id: "signup-title" }, "Create an account"), signup),
    h("section", { "aria-labelledby": "signin-title" }, h("h2", { id: "signin-title" }, "Sign in"), signin),
  );
}
