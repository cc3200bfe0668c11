// A hard limit or no of either of you named in a proposal's text: said once before sending.
// Pressing send again with the same items named sends it as it is.
import { h } from "../../dom.js";
import { limitsNamedIn } from "../../limits-named.js";
import { entity } from "../../store.js";
import { holdsSealed } from "../limits/words.js";

// `who`: {me, partnerId}, the user ids whose sealed words the limits view may hold.
export function limitsWarning(terms, dynamicId, them, who) {
  const box = h("div", { class: "card lim-warning", id: "limits-warning", role: "alert", hidden: true });
  terms.summary.after(box);
  let warnedAbout = "";
  // True when sending should wait for a second press.
  return async function holds(collected) {
    // Items locked on this phone are named by no text (their index), so they warn of nothing.
    const stored = await entity("limits", dynamicId);
    const view = holdsSealed(stored)
      ? await (await import("../../limits-words.js")).openLimits(dynamicId, stored, who.me, who.partnerId)
      : stored;
    const named = limitsNamedIn(`${collected.title || ""}\n${collected.description || ""}`, view, them);
    box.hidden = !named.length;
    if (!named.length || named.join(" ") === warnedAbout) return false;
    warnedAbout = named.join(" ");
    box.replaceChildren(
      h("h2", {}, "Before you send this"),
      h(
        "ul",
        {},
        named.map((line) => h("li", {}, line)),
      ),
      h(
        "p",
        {},
        `You can still send it, perhaps to talk it over together. Change it, or press “${terms.submit.textContent}” again to send it as it is.`,
      ),
    );
    box.scrollIntoView({ block: "center" });
    return true;
  };
}
