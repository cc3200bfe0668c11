// Pending changes: what this phone made offline and has not sent yet, and what the server
// refused when it was sent (a conflict is shown, never swallowed). Refused changes can only be
// dismissed: resending them could undo what the partner did meanwhile.
import { h } from "../dom.js";
import { discard, flush, items } from "../outbox.js";
import { subscribe } from "../store.js";

function when(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

const WHY = {
  dynamic_paused: "Everything was paused by a red when it arrived.",
  dynamic_ended: "The dynamic had ended when it arrived.",
  etag_mismatch: "The protocol changed meanwhile: look at the new terms and decide again.",
  protocol_not_active: "The protocol was no longer active.",
  already_acknowledged: "It had already been acknowledged.",
  occurred_at_out_of_range: "It was made too long ago to be recorded.",
  // Made while your words were not private yet, and they became private meanwhile (docs/e2ee.md).
  words_not_private:
    "Your words with your partner became private meanwhile, so this was not kept as written: write it again and it will be encrypted on this phone.",
  no_pair_key: "It was encrypted for words that are not private here: write it again.",
};

export async function render(root) {
  const list = h("div", { id: "outbox-list" });
  const sendNow = h("button", { type: "button", id: "send-now" }, "Send now");
  // What could not be sent stays listed here as waiting: the list is drawn again either way.
  sendNow.addEventListener("click", () => flush().catch(() => 0));
  root.append(
    h("h1", {}, "Pending changes"),
    h("p", { class: "muted" }, "Changes made without a connection wait on this phone and are sent, in order, as soon as it is online."),
    list,
    h("div", { class: "actions" }, sendNow),
  );

  async function draw() {
    const all = await items();
    if (!all.length) {
      list.replaceChildren(h("p", { id: "outbox-empty" }, "Nothing is waiting: everything you did has reached the server."));
      sendNow.hidden = true;
      return;
    }
    sendNow.hidden = !all.some((i) => i.state === "pending");
    list.replaceChildren(
      h(
        "ul",
        { class: "plain outbox" },
        all.map((item) =>
          h(
            "li",
            { class: item.state === "failed" ? "card failed" : "card", "data-state": item.state },
            h("p", { class: "state" }, item.label),
            h("p", { class: "muted" }, `Made ${when(item.created_at)}`),
            item.state === "failed"
              ? [
                  h("p", { class: "refused" }, `Not made: ${WHY[item.error.code] || item.error.detail}`),
                  h("button", { type: "button", class: "secondary", onclick: () => discard(item.seq) }, "Dismiss"),
                ]
              : h("p", {}, "Waiting to be sent."),
          ),
        ),
      ),
    );
  }

  await draw();
  return subscribe((message) => {
    if (message.type === "outbox" || message.type === "outbox-sent") draw();
  });
}
