// Balance (#/balance, #/balance/<days>): equity and importance as the API computes them
// (docs/balance.md), first in words — the verdict, what happened, one next step, and what
// equity and importance mean — then over time (the weekly trend), and the numbers and charts
// behind a "details" disclosure. Both partners see the same thing: members are shown in the
// API's order (by user id, never "me first"), by name, with the same charts and the same words.
// Charts are inline SVG built here (no library), each with a text alternative.
import { alertBox, h } from "../dom.js";
import { percent as pct } from "../format.js";
import { live } from "../store.js";
import { chart, num, s } from "./balance/svg.js";
import { trendCharts } from "./balance/trend.js";
import { meanings, nextStep, VERDICTS } from "./balance/words.js";

export { VERDICTS };

const WINDOWS = [7, 28, 90];
const TREND_WEEKS = [12, 26, 52];


function gap(value) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(2);
}

const W = 320;
const LABEL_W = 92;
const BAR_W = W - LABEL_W - 40;

// Gave and received: per member, two bars on the 1–5 scale.
function gaveReceivedChart(members) {
  const rowH = 24;
  const groupH = rowH * 2 + 22;
  const height = members.length * groupH + 24;
  const nodes = [];
  members.forEach((m, i) => {
    const top = i * groupH;
    nodes.push(s("text", { x: 0, y: top + 15, class: "chart-name" }, m.display_name));
    [
      ["gave", m.mean_gave, "bar-gave"],
      ["received", m.mean_received, "bar-received"],
    ].forEach(([what, value, cls], j) => {
      const y = top + 22 + j * rowH;
      nodes.push(s("text", { x: 0, y: y + 14, class: "chart-label" }, what));
      nodes.push(s("rect", { x: LABEL_W, y, width: BAR_W, height: rowH - 6, rx: 3, class: "bar-track" }));
      if (value !== null && value !== undefined) {
        nodes.push(s("rect", { x: LABEL_W, y, width: Math.max(2, (BAR_W * value) / 5), height: rowH - 6, rx: 3, class: cls }));
      }
      nodes.push(s("text", { x: LABEL_W + BAR_W + 6, y: y + 13, class: "chart-value" }, value === null || value === undefined ? "—" : num(value)));
    });
  });
  // the scale, 1 to 5
  const axisY = members.length * groupH + 12;
  for (let v = 1; v <= 5; v += 1) {
    nodes.push(s("text", { x: LABEL_W + (BAR_W * v) / 5, y: axisY, class: "chart-axis", "text-anchor": "middle" }, String(v)));
  }
  const summary = members
    .map((m) => `${m.display_name}: gave ${num(m.mean_gave)}, received ${num(m.mean_received)} on average (1 to 5)`)
    .join("; ");
  return chart(W, height, `Gave and received. ${summary}.`, ...nodes);
}

// Needs raised and answered: a bar of needs raised, the answered part filled.
function needsChart(members) {
  const rowH = 26;
  const most = Math.max(1, ...members.map((m) => m.needs_raised || 0));
  const nodes = [];
  members.forEach((m, i) => {
    const y = i * (rowH + 10);
    nodes.push(s("text", { x: 0, y: y + 17, class: "chart-name" }, m.display_name));
    const full = (BAR_W * (m.needs_raised || 0)) / most;
    nodes.push(s("rect", { x: LABEL_W, y, width: BAR_W, height: rowH - 6, rx: 3, class: "bar-track" }));
    // Raised: an outline in the member's colour; answered: filled in the same colour, so both
    // match the member's swatch in the legend.
    if (m.needs_raised) nodes.push(s("rect", { x: LABEL_W + 1, y: y + 1, width: Math.max(0, full - 2), height: rowH - 8, rx: 3, class: `bar-raised m${i}` }));
    if (m.needs_answered) {
      nodes.push(s("rect", { x: LABEL_W, y, width: (BAR_W * m.needs_answered) / most, height: rowH - 6, rx: 3, class: `bar-answered m${i}` }));
    }
    nodes.push(s("text", { x: LABEL_W + BAR_W + 6, y: y + 15, class: "chart-value" }, `${m.needs_answered}/${m.needs_raised}`));
  });
  const summary = members.map((m) => `${m.display_name}'s needs were answered ${m.needs_answered} of ${m.needs_raised} times`).join("; ");
  return chart(W, members.length * (rowH + 10), `Needs answered. ${summary}.`, ...nodes);
}

