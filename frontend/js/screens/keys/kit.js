// The recovery kit made with the keys at sign-up (or sign-in), shown once: once it is marked as
// written down, only a new kit (in settings) can be shown.
import { h } from "../../dom.js";
import { kitWrittenDown, pendingKit } from "../../keyring.js";
import { kitCard } from "./kit-words.js";

export function render(root, { go }) {
  const text = pendingKit();
  if (!text) {
    root.append(
      h("h1", {}, "Your recovery kit"),
      h("p", {}, "There is no new kit waiting here. You can make a new one at any time in More, under “Private words”."),
      h("a", { href: "#/settings", class: "button" }, "Go to More"),
    );
    return;
  }
  const done = h("button", { type: "button", id: "kit-done", class: "big" }, "I have written it down");
  done.addEventListener("click", () => {
    kitWrittenDown();
    go("home");
  });
  root.append(h("h1", {}, "Your recovery kit"), kitCard(text), done);
}
