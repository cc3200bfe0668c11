// My role in the dynamic, and how I am called; the partner's, kept current by the feed.
import { h } from "../../dom.js";
import { write } from "../../outbox.js";
import { currentDynamic, subscribe } from "../../store.js";
import { feedback, field, section } from "./form.js";

const ROLES = [
  ["dominant", "Dominant"],
  ["submissive", "Submissive"],
  ["switch", "Switch"],
  ["other", "Other / no label"],
];
const ROLE_NAMES = Object.fromEntries(ROLES);

function partnerLine(line, dynamic, me) {
  const p = dynamic.members.find((m) => m.user_id !== me.id);
  if (!p) return line.replaceChildren();
  const bits = [`${p.display_name}${p.pronouns ? ` (${p.pronouns})` : ""}: ${ROLE_NAMES[p.role] || p.role}`];
  if (p.nickname) bits.push(`, called “${p.nickname}”`);
  line.replaceChildren(h("span", { class: "muted" }, "Your partner: "), bits.join(""));
}

function roleForm(account, mine, line) {
  const role = h(
    "select",
    { id: "my-role" },
    ROLES.map(([value, label]) => h("option", { value, selected: value === mine.role }, label)),
  );
  const nickname = h("input", { type: "text", id: "my-nickname", maxlength: 40, value: mine.nickname || "" });
  const note = feedback();
  const form = h(
    "form",
    { id: "role-form" },
    h("p", { class: "muted" }, "A role is a label for the two of you. It grants no extra rights in Accord."),
    field("My role", role),
    field("Honorific or nickname (optional)", nickname, "How you are called in this dynamic."),
    line,
    ...note.nodes,
    h("button", { type: "submit" }, "Save role"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    note.clear();
    const id = account.dynamic.id;
    const body = { role: role.value, nickname: nickname.value.trim() || null };
    try {
      const path = `/api/dynamics/${id}/membership`;
      const { data } = await write({ method: "PATCH", path, body, label: "Role", kind: "dynamic", dynamic_id: id, offline: false });
      account.dynamic = data;
      partnerLine(line, data, account.me);
      note.ok("Role saved.");
    } catch (error) {
      note.fail(error);
    }
  });
  return form;
}

// `account`: {me, dynamic, mine, partnerName, ctx}. Returns [section, stop] (stop ends the
// following of the feed), or [null, no-op] with no dynamic.
export function roleSection(account) {
  const { dynamic, mine } = account;
  if (!dynamic || !mine) return [null, () => {}];
  const line = h("p", { id: "partner-role" });
  partnerLine(line, dynamic, account.me);
  // The partner's name or role changed elsewhere: the feed brings it.
  const stop = subscribe(async (message) => {
    if (message.type !== "sync" || !(message.entities || []).includes("dynamic")) return;
    const fresh = await currentDynamic();
    // The dynamic ended (the partner left): draw the screen again without it.
    if (!fresh || fresh.id !== dynamic.id) account.ctx.render();
    else partnerLine(line, fresh, account.me);
  });
  // A catch-up that landed while this screen was being drawn (after `dynamic` was read, before
  // the subscription) told nobody: read the local copy once more.
  currentDynamic()
    .then((fresh) => {
      if (fresh && fresh.id === dynamic.id) partnerLine(line, fresh, account.me);
    })
    .catch((error) => console.warn("settings: the partner's role stays as first read", error));
  return [section("role", `You and ${account.partnerName}`, roleForm(account, mine, line)), stop];
}
