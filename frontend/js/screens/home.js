// Home: the dynamic's state, the partner, and the two safety buttons (red and resume).
import { api, logout, session } from "../api.js";
import { alertBox, confirmDialog, h } from "../dom.js";

async function currentDynamic() {
  const page = await api("GET", "/api/dynamics?limit=10");
  return page.items.find((d) => d.state !== "ended") || null;
}

export async function render(root, { go }) {
  const me = session().user;
  const error = alertBox();
  const heading = h("h1", {}, "Accord");
  root.append(heading, error);

  let dynamic;
  try {
    dynamic = await currentDynamic();
  } catch (failure) {
    if (failure.status === 401) return go("welcome");
    error.textContent = failure.message;
    return;
  }
  if (!dynamic) return go("pair");

  const body = h("div", { id: "home" });
  root.append(body);

  const show = (today) => {
    const d = today.dynamic;
    const mine = d.members.find((m) => m.user_id === me.id);
    const partner = d.members.find((m) => m !== mine);
    const paused = d.state === "paused";
    const myRed = Boolean(mine && mine.red_at);
    const mineStanding = Boolean(mine && (mine.red_at || mine.yellow_at));
    const partnerRed = Boolean(partner && partner.red_at);
    heading.textContent = `You and ${partner ? partner.display_name : "your partner"}`;

    let stateText = "Active";
    let detail = "Everything you agreed is in force.";
    if (paused) {
      stateText = "Paused";
      if (myRed && partnerRed) detail = "You both called red. Everything is on hold.";
      else if (myRed) detail = "You called red. Everything is on hold until you resume.";
      else detail = `${partner.display_name} called red. Everything is on hold; only they can lift it.`;
    }

    const red = h("button", { type: "button", class: "danger big", id: "red" }, "Red: stop everything");
    red.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: "Call red?",
        text: `This pauses everything between you and ${partner ? partner.display_name : "your partner"} at once, and tells them.`,
        confirm: "Call red",
        danger: true,
      });
      if (ok) act(`/api/dynamics/${d.id}/red`);
    });

    const resume = h("button", { type: "button", class: "secondary big", id: "resume", disabled: !mineStanding }, "Resume");
    resume.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: "Resume?",
        text: partnerRed
          ? "This lifts your own red. Your partner's red still stands, so things stay paused."
          : "This lifts your red and lets things go on as agreed. Your partner is told.",
        confirm: "Resume",
      });
      if (ok) act(`/api/dynamics/${d.id}/resume`);
    });

    body.replaceChildren(
      h(
        "section",
        { class: paused ? "card state-paused" : "card", "aria-live": "polite" },
        h("p", { class: "state", id: "state" }, stateText),
        h("p", { id: "state-detail" }, detail),
      ),
      h("div", { class: "safety" }, red, resume),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "secondary", id: "refresh", onclick: load }, "Refresh"),
        h("button", { type: "button", class: "secondary", id: "sign-out", onclick: signOut }, "Sign out"),
      ),
    );
  };

  async function load() {
    error.textContent = "";
    try {
      show(await api("GET", `/api/dynamics/${dynamic.id}/today`));
    } catch (failure) {
      if (failure.status === 401) return go("welcome");
      error.textContent = failure.message;
    }
  }

  async function act(path) {
    error.textContent = "";
    try {
      await api("POST", path);
      await load();
    } catch (failure) {
      error.textContent = failure.message;
    }
  }

  async function signOut() {
    await logout();
    go("welcome");
  }

  await load();
}
