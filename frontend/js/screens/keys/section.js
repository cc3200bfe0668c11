// More → "Private words": the keys of this account, opening them on this phone again, the safety
// code with the partner, and the recovery kit. Says plainly what is private today (docs/e2ee.md).
import { h } from "../../dom.js";
import { myKeys, unlocked, wrapIsStale } from "../../keyring.js";
import { section } from "../settings/form.js";
import { newKitForm, setUpForm, staleWrapForm, unlockForm } from "./new-kit.js";
import { safetyPart } from "./safety.js";

const TODAY =
  "Once you both have keys, check-in notes, needs in your own words, notes back, notes on what you did for each other the notes with a red, a yellow or “I see you”, and what you write in a review are encrypted on your phones: the server keeps only what it cannot read. Protocols are still stored as written, until a coming version.";

export function keysSection(account) {
  const body = h("div", { id: "keys-body" }, h("p", {}, "Looking for your keys…"));
  (async () => {
    if (!(await myKeys())) {
      body.replaceChildren(h("p", {}, "You have no keys yet."), setUpForm(account));
      return;
    }
    body.replaceChildren(
      h("p", { id: "keys-today" }, TODAY),
      wrapIsStale() ? staleWrapForm(account) : null,
      !wrapIsStale() && !unlocked() ? unlockForm(account) : null,
      account.dynamic ? safetyPart(account) : null,
      newKitForm(account),
    );
  })().catch(() => {
    // Offline or refused: nothing about keys can be shown or changed now; the rest of More works.
    body.replaceChildren(h("p", {}, "Your keys can be shown when you are online."));
  });
  return section("keys", "Private words", body);
}
