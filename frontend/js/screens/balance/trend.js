// The trend (GET …/balance/trend?weeks=12|26|52): the weekly equity gap, the weekly importance
// gap, and each partner's mood, as small line charts. Both partners see the same charts: the
// members in the API's order, by name. A week without data leaves a gap in the line.
import { h } from "../../dom.js";
import { chart, num, s } from "./svg.js";

const W = 320;
const H = 120;
const PAD_X = 8;

function short(iso) {
  return new Date(iso).toLocaleDateString([], { day: "numeric", month: "short", timeZone: "UTC" });
}

function xOf(i, n) {
  return n <= 1 ? W / 2 : PAD_X + ((W - 2 * PAD_X) * i) / (n - 1);
}

// Runs of consecutive weeks with a value, each drawn as one line (a week without data breaks it).
function runs(values) {
  const out = [];
  let run = [];
  values.forEach((v, i) => {
    if (v === null || v === undefined) {
      if (run.length) out.push(run);
      run = [];
    } else run.push([i, v]);
  });
  if (run.length) out.push(run);
  return out;
}

function line(values, yOf, cls) {
  const n = values.length;
  const nodes = [];
  for (const run of runs(values)) {
    const points = run.map(([i, v]) => `${xOf(i, n).toFixed(1)},${yOf(v).toFixed(1)}`).join(" ");
    if (run.length > 1) nodes.push(s("polyline", { points, class: `trend-line ${cls}` }));
    for (const [i, v] of run) nodes.push(s("circle", { cx: xOf(i, n), cy: yOf(v), r: 3, class: `trend-dot ${cls}` }));
  }
  return nodes;
}

function axis(weeks) {
  if (!weeks.length) return [];
  return [
    s("text", { x: 0, y: H + 16, class: "chart-axis" }, short(weeks[0].start)),
    s("text", { x: W, y: H + 16, class: "chart-axis", "text-anchor": "end" }, short(weeks[weeks.length - 1].start)),
  ];
}

// A gap in [−1, 1] around an "even" line in the middle; up leans to the first member.
function gapChart(weeks, key, upWords, downWords, what) {
  const values = weeks.map((w) => w[key]);
  const yOf = (v) => H / 2 - v * (H / 2 - 6);
  const known = values.filter((v) => v !== null && v !== undefined);
  const latest = known.length ? known[known.length - 1] : null;
  const lean = (v) => (Math.abs(v) < 0.15 ? "about even" : v > 0 ? upWords : downWords);
  const label = known.length
    ? `${what}, week by week over ${weeks.length} weeks: ${known.length} weeks with enough to say; the latest, ${lean(latest)}.`
    : `${what}, week by week over ${weeks.length} weeks: no week had enough check-ins yet.`;
  return chart(
    W,
    H + 22,
    label,
    s("rect", { x: 0, y: yOf(0.15), width: W, height: yOf(-0.15) - yOf(0.15), class: "trend-even-band" }),
    s("line", { x1: 0, x2: W, y1: H / 2, y2: H / 2, class: "chart-mid" }),
    s("text", { x: 2, y: 12, class: "chart-axis" }, upWords),
    s("text", { x: 2, y: H - 4, class: "chart-axis" }, downWords),
    ...line(values, yOf, "gap"),
    ...axis(weeks),
  );
}

function moodChart(weeks, members) {
  const yOf = (v) => H - 6 - ((v - 1) * (H - 12)) / 4;
  const nodes = [s("line", { x1: 0, x2: W, y1: yOf(3), y2: yOf(3), class: "chart-base" })];
  const summary = [];
  members.forEach((m, j) => {
    const values = weeks.map((w) => (w.members[j] ? w.members[j].mean_mood : null));
    nodes.push(...line(values, yOf, `m${j}`));
    const known = values.filter((v) => v !== null && v !== undefined);
    summary.push(known.length ? `${m.display_name} ${num(known[known.length - 1])} most recently` : `${m.display_name} no check-ins yet`);
  });
  nodes.push(s("text", { x: W, y: yOf(5) + 4, class: "chart-axis", "text-anchor": "end" }, "5"));
  nodes.push(s("text", { x: W, y: yOf(1), class: "chart-axis", "text-anchor": "end" }, "1"));
  return chart(W, H + 22, `Mood, week by week (1 to 5): ${summary.join("; ")}.`, ...nodes, ...axis(weeks));
}

function legend(members) {
  return h(
    "ul",
    { class: "legend", "aria-hidden": "true" },
    members.map((m, i) => h("li", {}, h("span", { class: `swatch m${i}` }), m.display_name)),
  );
}

export function trendCharts(data) {
  const weeks = data.weeks || [];
  const members = data.members || [];
  const [a, b] = members.map((m) => m.display_name);
  return [
    h(
      "section",
      { class: "chart-card", id: "trend-equity", "aria-labelledby": "trend-equity-title" },
      h("h3", { id: "trend-equity-title" }, "Equity, week by week"),
      h("p", { class: "muted small" }, `The middle line is even. Up: ${a} got more back for what they gave; down: ${b} did.`),
      gapChart(weeks, "equity_gap", `${a} got more back`, `${b} got more back`, "Equity"),
    ),
    h(
      "section",
      { class: "chart-card", id: "trend-importance", "aria-labelledby": "trend-importance-title" },
      h("h3", { id: "trend-importance-title" }, "Importance, week by week"),
      h("p", { class: "muted small" }, `The middle line is even. Up: ${a} was heard more; down: ${b} was.`),
      gapChart(weeks, "importance_gap", `${a} heard more`, `${b} heard more`, "Importance"),
    ),
    h(
      "section",
      { class: "chart-card", id: "trend-mood", "aria-labelledby": "trend-mood-title" },
      h("h3", { id: "trend-mood-title" }, "Mood, week by week"),
      moodChart(weeks, members),
      legend(members),
    ),
  ];
}
