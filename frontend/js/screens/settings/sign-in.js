// Sign-in details: the email and the password (PATCH /api/me with current_password). A new
// password signs out every other device; this one keeps its session (docs/api.md).
import { h } from "../../dom.js";
import { emailForm } from "./email.js";
import { section } from "./form.js";
import { passwordForm } from "./password.js";

// `account`: {me} of the screen, and devicesChanged() to show the devices again.
export function signInSection(account) {
  const signedInAs = h("p", { id: "account-email" });
  // The account's email, for password managers: they file the new password under it.
  const username = h("input", {
    type: "email",
    id: "password-username",
    autocomplete: "username",
    value: account.me.email,
    hidden: true,
    readonly: true,
  });
  const showEmail = () => {
    signedInAs.replaceChildren("You sign in with ", h("strong", {}, account.me.email), ".");
    username.value = account.me.email;
  };
  showEmail();
  return section("account", "Sign-in details", signedInAs, emailForm(account, showEmail), passwordForm(account, username));
}