// Share of check-ins: one bar split between the two members.
function shareChart(members) {
  const total = members.reduce((n, m) => n + (m.checkins || 0), 0);
  const nodes = [];
  let x = 0;
  const barH = 30;
  if (!total) nodes.push(s("rect", { x: 0, y: 0, width: W, height: barH, rx: 4, class: "bar-track" }));
  members.forEach((m, i) => {
    const width = total ? (W * m.checkins) / total : 0;
    if (width > 0) nodes.push(s("rect", { x, y: 0, width, height: barH, class: `bar-share m${i}` }));
    const anchor = i === 0 ? "start" : "end";
    nodes.push(
      s(
        "text",
        { x: i === 0 ? 0 : W, y: barH + 20, class: "chart-label", "text-anchor": anchor },
        `${m.display_name} ${m.checkins} (${pct(m.checkin_share)})`,
      ),
    );
    x += width;
  });
  nodes.push(s("line", { x1: W / 2, x2: W / 2, y1: -2, y2: barH + 2, class: "chart-mid" }));
  const summary = total
    ? members.map((m) => `${m.display_name} made ${m.checkins} (${pct(m.checkin_share)})`).join(", ")
    : "no check-ins in these days";
  return chart(W, barH + 28, `Share of check-ins: ${summary}. Half each is even.`, ...nodes);
}

// Check-ins per day, both members stacked, to see rhythm over the window.
function dailyChart(series, members) {
  const height = 70;
  const n = series.length || 1;
  const step = W / n;
  const most = Math.max(1, ...series.map((d) => d.members.reduce((t, m) => t + (m.checkins || 0), 0)));
  const nodes = [s("line", { x1: 0, x2: W, y1: height - 0.5, y2: height - 0.5, class: "chart-base" })];
  series.forEach((day, i) => {
    let y = height;
    day.members.forEach((m, j) => {
      if (!m.checkins) return;
      const hgt = ((height - 4) * m.checkins) / most;
      y -= hgt;
      nodes.push(s("rect", { x: i * step + step * 0.1, y, width: Math.max(1, step * 0.8), height: hgt, class: `bar-share m${j}` }));
    });
  });
  const short = (iso) => new Date(`${iso}T12:00:00Z`).toLocaleDateString([], { day: "numeric", month: "short" });
  if (series.length) {
    nodes.push(s("text", { x: 0, y: height + 18, class: "chart-axis" }, short(series[0].date)));
    nodes.push(s("text", { x: W, y: height + 18, class: "chart-axis", "text-anchor": "end" }, short(series[series.length - 1].date)));
  }
  const days = series.filter((d) => d.members.some((m) => m.checkins)).length;
  const label = `Check-ins per day over ${series.length} days: ${members
    .map((m) => `${m.display_name} ${m.checkins}`)
    .join(", ")}; someone checked in on ${days} of the days.`;
  return chart(W, height + 22, label, ...nodes);
}

function legend(members) {
  return h(
    "ul",
    { class: "legend", "aria-hidden": "true" },
    members.map((m, i) => h("li", {}, h("span", { class: `swatch m${i}` }), m.display_name)),
  );
}

