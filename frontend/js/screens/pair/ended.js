// A dynamic that ended stays readable: say so, and lead to what was shared in it.
import { h } from "../../dom.js";
import { dateText } from "../../format.js";

export function endedSection(ended, me) {
  const other = ended.members.find((m) => !me || m.user_id !== me.id);
  const when = ended.ended_at ? dateText(ended.ended_at) : "";
  const link = (href, text) => h("a", { href, class: "button secondary" }, text);
  return h(
    "section",
    { class: "card", id: "ended", "aria-labelledby": "ended-title" },
    h("h2", { id: "ended-title" }, `Your dynamic with ${other ? other.display_name : "your partner"} has ended`),
    h(
      "p",
      {},
      `It ended${when ? ` on ${when}` : ""}. What you shared stays readable here, and in your export; nothing more can be added to it.`,
    ),
    h(
      "div",
      { class: "actions" },
      link("#/protocols", "Protocols"),
      link("#/checkins", "Check-ins"),
      link("#/balance", "Balance"),
      link("#/limits", "Limits"),
    ),
  );
}
