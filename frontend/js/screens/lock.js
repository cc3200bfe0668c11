// The lock screen: the device PIN, asked when the app opens and after five minutes away. Too
// many wrong PINs sign this phone out and erase its local copy (pin.js decides when).
import { alertBox, confirmDialog, h } from "../dom.js";
import { unlock, validPin } from "../pin.js";
import { signOutHere } from "../sign-out.js";

export function render(root, ctx) {
  const error = alertBox();
  const pin = h("input", {
    type: "password",
    id: "unlock-pin",
    inputmode: "numeric",
    autocomplete: "off",
    maxlength: 8,
    pattern: "[0-9]*",
    required: true,
    "aria-describedby": "unlock-hint",
  });
  const submit = h("button", { type: "submit", class: "big" }, "Unlock");
  const form = h(
    "form",
    { id: "unlock", class: "lock-form" },
    h("label", { for: "unlock-pin" }, "PIN"),
    h("span", { class: "set-hint", id: "unlock-hint" }, "The 4 to 8 digits set on this phone."),
    pin,
    error,
    submit,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    if (!validPin(pin.value)) {
      error.textContent = "A PIN is 4 to 8 digits.";
      pin.focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = "Checking…";
    let answer;
    try {
      answer = await unlock(pin.value);
    } catch (failure) {
      answer = { result: "error", message: failure.message };
    }
    pin.value = "";
    submit.disabled = false;
    submit.textContent = "Unlock";
    if (answer.result === "ok") return ctx.render();
    if (answer.result === "wiped") {
      error.textContent = "Too many wrong PINs. This phone is being signed out.";
      await signOutHere();
      return ctx.render();
    }
    if (answer.result === "wrong") {
      error.textContent =
        answer.left === 1
          ? "Wrong PIN. 1 try left before this phone is signed out and its data erased."
          : `Wrong PIN. ${answer.left} tries left.`;
    } else {
      error.textContent = `The PIN could not be checked: ${answer.message}`;
    }
    pin.focus();
  });

  const forgot = h("button", { type: "button", class: "set-link", id: "forgot-pin" }, "Forgot the PIN? Sign out of this phone");
  forgot.addEventListener("click", async () => {
    const ok = await confirmDialog({
      title: "Sign out of this phone?",
      text: "This erases what Accord keeps on this phone, including changes not sent yet. Your account and your dynamic are not touched: sign in again with your email and password.",
      confirm: "Sign out",
      danger: true,
    });
    if (!ok) return;
    forgot.disabled = true;
    await signOutHere();
    ctx.render();
  });

  root.append(
    h(
      "div",
      { class: "lock-screen" },
      h("h1", {}, "Accord is locked"),
      h("p", { class: "muted" }, "Enter your PIN to open it."),
      form,
      h("p", { class: "lock-forgot" }, forgot),
    ),
  );
  pin.focus();
}
