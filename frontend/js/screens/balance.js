// Balance (#/balance, #/balance/<days>): equity and importance as the API computes them
// (docs/balance.md), first in words — the verdict, what happened, one next step, and what
// equity and importance mean (./balance/words.js) — then over time (the weekly trend,
// ./balance/trend.js), and the numbers and charts behind a "details" disclosure
// (./balance/details.js). Both partners see the same thing: members are shown in the API's
// order (by user id, never "me first"), by name, with the same charts and the same words.
// Charts are inline SVG built here (no library), each with a text alternative.
import { alertBox, h } from "../dom.js";
import { live } from "../store.js";
import { details } from "./balance/details.js";
import { trendCharts } from "./balance/trend.js";
import { meanings, verdictCard } from "./balance/words.js";

const WINDOWS = [7, 28, 90];
const TREND_WEEKS = [12, 26, 52];

function segments(name, legendText, values, current, label) {
  return h(
    "fieldset",
    { class: "window-switch" },
    h("legend", {}, legendText),
    h(
      "div",
      { class: "segments" },
      values.map((n) =>
        h(
          "label",
          { class: "segment" },
          h("input", { type: "radio", name, value: String(n), checked: n === current }),
          h("span", {}, label(n)),
        ),
      ),
    ),
  );
}

// `screen`: who reads (dynamic, me, partnerName), the days and weeks shown, the elements, and
// the live reads to stop (`stop`, `stopTrend`).
function show(screen, data, meta) {
  const { body, freshness } = screen;
  body.setAttribute("aria-busy", "false");
  if (!data) {
    freshness.textContent = "";
    body.replaceChildren(
      h(
        "p",
        { class: "card", id: "balance-offline" },
        "You're offline and this phone has not seen the balance for these days yet. It will appear when you're back online.",
      ),
    );
    return;
  }
  freshness.textContent = meta?.stale ? (meta.offline ? "Offline: as this phone last saw it." : "Updating…") : "";
  const wasOpen = Boolean(body.querySelector("#balance-details")?.open);
  body.replaceChildren(verdictCard(data, screen), details(data, wasOpen));
}

function showTrend(screen, data) {
  const { trendBody } = screen;
  trendBody.setAttribute("aria-busy", "false");
  if (!data) {
    trendBody.replaceChildren(h("p", { class: "muted", id: "trend-offline" }, "The weeks will show once you're back online."));
    return;
  }
  trendBody.replaceChildren(...trendCharts(data));
}

function watch(screen) {
  const { body, error } = screen;
  if (screen.stop) screen.stop();
  error.textContent = "";
  body.setAttribute("aria-busy", "true");
  const path = `/api/dynamics/${screen.dynamic.id}/balance?days=${screen.days}`;
  screen.stop = live(
    path,
    (data, meta) => show(screen, data, meta),
    (failure) => {
      body.setAttribute("aria-busy", "false");
      error.textContent = `Could not load the balance: ${failure.message}`;
    },
  );
}

function watchTrend(screen) {
  const { trendBody, error } = screen;
  if (screen.stopTrend) screen.stopTrend();
  trendBody.setAttribute("aria-busy", "true");
  const path = `/api/dynamics/${screen.dynamic.id}/balance/trend?weeks=${screen.weeks}`;
  screen.stopTrend = live(
    path,
    (data) => showTrend(screen, data),
    (failure) => {
      trendBody.setAttribute("aria-busy", "false");
      error.textContent = `Could not load the weeks: ${failure.message}`;
    },
  );
}

// The two switches: the days of the balance (kept in the address) and the weeks of the trend.
function switches(screen) {
  const days = segments("days", "Over the last", WINDOWS, screen.days, (n) => `${n} days`);
  const weeks = segments("weeks", "Week by week, over", TREND_WEEKS, screen.weeks, (n) => `${n} weeks`);
  days.addEventListener("change", (event) => {
    const value = Number(event.target.value);
    if (!WINDOWS.includes(value) || value === screen.days) return;
    screen.days = value;
    history.replaceState(null, "", `#/balance/${screen.days}`);
    watch(screen);
  });
  weeks.addEventListener("change", (event) => {
    const value = Number(event.target.value);
    if (!TREND_WEEKS.includes(value) || value === screen.weeks) return;
    screen.weeks = value;
    watchTrend(screen);
  });
  return { days, weeks };
}

export async function render(root, ctx) {
  const dynamic = ctx.dynamic;
  const partner = dynamic.members.find((m) => m.user_id !== ctx.me.id);
  const screen = {
    dynamic,
    me: ctx.me,
    partnerName: partner ? partner.display_name : "your partner",
    days: WINDOWS.includes(Number(ctx.params[0])) ? Number(ctx.params[0]) : 28,
    weeks: 12,
    error: alertBox(),
    freshness: h("p", { class: "muted small", id: "balance-freshness", "aria-live": "polite" }),
    body: h("div", { id: "balance", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…")),
    trendBody: h("div", { id: "trend", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…")),
    stop: null,
    stopTrend: null,
  };
  const switch_ = switches(screen);
  root.append(
    h("h1", {}, "Balance"),
    h("p", { class: "muted" }, "The same view for both of you: what each of you gives and gets back, and whether both of you are heard."),
    meanings(),
    switch_.days,
    screen.error,
    screen.freshness,
    screen.body,
    h(
      "section",
      { id: "over-time", "aria-labelledby": "over-time-title" },
      h("h2", { id: "over-time-title" }, "Over time"),
      switch_.weeks,
      screen.trendBody,
    ),
  );
  watch(screen);
  watchTrend(screen);
  return () => {
    if (screen.stop) screen.stop();
    if (screen.stopTrend) screen.stopTrend();
  };
}
