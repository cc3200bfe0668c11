// The recovery kit as shown, wherever it is shown (after sign-up, or a new one from settings):
// the words, what it is for, and a way to print it.
import { h } from "../../dom.js";

export function kitCard(text) {
  return h(
    "div",
    { class: "recovery-kit", id: "recovery-kit" },
    h(
      "p",
      {},
      "This is your recovery kit. If you ever forget your password, it is the only way back to what you and your partner wrote: nobody else, not even whoever runs this server, can open it for you.",
    ),
    h("p", { class: "kit-code", id: "kit-code", translate: "no" }, text),
    h("p", { class: "muted" }, "Write it down or print it, and keep it somewhere safe and private. It is shown only now."),
    h("button", { type: "button", class: "secondary", onclick: () => window.print() }, "Print"),
  );
}
