// Balance (#/balance, #/balance/<days>): equity and importance over 7, 28 or 90 days, as the API
// computes them (docs/balance.md). Both partners see the same thing: members are shown in the
// API's order (by user id, never "me first"), by name, with the same charts and the same words.
// Charts are inline SVG built here (no library), each with a text alternative.
import { VERDICTS } from "../balance-words.js";
import { alertBox, h } from "../dom.js";
import { percent as pct } from "../format.js";
import { live } from "../store.js";

const SVG = "http://www.w3.org/2000/svg";
const WINDOWS = [7, 28, 90];

function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  for (const child of children) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  return node;
}

function num(value, digits = 1) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(digits);
}

// An <svg role="img"> with its summary as the accessible name.
function chart(width, height, label, ...children) {
  return s("svg", { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label, preserveAspectRatio: "xMinYMin meet" }, ...children);
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
    if (m.needs_raised) nodes.push(s("rect", { x: LABEL_W, y, width: full, height: rowH - 6, rx: 3, class: `bar-raised m${i}` }));
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

function numbersTable(members) {
  const rows = [
    ["Check-ins", (m) => String(m.checkins)],
    ["Share of check-ins", (m) => pct(m.checkin_share)],
    ["Mood (1–5)", (m) => num(m.mean_mood)],
    ["Energy (1–5)", (m) => num(m.mean_energy)],
    ["Gave (1–5)", (m) => num(m.mean_gave)],
    ["Received (1–5)", (m) => num(m.mean_received)],
    ["Better deal (−3…+3)", (m) => num(m.mean_deal)],
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

export async function render(root, ctx) {
  const dynamic = ctx.dynamic;
  let days = WINDOWS.includes(Number(ctx.params[0])) ? Number(ctx.params[0]) : 28;
  const error = alertBox();
  const freshness = h("p", { class: "muted small", id: "balance-freshness", "aria-live": "polite" });
  const body = h("div", { id: "balance", "aria-busy": "true" }, h("p", { class: "muted" }, "Loading…"));

  const switcher = h(
    "fieldset",
    { class: "window-switch" },
    h("legend", {}, "Over the last"),
    h(
      "div",
      { class: "segments" },
      WINDOWS.map((n) =>
        h(
          "label",
          { class: "segment" },
          h("input", { type: "radio", name: "days", value: String(n), checked: n === days }),
          h("span", {}, `${n} days`),
        ),
      ),
    ),
  );
  root.append(
    h("h1", {}, "Balance"),
    h("p", { class: "muted" }, "The same view for both of you: what each gives and receives, and whether both are heard."),
    switcher,
    error,
    freshness,
    body,
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
            `A verdict needs at least two check-ins from each of you in the last ${data.days} days. Every check-in helps, and nothing is wrong in the meantime.`,
          ),
      enough || dynamic.state === "ended" ? null : h("p", {}, h("a", { href: "#/checkin", class: "button secondary" }, "Check in now")),
    );

    const parts = [verdictCard];
    if (totalCheckins === 0) {
      parts.push(h("p", { class: "card muted", id: "no-data" }, "No check-ins in these days yet, so there is nothing to draw."));
    } else {
      parts.push(
        figure("chart-gave", "What each gave and received", "Averages on a 1–5 scale, since each one's last check-in.", gaveReceivedChart(members),
          h("ul", { class: "legend", "aria-hidden": "true" }, h("li", {}, h("span", { class: "swatch gave" }), "gave"), h("li", {}, h("span", { class: "swatch received" }), "received"))),
        figure("chart-needs", "Needs answered", "Needs each raised, and how many the other answered “done”.", needsChart(members), legend(members)),
        figure("chart-share", "Share of check-ins", "Both voices matter: near half each is even.", shareChart(members), legend(members)),
        figure("chart-daily", "Check-ins per day", null, dailyChart(data.series || [], members), legend(members)),
      );
    }
    parts.push(h("section", { class: "chart-card", id: "in-numbers", "aria-labelledby": "numbers-title" }, h("h2", { id: "numbers-title" }, "In numbers"), numbersTable(members)));
    body.replaceChildren(...parts);
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

  switcher.addEventListener("change", (event) => {
    const value = Number(event.target.value);
    if (!WINDOWS.includes(value) || value === days) return;
    days = value;
    history.replaceState(null, "", `#/balance/${days}`);
    watch();
  });

  watch();
  return () => {
    if (stop) stop();
  };
}
