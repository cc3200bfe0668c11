// More → "Private words": the keys of this account, opening them on this phone again, the safety
// code with the partner, and the recovery kit. Says plainly what is private today (docs/e2ee.md).
import { h } from "../../dom.js";
import { myKeys, unlocked, wrapIsStale } from "../../keyring.js";
import { section } from "../settings/form.js";
import { newKitForm, setUpForm, staleWrapForm, unlockForm } from "./new-kit.js";
import { safetyPart } from "./safety.js";

// What is private, in plain words (the list of docs/e2ee.md, "What is encrypted").
const TODAY =
  "Once you both have keys, what you write to each other is encrypted on your phones: check-in notes and needs in your own words, notes back, notes on what you did for each other, the notes with a red, a yellow or “I see you”, what you write in a review, and your protocols’ titles, descriptions and reasons. The server keeps only what it cannot read. Moods, numbers and times stay readable to it, so your balance and reminders keep working.";

export function keysSection(account) {
  const body = h("div", { id: "keys-body" }, h("p", {}, "Looking for your keys…"));
  (async () => {
    if (!(await myKeys())) {
      body.replaceChildren(h("p", {}, "You have no keys yet."), setUpForm(account));
      return;
    }
    // Only the parts that apply (replaceChildren would show a null as the word "null").
    const parts = [
      h("p", { id: "keys-today" }, TODAY),
      wrapIsStale() ? staleWrapForm(account) : null,
      !wrapIsStale() && !unlocked() ? unlockForm(account) : null,
      account.dynamic ? safetyPart(account) : null,
      newKitForm(account),
    ];
    body.replaceChildren(...parts.filter(Boolean));
  })().catch(() => {
    // Offline or refused: nothing about keys can be shown or changed now; the rest of More works.
    body.replaceChildren(h("p", {}, "Your keys can be shown when you are online."));
  });
  return section("keys", "Private words", body);
}
