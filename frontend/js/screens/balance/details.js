// "Details: the numbers, and how they are worked out": the charts (./charts.js) and the numbers
// (./numbers.js) behind a disclosure, kept open across a redraw when it was open.
import { h } from "../../dom.js";
import { dailyChart, gaveReceivedChart, legend, needsChart, shareChart } from "./charts.js";
import { gapsList, numbersTable } from "./numbers.js";

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

function charts(data, members) {
  const totalCheckins = members.reduce((n, m) => n + (m.checkins || 0), 0);
  if (totalCheckins === 0)
    return [h("p", { class: "muted", id: "no-data" }, "No check-ins in these days yet, so there is nothing to draw.")];
  const gaveLegend = h(
    "ul",
    { class: "legend", "aria-hidden": "true" },
    h("li", {}, h("span", { class: "swatch gave" }), "gave"),
    h("li", {}, h("span", { class: "swatch received" }), "received"),
  );
  return [
    figure(
      "chart-gave",
      "What each gave and received",
      "Averages on a 1–5 scale, since each one's last check-in.",
      gaveReceivedChart(members),
      gaveLegend,
    ),
    figure(
      "chart-needs",
      "Needs answered",
      "The outline is what each asked for; the filled part, what was answered.",
      needsChart(members),
      legend(members),
    ),
    figure("chart-share", "Share of check-ins", "Both voices matter: near half each is even.", shareChart(members), legend(members)),
    figure("chart-daily", "Check-ins per day", null, dailyChart(data.series || [], members), legend(members)),
  ];
}

// `wasOpen`: whether the details on screen before this redraw were open.
export function details(data, wasOpen) {
  const members = data.members || [];
  const section = h(
    "details",
    { class: "card balance-details", id: "balance-details" },
    h("summary", {}, "Details: the numbers, and how they are worked out"),
    ...charts(data, members),
    h(
      "section",
      { class: "chart-card", id: "in-numbers", "aria-labelledby": "numbers-title" },
      h("h3", { id: "numbers-title" }, "In numbers"),
      numbersTable(members),
      gapsList(data),
    ),
    h(
      "p",
      { class: "muted small" },
      "The formulas are written out in the app's documentation (docs/balance.md); everything here is worked out from your check-ins and what you both did.",
    ),
  );
  if (wasOpen) section.open = true;
  return section;
}
