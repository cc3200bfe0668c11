// Right after pairing, once per phone: may this phone show notifications, and why it helps.
import { alertBox, h } from "../../dom.js";
import * as push from "../../push.js";

const ASKED_KEY = "accord.notifications-asked";

// Right after pairing: ask once whether this phone may show notifications, and say why.
export function notificationAsk(partnerName, onDone) {
  if (!push.supported() || Notification.permission !== "default" || localStorage.getItem(ASKED_KEY)) return null;
  const message = alertBox();
  const done = () => {
    localStorage.setItem(ASKED_KEY, "1");
    onDone();
  };
  const turnOn = h("button", { type: "button", id: "notify-on" }, "Turn on notifications");
  turnOn.addEventListener("click", async () => {
    turnOn.disabled = true;
    try {
      await push.enable();
      done();
    } catch (failure) {
      turnOn.disabled = false;
      message.textContent = failure.message;
    }
  });
  return h(
    "section",
    { class: "card", id: "notify-ask", "aria-labelledby": "notify-title" },
    h("h2", { id: "notify-title" }, "Let a red reach you"),
    h(
      "p",
      {},
      `With notifications on, a red or yellow from ${partnerName} reaches this phone even when Accord is closed. They only say “You have something new in Accord” unless you choose otherwise in More.`,
    ),
    message,
    h(
      "div",
      { class: "actions" },
      turnOn,
      h("button", { type: "button", class: "secondary", id: "notify-later", onclick: done }, "Not now"),
    ),
  );
}
