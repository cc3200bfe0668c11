// The app shell: loads the session, routes on location.hash (one module per screen, loaded on
// first use), keeps the local copy in step with the server (sync feed + outbox) and shows the
// offline and pending-writes banner above every screen.
import { loadSession, session } from "./api.js";
import { h, keepSame } from "./dom.js";
import { pendingKit } from "./keyring.js";
import { follow as followLive, start as startLive } from "./live.js";
import { flush, items } from "./outbox.js";
import { isLocked, watchForLock } from "./pin.js";
import "./signals.js"; // signals refused for a note in clear go again at once, on every screen
import { answerTheWorker } from "./push-words.js";
import { address, linkedDynamic, parse, screenGo } from "./routes.js";
import { chooseDynamic, currentDynamic, endedDynamic, entity, subscribe, trySync } from "./store.js";

// name: [loader, needs a dynamic, shows the tab bar]
const ROUTES = {
  welcome: [() => import("./screens/welcome.js"), false, false],
  pair: [() => import("./screens/pair.js"), false, false],
  lock: [() => import("./screens/lock.js"), false, false],
  reset: [() => import("./screens/reset.js"), false, false],
  recover: [() => import("./screens/keys/recover.js"), false, false],
  "recovery-kit": [() => import("./screens/keys/kit.js"), false, false],
  home: [() => import("./screens/home.js"), true, true],
  checkin: [() => import("./screens/checkin.js"), true, true],
  checkins: [() => import("./screens/checkins.js"), true, true],
  protocols: [() => import("./screens/protocols.js"), true, true],
  protocol: [() => import("./screens/protocol.js"), true, true],
  propose: [() => import("./screens/propose.js"), true, true],
  limits: [() => import("./screens/limits.js"), true, true],
  balance: [() => import("./screens/balance.js"), true, true],
  review: [() => import("./screens/review.js"), true, true],
  settings: [() => import("./screens/settings.js"), false, true],
  outbox: [() => import("./screens/outbox.js"), false, true],
  inbox: [() => import("./screens/inbox.js"), false, true],
};
const TABS = [
  ["home", "Home"],
  ["checkin", "Check in"],
  ["protocols", "Protocols"],
  ["balance", "Balance"],
  ["settings", "More"],
];
const JOIN_KEY = "accord.join";

const main = document.getElementById("app");
const banner = h("div", { id: "banner", class: "banner", "aria-live": "polite" });
const screen = h("div", { id: "screen" });
const nav = h("nav", { class: "tabs", "aria-label": "Main" });
main.replaceChildren(banner, screen);
document.body.append(nav);
let cleanup = null;
let rendering = 0;
// A screen with unsaved work may ask before it is left (ctx.guardLeaving(ask)): `ask()` false
// keeps it, and the address goes back to the screen's own.
let leaving = null;
let shownHash = location.hash;
const guardLeaving = (ask) => {
  leaving = ask;
};

// /join/CODE (an invite link) keeps its code for the pairing screen, then shows the shell at /.
const joined = location.pathname.match(/^\/join\/([^/]+)\/?$/);
if (joined) {
  sessionStorage.setItem(JOIN_KEY, decodeURIComponent(joined[1]));
  history.replaceState(null, "", "/#/pair");
}

export function takeJoinCode() {
  const code = sessionStorage.getItem(JOIN_KEY);
  sessionStorage.removeItem(JOIN_KEY);
  return code;
}

export function hasJoinCode() {
  return sessionStorage.getItem(JOIN_KEY) !== null;
}

// go("protocol/ID") or go("home"): a new history entry, so Back works as people expect.
export function go(path) {
  const hash = `#/${path}`;
  if (location.hash === hash) render();
  else location.hash = hash;
}

async function decide() {
  let [name, params] = parse(location.hash);
  // A link into one dynamic (a push, an update): that dynamic becomes the one shown.
  const linked = linkedDynamic(location.hash);
  if (linked) chooseDynamic(linked);
  // A reset link works whoever is signed in here, or nobody: it signs its own account in.
  if (name === "reset" && params.length) return ["reset", params.slice(0, 1)];
  if (!session()) return [name === "recover" ? "recover" : "welcome", []];
  if (await isLocked()) return ["lock", []];
  if (!ROUTES[name] || ["welcome", "lock", "reset", "recover"].includes(name)) [name, params] = ["home", []];
  // A protocol or a check-in of another of this person's dynamics (a reminder's link, say)
  // shows in its own dynamic.
  const owned = { protocol: "protocol", checkins: "checkin" }[name];
  if (owned && params[0]) {
    const found = await entity(owned, params[0]);
    if (found?.dynamic_id) chooseDynamic(found.dynamic_id);
  }
  let dynamic = await currentDynamic();
  if (!dynamic && navigator.onLine) {
    await trySync();
    dynamic = await currentDynamic();
  }
  if (hasJoinCode() && name !== "pair") [name, params] = ["pair", []];
  // With no dynamic in force, home is pairing; what was shared in an ended one stays readable
  // (its screens refuse writes with the server's dynamic_ended).
  if (ROUTES[name][1] && !dynamic && name !== "home") dynamic = await endedDynamic();
  if (ROUTES[name][1] && !dynamic) [name, params] = ["pair", []];
  return [name, params, dynamic];
}

