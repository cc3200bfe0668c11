// The charts behind the balance's details: gave and received, needs answered, the share of
// check-ins, and check-ins per day. Inline SVG (./svg.js), each named by its summary in words.
import { h } from "../../dom.js";
import { percent as pct } from "../../format.js";
import { chart, num, s } from "./svg.js";

const W = 320;
const LABEL_W = 92;
const BAR_W = W - LABEL_W - 40;

// Gave and received: per member, two bars on the 1–5 scale.
export function gaveReceivedChart(members) {
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
      nodes.push(
        s("text", { x: LABEL_W + BAR_W + 6, y: y + 13, class: "chart-value" }, value === null || value === undefined ? "—" : num(value)),
      );
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
export function needsChart(members) {
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
    if (m.needs_raised)
      nodes.push(s("rect", { x: LABEL_W + 1, y: y + 1, width: Math.max(0, full - 2), height: rowH - 8, rx: 3, class: `bar-raised m${i}` }));
    if (m.needs_answered) {
      nodes.push(
        s("rect", { x: LABEL_W, y, width: (BAR_W * m.needs_answered) / most, height: rowH - 6, rx: 3, class: `bar-answered m${i}` }),
      );
    }
    nodes.push(s("text", { x: LABEL_W + BAR_W + 6, y: y + 15, class: "chart-value" }, `${m.needs_answered}/${m.needs_raised}`));
  });
  const summary = members.map((m) => `${m.display_name}'s needs were answered ${m.needs_answered} of ${m.needs_raised} times`).join("; ");
  return chart(W, members.length * (rowH + 10), `Needs answered. ${summary}.`, ...nodes);
}

// Share of check-ins: one bar split between the two members.
export function shareChart(members) {
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
export function dailyChart(series, members) {
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

export function legend(members) {
  return h(
    "ul",
    { class: "legend", "aria-hidden": "true" },
    members.map((m, i) => h("li", {}, h("span", { class: `swatch m${i}` }), m.display_name)),
  );
}