// The gaps, as the API gives them, with what each part is: for whoever wants the arithmetic.
function gapsList(data) {
  const parts = (g) =>
    Object.entries((g && g.parts) || {})
      .map(([name, value]) => `${name.replace("_", " ")} ${gap(value)}`)
      .join(", ");
  const [a, b] = (data.members || []).map((m) => m.display_name);
  return h(
    "dl",
    { class: "gaps", id: "balance-gaps" },
    h("dt", {}, "Equity gap"),
    h("dd", {}, `${gap(data.equity_gap && data.equity_gap.value)} (${parts(data.equity_gap)}). Above 0: ${a} gets more back for what they give than ${b}; 0.15 or more either way is a drift, 0.30 an imbalance.`),
    h("dt", {}, "Importance gap"),
    h("dd", {}, `${gap(data.importance_gap && data.importance_gap.value)} (${parts(data.importance_gap)}). Above 0: ${a} is heard more.`),
  );
}

function numbersTable(members) {
  const rows = [
    ["Check-ins", (m) => String(m.checkins)],
    ["Share of check-ins", (m) => pct(m.checkin_share)],
    ["Mood (1–5)", (m) => num(m.mean_mood)],
    ["Energy (1–5)", (m) => num(m.mean_energy)],
    ["Gave (1–5)", (m) => num(m.mean_gave)],
    ["Received (1–5)", (m) => num(m.mean_received)],
    ["Better deal (−3 the other … +3 me)", (m) => num(m.mean_deal)],
    ["Needs raised", (m) => String(m.needs_raised)],
    ["Needs answered", (m) => String(m.needs_answered)],
    ["Protocol moments done", (m) => String(m.completions_performed)],
    ["Of those, acknowledged", (m) => String(m.completions_acknowledged)],
  ];
  return h(
    "table",
    { class: "numbers", id: "balance-table" },
    h("caption", {}, "Each partner's averages and counts"),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Measure"), members.map((m) => h("th", { scope: "col" }, m.display_name)))),
    h("tbody", {}, rows.map(([label, get]) => h("tr", {}, h("th", { scope: "row" }, label), members.map((m) => h("td", {}, get(m)))))),
  );
}

function figure(id, title, note, svg, extra = null) {
  return h(
    "section",
    { class: "chart-card", id, "aria-labelledby": `${id}-title` },
    h("h2", { id: `${id}-title` }, title),
    note ? h("p", { class: "muted small" }, note) : null,
    svg,
    extra,
  );
}

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

