// The first minute after pairing: five short steps — what the roles mean, the one idea, the
// first check-in, a reminder time, notifications — each skippable, shown once per member and
// dynamic. "Done" or "Skip" is stored on the server (POST …/introduced, `introduced_at` on the
// membership), so it is never shown again, on this phone or another.
import { setUser } from "../../api.js";
import { alertBox, h } from "../../dom.js";
import { write } from "../../outbox.js";
import * as push from "../../push.js";

const ROLES = { dominant: "dominant", submissive: "submissive", switch: "a switch", other: "in the role you agree on" };

// Which step this phone is on, per dynamic (a redraw of home keeps it); and the dynamics whose
// first minute was finished here, so it goes at once even before the server's answer is synced.
const stepOf = new Map();
const finished = new Set();
// What a step said back ("A reminder is set for 21:30…"), per dynamic and step: a sync that
// redraws home meanwhile (the change itself comes back over the live stream) keeps it on screen.
const spoken = new Map();

function steps({ me, mine, partner, partnerName }) {
  const myRole = ROLES[mine?.role] || ROLES.other;
  const theirRole = ROLES[partner?.role] || ROLES.other;
  return [
    {
      title: "Your roles",
      body: [
        myRole === ROLES.other && theirRole === ROLES.other
          ? `Neither of you has chosen a role here yet (dominant, submissive or switch). Each of you sets your own in More, whenever you like.`
          : `Here, you are ${myRole} and ${partnerName} is ${theirRole}. Each of you can change your own in More.`,
        "A role says who does what a protocol asks. It never gives anyone more say here: you both agree to every protocol, and either of you can stop one.",
      ],
    },
    {
      title: "The one idea",
      body: [
        "Power between you can be unequal, because you both agreed to it.",
        `What stays equal: what each of you gives and gets back (equity), and how much each of you matters (importance). Accord shows you both, the same for ${partnerName} and you.`,
      ],
    },
    {
      title: "Your first check-in",
      body: ["A few seconds: how you are, what you gave and received, what you would like. It is how the balance learns how you both are."],
      action: () => h("a", { href: "#/checkin", class: "button secondary", id: "intro-checkin" }, "Check in now"),
    },
    {
      title: "A daily reminder",
      body: ["If you like, Accord can remind you to check in, once a day at a time that suits you."],
      action: (ctx) => reminderForm(ctx),
    },
    {
      title: "Notifications",
      body: [
        `With notifications on, a red or yellow from ${partnerName} reaches this phone even when Accord is closed. They only say “You have something new in Accord” unless you choose otherwise.`,
      ],
      action: (ctx) =>
        push.supported() ? notifyButton(ctx) : h("p", { class: "muted" }, "This browser cannot show notifications; Accord still works."),
    },
  ].map((step) => ({ ...step, me }));
}

function reminderForm({ me, say }) {
  const at = h("input", { type: "time", id: "intro-remind-at", value: me.checkin_reminder_time || "20:00" });
  const save = h("button", { type: "submit", class: "secondary" }, "Remind me at this time");
  const form = h("form", { class: "stack intro-remind" }, h("label", { for: "intro-remind-at" }, "Remind me at"), at, save);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    save.disabled = true;
    try {
      const { data } = await write({
        method: "PATCH",
        path: "/api/me",
        body: { checkin_reminder_time: at.value },
        label: "Settings",
        offline: false,
      });
      await setUser(data);
      say(`A reminder is set for ${at.value} every day. You can change it in More.`);
    } catch (failure) {
      say(`The reminder was not saved: ${failure.message}`);
    } finally {
      save.disabled = false;
    }
  });
  return form;
}

function notifyButton({ say }) {
  const on = h("button", { type: "button", class: "secondary", id: "intro-notify" }, "Turn on notifications");
  on.addEventListener("click", async () => {
    on.disabled = true;
    try {
      await push.enable();
      say("Notifications are on for this phone.");
    } catch (failure) {
      on.disabled = false;
      say(failure.message);
    }
  });
  return on;
}

// The card, or null once this member is introduced (or the dynamic is not active).
export function introCard({ dynamic, me, mine, partner, partnerName, onDone }) {
  if (!mine || mine.introduced_at || finished.has(dynamic.id) || dynamic.state === "ended") return null;
  const all = steps({ me, mine, partner, partnerName });
  const index = Math.min(stepOf.get(dynamic.id) || 0, all.length - 1);
  const step = all[index];
  const message = alertBox();
  message.setAttribute("role", "status");
  const said = spoken.get(dynamic.id);
  if (said?.index === index) message.textContent = said.text;
  message.id = "intro-message";
  const say = (text) => {
    spoken.set(dynamic.id, { index, text });
    // The card on screen, which may be a newer drawing of this one.
    (document.getElementById("intro-message") || message).textContent = text;
  };
  const finish = async () => {
    stepOf.delete(dynamic.id);
    finished.add(dynamic.id);
    try {
      await write({
        path: `/api/dynamics/${dynamic.id}/introduced`,
        label: "Introduction seen",
        kind: "introduced",
        dynamic_id: dynamic.id,
        offline: true,
      });
    } finally {
      onDone();
    }
  };
  const next = () => {
    stepOf.set(dynamic.id, index + 1);
    onDone();
  };
  const last = index === all.length - 1;
  return h(
    "section",
    { class: "card intro", id: "intro", "aria-labelledby": "intro-title" },
    h("p", { class: "muted small", id: "intro-step" }, `Your first minute · ${index + 1} of ${all.length}`),
    h("h2", { id: "intro-title" }, step.title),
    step.body.map((line) => h("p", {}, line)),
    step.action ? step.action({ me, say }) : null,
    message,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", id: "intro-next", onclick: last ? finish : next }, last ? "Done" : "Next"),
      last ? null : h("button", { type: "button", class: "secondary", id: "intro-skip", onclick: finish }, "Skip the rest"),
    ),
  );
}
