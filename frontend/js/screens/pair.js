// Pairing: invite a partner (a code, a link to share and a QR code of that link), or join with
// a partner's code. A join link (/join/CODE) opens the join part with the code filled in and
// asks first: "Invite from Alice", Join or Not now. Each part is a module under screens/pair/.
//
// While an invite is open, the screen follows the sync feed (and asks every few seconds) and
// moves on to home when the partner has joined.
import { h } from "../dom.js";
import { sealWhereReady } from "../keyring.js";
import { endedDynamic, entities, subscribe, trySync } from "../store.js";
import { endedSection } from "./pair/ended.js";
import { forgetInvite, invitePart, restoreInvite } from "./pair/invite.js";
import { joinPart } from "./pair/join.js";

const POLL_MS = 3000;

// The code of a join link survives a second render of this screen (the router may draw it
// twice), until the person joins or says "Not now".
let carried = null;

// Watching for the partner to join: `known` are the dynamics this person already had, so a new
// one means the partner joined.
function watcher(screen, known) {
  let timer = null;
  const partnerJoined = async () => (await entities("dynamic")).some((d) => d.state !== "ended" && !known.has(d.id));
  // The partner joined: this phone, the inviter's, makes the pair key now if you both have keys,
  // unless the joining phone was first (the server then answers with that one). Offline or
  // refused, the first screen with words, or More, makes it instead.
  const paired = () => sealWhereReady().catch(() => {});
  screen.joined = async () => {
    await trySync();
    paired();
    if (!screen.stopped) screen.ctx.go("home");
  };
  screen.check = async () => {
    if (screen.stopped) return;
    await trySync();
    if (!screen.stopped && (await partnerJoined())) {
      screen.stopped = true;
      paired();
      await forgetInvite();
      screen.ctx.go("home");
    }
  };
  screen.follow = () => {
    if (screen.stopped) return;
    clearInterval(timer);
    timer = setInterval(screen.check, POLL_MS);
  };
  screen.unfollow = () => {
    clearInterval(timer);
    timer = null;
  };
  screen.partnerJoined = partnerJoined;
}

function listen(screen, invite) {
  return subscribe((message) => {
    if (message.type !== "sync") return;
    if (invite.current) screen.partnerJoined().then((yes) => yes && screen.check());
    // Sent here by a dynamic that ended before the phone's copy knew it (home heard it from
    // the server first): once the copy has it, show what stays readable.
    if (!screen.endedShown && !screen.fromLink && (message.entities || []).includes("dynamic")) {
      endedDynamic().then((ended) => {
        if (ended && !screen.stopped && !screen.endedShown) screen.ctx.render();
      });
    }
  });
}

// Opened from a join link, only the join part shows; "Not now" or a dead invite reveals the rest.
function layout(root, screen, invite, join) {
  const heading = h("h1", {}, "Link with your partner");
  const intro = h("p", { class: "muted" }, "Accord is for two. Invite your partner, or join with the code they sent you.");
  screen.revealAll = () => {
    if (!invite.section.hidden) return;
    invite.section.hidden = false;
    intro.hidden = false;
    heading.after(intro, invite.section);
  };
  screen.notNow = () => {
    carried = null;
    if (screen.ctx.dynamic) return screen.ctx.go("home");
    join.reset();
    screen.revealAll();
    heading.focus();
  };
  if (!screen.fromLink) return root.append(heading, intro, invite.section, join.section);
  invite.section.hidden = true;
  intro.hidden = true;
  root.append(heading, join.section, invite.section);
  join.title.textContent = "Your invite";
  join.start(screen.fromLink);
}

export async function render(root, ctx) {
  const fromLink = ctx.takeJoinCode() || carried;
  carried = fromLink;
  const screen = { ctx, me: ctx.me, fromLink, stopped: false, endedShown: false };
  screen.accepted = () => {
    carried = null;
    screen.stopped = true;
  };
  watcher(screen, new Set((await entities("dynamic")).map((d) => d.id)));
  const invite = invitePart(screen);
  const join = joinPart(screen);
  const unsubscribe = listen(screen, invite);
  layout(root, screen, invite, join);
  // A dynamic that ended stays readable: say so, and lead to what was shared in it.
  const ended = await endedDynamic();
  screen.endedShown = Boolean(ended);
  if (ended && !fromLink) root.append(endedSection(ended, screen.me));
  await restoreInvite(invite, screen);
  return () => {
    screen.stopped = true;
    screen.unfollow();
    unsubscribe();
  };
}