export async function render(root, ctx) {
  const dynamic = ctx.dynamic;
  const me = ctx.me;
  const partner = dynamic.members.find((m) => m.user_id !== me.id);
  const partnerName = partner ? partner.display_name : "your partner";
  let days = WINDOWS.includes(Number(ctx.params[0])) ? Number(ctx.params[0]) : 28;
  let weeks = 12;
  const error = alertBox();
  const freshness = h("p", { class: "muted small", id: "balance-freshness", "aria-live": "polite" });
  const body = h("div", { id: "balance", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
  const trendBody = h("div", { id: "trend", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));
  const switcher = segments("days", "Over the last", WINDOWS, days, (n) => `${n} days`);
  const weekSwitcher = segments("weeks", "Week by week, over", TREND_WEEKS, weeks, (n) => `${n} weeks`);

  root.append(
    h("h1", {}, "Balance"),
    h("p", { class: "muted" }, "The same view for both of you: what each of you gives and gets back, and whether both of you are heard."),
    meanings(),
    switcher,
    error,
    freshness,
    body,
    h("section", { id: "over-time", "aria-labelledby": "over-time-title" }, h("h2", { id: "over-time-title" }, "Over time"), weekSwitcher, trendBody),
  );

  function show(data, meta) {
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
    freshness.textContent = meta && meta.stale ? (meta.offline ? "Offline: as this phone last saw it." : "Updating…") : "";
    const members = data.members || [];
    const verdict = data.verdict;
    const enough = verdict !== "not_enough_data";
    const reasons = data.reasons || [];
    const totalCheckins = members.reduce((n, m) => n + (m.checkins || 0), 0);

    const verdictCard = h(
      "section",
      { class: `verdict verdict-${verdict}`, id: "verdict-card", "aria-labelledby": "verdict" },
      h("h2", { id: "verdict" }, VERDICTS[verdict] || verdict),
      h("ul", { class: "reasons", id: "reasons" }, reasons.map((r) => h("li", {}, r))),
      enough
        ? null
        : h(
            "p",
            { class: "kind" },
            `Each of you checking in at least twice in the last ${data.days} days lets the balance say something. Every check-in helps, and nothing is wrong in the meantime.`,
          ),
      dynamic.state === "ended" ? null : nextStep(data.next_step, { me, members, partnerName }),
    );

    const charts = [];
    if (totalCheckins === 0) {
      charts.push(h("p", { class: "muted", id: "no-data" }, "No check-ins in these days yet, so there is nothing to draw."));
    } else {
      charts.push(
        figure("chart-gave", "What each gave and received", "Averages on a 1–5 scale, since each one's last check-in.", gaveReceivedChart(members),
          h("ul", { class: "legend", "aria-hidden": "true" }, h("li", {}, h("span", { class: "swatch gave" }), "gave"), h("li", {}, h("span", { class: "swatch received" }), "received"))),
        figure("chart-needs", "Needs answered", "The outline is what each asked for; the filled part, what was answered.", needsChart(members), legend(members)),
        figure("chart-share", "Share of check-ins", "Both voices matter: near half each is even.", shareChart(members), legend(members)),
        figure("chart-daily", "Check-ins per day", null, dailyChart(data.series || [], members), legend(members)),
      );
    }
    const details = h(
      "details",
      { class: "card balance-details", id: "balance-details" },
      h("summary", {}, "Details: the numbers, and how they are worked out"),
      ...charts,
      h("section", { class: "chart-card", id: "in-numbers", "aria-labelledby": "numbers-title" }, h("h3", { id: "numbers-title" }, "In numbers"), numbersTable(members), gapsList(data)),
      h("p", { class: "muted small" }, "The formulas are written out in the app's documentation (docs/balance.md); everything here is worked out from your check-ins and what you both did."),
    );
    const open = body.querySelector("#balance-details");
    if (open && open.open) details.open = true;
    body.replaceChildren(verdictCard, details);
  }

  function showTrend(data) {
    trendBody.setAttribute("aria-busy", "false");
    if (!data) {
      trendBody.replaceChildren(h("p", { class: "muted", id: "trend-offline" }, "The weeks will show once you're back online."));
      return;
    }
    trendBody.replaceChildren(...trendCharts(data));
  }

  let stop = null;
  function watch() {
    if (stop) stop();
    error.textContent = "";
    body.setAttribute("aria-busy", "true");
    stop = live(`/api/dynamics/${dynamic.id}/balance?days=${days}`, show, (failure) => {
      body.setAttribute("aria-busy", "false");
      error.textContent = `Could not load the balance: ${failure.message}`;
    });
  }

  let stopTrend = null;
  function watchTrend() {
    if (stopTrend) stopTrend();
    trendBody.setAttribute("aria-busy", "true");
    stopTrend = live(`/api/dynamics/${dynamic.id}/balance/trend?weeks=${weeks}`, showTrend, (failure) => {
      trendBody.setAttribute("aria-busy", "false");
      error.textContent = `Could not load the weeks: ${failure.message}`;
    });
  }

  switcher.addEventListener("change", (event) => {
    const value = Number(event.target.value);
    if (!WINDOWS.includes(value) || value === days) return;
    days = value;
    history.replaceState(null, "", `#/balance/${days}`);
    watch();
  });
  weekSwitcher.addEventListener("change", (event) => {
    const value = Number(event.target.value);
    if (!TREND_WEEKS.includes(value) || value === weeks) return;
    weeks = value;
    watchTrend();
  });

  watch();
  watchTrend();
  return () => {
    if (stop) stop();
    if (stopTrend) stopTrend();
  };
}
