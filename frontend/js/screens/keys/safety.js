// The safety code of the dynamic: the same six groups of digits on both phones when each has
// the other's true key. Made here from the two public keys, never taken from the server.
import { h } from "../../dom.js";
import { KeyMismatch } from "../../key-trust.js";
import { keyWarning, safetyCodeOf, sealWhereReady } from "../../keyring.js";

const MISMATCH =
  "Something is not right: the server shows a key for you that is not the one your phone holds. No safety code is shown and nothing new is locked with that key. Please tell whoever runs Accord for you.";

export function safetyPart(account) {
  const { dynamic, me, partnerName } = account;
  const line = h("p", { id: "safety-code-note" }, "Looking for your keys…");
  const code = h("p", { class: "kit-code", id: "safety-code", translate: "no", hidden: true });
  const part = h("div", { id: "safety" }, h("h3", { class: "set-subtitle" }, `Safety code with ${partnerName}`), line, code);
  (async () => {
    // A pair key is made here if this phone is the first to see you both with keys.
    await sealWhereReady();
    const found = await safetyCodeOf(dynamic.id, me.id);
    if (found.mismatch || keyWarning(dynamic.id)) {
      line.textContent = found.mismatch ? MISMATCH : keyWarning(dynamic.id);
      return;
    }
    if (found.locked) {
      line.textContent =
        "Open your private words on this phone to see your safety code: it is made here, from the key your password opens.";
      return;
    }
    if (!found.code) {
      line.textContent = `Once you and ${partnerName} both have keys, your safety code appears here.`;
      return;
    }
    code.textContent = found.code;
    code.hidden = false;
    line.textContent = `Compare it with the code on ${partnerName}’s phone, in person or on a call. The same code on both means your words reach each other and nobody in between.`;
  })().catch((error) => {
    // Offline or refused: the code is simply not shown now; nothing is changed by this part.
    line.textContent = error instanceof KeyMismatch ? MISMATCH : "Your safety code can be shown when you are online.";
  });
  return part;
}
