// Protocols: the dynamic's protocols, grouped by what they need: proposals waiting for my
// answer first, then the ones in force, then the ones waiting for my partner, the stopped ones
// and the closed ones. Each links to its page; "Propose a protocol" opens the form.
import { h } from "../dom.js";
import { KINDS, partnerOf, people, shortStatus, waitingForMe } from "../protocol-terms.js";
import { openProtocols } from "../protocol-words.js";
import { entities, entity, subscribe, trySync } from "../store.js";

function group(protocol, me) {
  if (waitingForMe(protocol, me)) return "mine";
  if (protocol.status === "active") return "active";
  if (protocol.status === "declined" || protocol.status === "retired") return "closed";
  if (protocol.pending && protocol.agreed_by.includes(me.id)) return "theirs";
  return "stopped";
}

function item(protocol, dynamic, me) {
  const meta = [KINDS[protocol.kind] || protocol.kind, `${people(dynamic, me, shownPerformers(protocol))}`];
  return h(
    "li",
    {},
    h(
      "a",
      { href: `#/protocol/${encodeURIComponent(protocol.id)}`, class: "proto-item", "data-id": protocol.id },
      h("span", { class: "proto-item-title" }, shownTitle(protocol)),
      h("span", { class: "proto-item-meta" }, meta.join(" · ")),
      h("span", { class: `proto-badge proto-badge-${protocol.status}` }, shortStatus(protocol, dynamic, me)),
    ),
  );
}

// While a change is being renegotiated, the list names the protocol by the terms in force.
function shownTitle(protocol) {
  return protocol.in_force ? protocol.in_force.title : protocol.title;
}

function shownPerformers(protocol) {
  return protocol.in_force ? protocol.in_force.performer_ids : protocol.performer_ids;
}

export async function render(root, ctx) {
  const me = ctx.me;
  const dynamicId = ctx.dynamic.id;
  const body = h("div", { class: "proto-screen", id: "protocols" });
  root.append(
    h("h1", {}, "Protocols"),
    h("p", { class: "muted" }, "A protocol starts only when you both agree to the same terms, and either of you can stop it at any time."),
    h("a", { href: "#/propose", class: "button big", id: "propose-new" }, "Propose a protocol"),
    body,
  );

  let stopped = false;
  async function draw() {
    const dynamic = (await entity("dynamic", dynamicId)) || ctx.dynamic;
    const all = await openProtocols(await entities("protocol", dynamicId));
    if (stopped) return;
    const partner = partnerOf(dynamic, me);
    const partnerName = partner ? partner.display_name : "your partner";
    all.sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1));
    const groups = { mine: [], active: [], theirs: [], stopped: [], closed: [] };
    for (const protocol of all) groups[group(protocol, me)].push(protocol);
    const titles = {
      mine: "Waiting for your answer",
      active: "In force",
      theirs: `Waiting for ${partnerName}`,
      stopped: "On hold",
      closed: "Declined or retired",
    };
    const parts = [];
    if (dynamic.state === "paused") {
      parts.push(
        h(
          "p",
          { class: "card state-paused proto-paused", id: "paused-note" },
          "A red stands: everything is on hold. Nothing can be agreed or recorded until it is lifted; talking and stopping still work.",
        ),
      );
    }
    if (all.length === 0) {
      parts.push(
        h(
          "p",
          { class: "card", id: "no-protocols" },
          "No protocols yet. Propose one: a ritual, a rule, a task, or how you look after each other.",
        ),
      );
    }
    for (const [key, list] of Object.entries(groups)) {
      if (!list.length) continue;
      const headingId = `group-${key}`;
      parts.push(
        h(
          "section",
          { class: `proto-group proto-group-${key}`, "aria-labelledby": headingId, id: `protocols-${key}` },
          h("h2", { id: headingId }, `${titles[key]} (${list.length})`),
          h(
            "ul",
            { class: "proto-list" },
            list.map((p) => item(p, dynamic, me)),
          ),
        ),
      );
    }
    // Redraw only what changed: replacing a link under a finger would swallow the tap.
    const next = h("div", {}, ...parts);
    if (next.innerHTML !== body.innerHTML) body.replaceChildren(...next.childNodes);
  }

  await draw();
  const unsubscribe = subscribe((m) => {
    if (m.type === "sync") draw();
  });
  trySync();
  return () => {
    stopped = true;
    unsubscribe();
  };
}