export async function render() {
  const ticket = ++rendering;
  const asked = location.hash;
  leaving = null;
  // The screen being left stops at once, before anything is awaited: a screen still drawing
  // (home learning that the dynamic ended, say) must not navigate over the one asked for now.
  if (cleanup) cleanup();
  cleanup = null;
  const [name, params, dynamic] = await decide();
  // Another address was asked for meanwhile (two quick "back"s): its hashchange draws it. Going
  // on would put this screen's address over that history entry.
  if (ticket !== rendering || location.hash !== asked) return;
  const wanted = address(name, params);
  // The lock screen keeps the address, so unlocking shows the screen that was asked for.
  if (name !== "lock" && location.hash !== wanted) history.replaceState(null, "", wanted);
  const shown = location.hash;
  shownHash = shown;
  const [load, , tabs] = ROUTES[name];
  const module = await load();
  if (ticket !== rendering) return;
  screen.replaceChildren();
  document.body.dataset.screen = name;
  renderTabs(tabs ? name : null);
  const context = {
    go: screenGo(shown, () => location.hash, go),
    params,
    me: session()?.user,
    dynamic,
    takeJoinCode,
    hasJoinCode,
    render: screenRender(ticket),
    guardLeaving,
  };
  const result = await module.render(screen, context);
  if (ticket !== rendering) {
    if (typeof result === "function") result();
    return;
  }
  if (typeof result === "function") cleanup = result;
  followLive();
  // Focus the new screen's heading, so screen readers announce the change.
  const heading = screen.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus({ preventScroll: true });
  }
}

// The render() a screen is given does nothing once another screen is being drawn (its go() is
// routes.js's screenGo).
function screenRender(ticket) {
  return () => (ticket === rendering ? render() : undefined);
}

function renderTabs(current) {
  nav.hidden = current === null;
  document.body.classList.toggle("with-tabs", current !== null);
  if (current === null) return nav.replaceChildren();
  const section =
    { protocol: "protocols", propose: "protocols", checkins: "home", limits: "home", inbox: "home", review: "home", outbox: "settings" }[
      current
    ] || current;
  nav.replaceChildren(
    ...TABS.map(([target, label]) =>
      h("a", { href: `#/${target}`, class: "tab", "aria-current": target === section ? "page" : false }, label),
    ),
  );
}

// The banner: offline, writes waiting to be sent, writes the server refused, a new version.
async function renderBanner() {
  const parts = [];
  if (session()) {
    const queued = await items();
    const pending = queued.filter((i) => i.state === "pending").length;
    const failed = queued.filter((i) => i.state === "failed").length;
    if (!navigator.onLine) parts.push(h("span", { id: "offline" }, "Offline: showing what this phone last saw."));
    if (pending) {
      parts.push(h("a", { href: "#/outbox", id: "pending" }, `${pending} ${pending === 1 ? "change" : "changes"} waiting to be sent`));
    }
    if (failed) {
      parts.push(
        h(
          "a",
          { href: "#/outbox", id: "failed", class: "failed" },
          `${failed} ${failed === 1 ? "change" : "changes"} could not be made: review`,
        ),
      );
    }
  }
  if (session() && pendingKit()) {
    parts.push(h("a", { href: "#/recovery-kit", id: "kit-waiting" }, "Your recovery kit is ready: write it down"));
  }
  if (waitingWorker) {
    const reload = h("button", { type: "button", id: "update", class: "secondary" }, "Reload");
    reload.addEventListener("click", () => waitingWorker.postMessage({ type: "skip-waiting" }));
    parts.push(h("span", { class: "update" }, "A new version of Accord is ready. ", reload));
  }
  keepSame(banner, parts); // a tap on a part drawn again is not lost (docs/frontend.md)
  banner.hidden = parts.length === 0;
}

async function catchUp() {
  if (!session()) return;
  // What could not be sent stays in the outbox for the next catch-up (the banner counts it);
  // catching up with the feed goes on regardless.
  await flush().catch(() => 0);
  await trySync();
}

subscribe((message) => {
  if (message.type === "outbox" || message.type === "outbox-sent") renderBanner();
  if (message.type === "signed-out") render();
});
window.addEventListener("hashchange", () => {
  if (leaving && location.hash !== shownHash && !leaving()) {
    history.replaceState(null, "", shownHash);
    return;
  }
  render();
});
window.addEventListener("online", () => {
  renderBanner();
  catchUp();
});
window.addEventListener("offline", renderBanner);
window.addEventListener("accord:keys", renderBanner);
window.addEventListener("accord:signed-out", () => render());
// Another tab signed out, or signed in someone else: show this tab what is true now.
window.addEventListener("accord:session-changed", () => {
  render();
  renderBanner();
});
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") catchUp();
});

// A new version of the app, installed and waiting: offered in the banner, applied on a tap.
let waitingWorker = null;

function offerUpdate(worker) {
  waitingWorker = worker;
  renderBanner();
}

async function watchForUpdates() {
  const registration = await navigator.serviceWorker.register("/sw.js", { scope: "/", type: "module" });
  if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const installing = registration.installing;
    if (!installing) return;
    installing.addEventListener("statechange", () => {
      // With no controller this is the first install, not an update: nothing to offer.
      if (installing.state === "installed" && navigator.serviceWorker.controller) offerUpdate(installing);
    });
  });
  let reloading = false;
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (waitingWorker && !reloading) {
      reloading = true;
      location.reload();
    }
  });
}

if ("serviceWorker" in navigator) {
  watchForUpdates().catch((error) => {
    console.warn("service worker not registered", error);
  });
  // A push naming a sealed title: this page opens it for the worker where it can.
  answerTheWorker();
  // A click on a notification in an open app: the worker asks this page to show a screen.
  navigator.serviceWorker.addEventListener("message", (event) => {
    if (event.data && event.data.type === "open" && typeof event.data.url === "string") {
      const url = new URL(event.data.url, location.origin);
      if (url.origin === location.origin) location.hash = url.hash || "#/home";
    }
  });
}

await loadSession();
watchForLock(render);
await render();
renderBanner();
catchUp();
startLive();
