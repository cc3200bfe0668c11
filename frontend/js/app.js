// The app shell: registers the service worker and routes on location.hash, one module per screen.
import { session } from "./api.js";
import * as welcome from "./screens/welcome.js";
import * as pair from "./screens/pair.js";
import * as home from "./screens/home.js";

const ROUTES = { welcome, pair, home };
const JOIN_KEY = "accord.join";
const root = document.getElementById("app");
let cleanup = null;

// /join/CODE (an invite link) keeps its code for the pairing screen, then shows the shell at /.
const joined = location.pathname.match(/^\/join\/([^/]+)\/?$/);
if (joined) {
  sessionStorage.setItem(JOIN_KEY, decodeURIComponent(joined[1]));
  history.replaceState(null, "", "/#/pair");
}

export function go(name) {
  const hash = `#/${name}`;
  if (location.hash === hash) render();
  else location.hash = hash;
}

export function takeJoinCode() {
  const code = sessionStorage.getItem(JOIN_KEY);
  sessionStorage.removeItem(JOIN_KEY);
  return code;
}

export function hasJoinCode() {
  return sessionStorage.getItem(JOIN_KEY) !== null;
}

function currentRoute() {
  const name = location.hash.replace(/^#\/?/, "").split("/")[0];
  if (!session()) return "welcome";
  if (ROUTES[name] && name !== "welcome") return name;
  return hasJoinCode() ? "pair" : "home";
}

async function render() {
  const name = currentRoute();
  if (location.hash !== `#/${name}`) history.replaceState(null, "", `#/${name}`);
  if (cleanup) cleanup();
  cleanup = null;
  root.replaceChildren();
  document.body.dataset.screen = name;
  const result = await ROUTES[name].render(root, { go, takeJoinCode, hasJoinCode });
  if (typeof result === "function") cleanup = result;
  // Move focus to the new screen's heading, so screen readers announce the change.
  const heading = root.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

window.addEventListener("hashchange", render);
render();

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
    console.warn("service worker not registered", error);
  });
}
