// More → "Private words": the keys of this account, the safety code with the partner, and the
// recovery kit. Says plainly what is private today (docs/e2ee.md): the keys are ready, and the
// notes themselves are encrypted in a coming version.
import { h } from "../../dom.js";
import { myKeys, wrapIsStale } from "../../keyring.js";
import { section } from "../settings/form.js";
import { newKitForm, setUpForm, staleWrapForm } from "./new-kit.js";
import { safetyPart } from "./safety.js";

const TODAY =
  "Your keys are ready. Encrypting what you write with them arrives in a coming version of Accord: until then, notes are stored on the server as before.";

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
      account.dynamic ? safetyPart(account) : null,
      newKitForm(account),
    );
  })().catch(() => {
    // Offline or refused: nothing about keys can be shown or changed now; the rest of More works.
    body.replaceChildren(h("p", {}, "Your keys can be shown when you are online."));
  });
  return section("keys", "Private words", body);
}
