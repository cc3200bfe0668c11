// The dynamic switcher, for someone with more than one partner: each dynamic by the partner's
// name with its own badge of what waits (GET /api/waiting), the one shown marked. Choosing one
// shows its home; the choice stays on this device (store.chooseDynamic).
import { h } from "../../dom.js";
import { chooseDynamic } from "../../store.js";

function partnerOf(dynamic, me) {
  const partner = dynamic.members.find((m) => m.user_id !== me.id);
  return partner ? partner.display_name : "Your partner";
}

export function switcher(dynamics, current, me, counts, go) {
  if (dynamics.length < 2) return null;
  const waiting = new Map((counts?.dynamics || []).map((c) => [c.dynamic_id, c.count]));
  return h(
    "nav",
    { class: "dynamic-switch", id: "dynamic-switch", "aria-label": "Your dynamics" },
    h(
      "ul",
      { class: "plain" },
      dynamics.map((d) => {
        const count = waiting.get(d.id) || 0;
        const name = partnerOf(d, me);
        const here = d.id === current.id;
        return h(
          "li",
          {},
          h(
            "a",
            {
              href: `#/dynamics/${encodeURIComponent(d.id)}/home`,
              class: here ? "switch here" : "switch",
              "aria-current": here ? "page" : false,
              "data-dynamic": d.id,
              onclick: (event) => {
                event.preventDefault();
                chooseDynamic(d.id);
                go("home");
              },
            },
            h("span", {}, `With ${name}`),
            count ? h("span", { class: "badge", "aria-label": `${count} waiting` }, String(count)) : null,
          ),
        );
      }),
    ),
  );
}
