// More / settings: profile, sign-in details (email and password), my role in the dynamic,
// time zone and quiet hours, reminders, notifications on this phone, the PIN lock, signed-in
// devices, export, sign out, and the two irreversible acts (leave the dynamic, delete the
// account). Works without a dynamic: the dynamic's parts are simply not shown. Each part is a
// section module under screens/settings/.
//
// Account changes are never queued (`offline: false`): a setting saved "later" would surprise.
import { api, OfflineError, setUser } from "../api.js";
import { alertBox, h } from "../dom.js";
import { describe } from "../errors.js";
import { keysSection } from "./keys/section.js";
import { dataSection } from "./settings/data.js";
import { devicesSection } from "./settings/devices.js";
import { endingSection } from "./settings/ending.js";
import { notificationsSection } from "./settings/notifications.js";
import { pinSection } from "./settings/pin.js";
import { profileSection } from "./settings/profile.js";
import { roleSection } from "./settings/role.js";
import { signInSection } from "./settings/sign-in.js";
import { timesSection } from "./settings/times.js";

// The freshest profile: the server's when online, else what this phone stored.
async function freshMe(me, topError) {
  try {
    const fresh = await api("GET", "/api/me");
    await setUser(fresh);
    return fresh;
  } catch (error) {
    if (!(error instanceof OfflineError)) topError.textContent = describe(error);
    return me;
  }
}

function links(dynamic) {
  return h(
    "nav",
    { class: "settings-links", "aria-label": "More" },
    dynamic ? h("a", { href: "#/limits", id: "link-limits" }, "Limits and desires") : null,
    dynamic ? h("a", { href: "#/checkins", id: "link-checkins" }, "Check-ins") : null,
    h("a", { href: "#/outbox", id: "link-outbox" }, "Changes waiting to be sent"),
  );
}

export async function render(root, ctx) {
  const wrap = h("div", { class: "settings-screen" });
  const topError = alertBox();
  root.append(wrap);
  const me = await freshMe(ctx.me, topError);
  const dynamic = ctx.dynamic;
  const mine = dynamic ? dynamic.members.find((m) => m.user_id === me.id) : null;
  const partner = dynamic ? dynamic.members.find((m) => m !== mine) : null;
  // What the sections share: the person as last saved, the dynamic, and each other's refreshes.
  const account = { me, dynamic, mine, partnerName: partner ? partner.display_name : "your partner", ctx, devicesChanged: () => {} };
  const [role, stopRole] = roleSection(account);
  const pin = await pinSection();
  const parts = [
    h("h1", {}, "More"),
    topError,
    links(dynamic),
    profileSection(account),
    signInSection(account),
    keysSection(account),
    role,
    timesSection(account),
    notificationsSection(account),
    pin,
    devicesSection(account),
    dataSection(account),
    endingSection(account),
  ];
  wrap.append(...parts.filter(Boolean));
  return stopRole;
}
