// A hard limit or no of either of you named in a proposal's text: said once before sending.
// Pressing send again with the same items named sends it as it is.
import { h } from "../../dom.js";
import { limitsNamedIn } from "../../limits-named.js";
import { entity } from "../../store.js";

export function limitsWarning(terms, dynamicId, them) {
  const box = h("div", { class: "card lim-warning", id: "limits-warning", role: "alert", hidden: true });
  terms.summary.after(box);
  let warnedAbout = "";
  // True when sending should wait for a second press.
  return async function holds(collected) {
    const view = await entity("limits", dynamicId);
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
