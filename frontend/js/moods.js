// Check-ins in words and pictures, shared by the check-in screen and the list of check-ins: the
// fixed needs, the moods, and a small face for a mood. Pure but for face(), which makes SVG
// when called (never at import), so `node --test` imports it.
const SVG = "http://www.w3.org/2000/svg";

// The fixed needs of the API (docs/api.md, "Check-ins"); anything else is a custom need.
export const NEEDS = [
  "affection",
  "reassurance",
  "praise",
  "structure",
  "guidance",
  "space",
  "rest",
  "play",
  "intimacy",
  "aftercare",
  "attention",
  "talk",
];
export const MOODS = [
  [1, "very low"],
  [2, "low"],
  [3, "okay"],
  [4, "good"],
  [5, "very good"],
];

export function needLabel(need) {
  return NEEDS.includes(need) ? need[0].toUpperCase() + need.slice(1) : need;
}

export function moodText(mood) {
  const found = MOODS.find(([v]) => v === mood);
  return found ? `${mood} — ${found[1]}` : String(mood);
}

// A small face for a mood (1 frown … 5 broad smile); decoration only, the label says it.
export function face(mood) {
  const el = (tag, attrs) => {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  };
  const svg = el("svg", { viewBox: "0 0 40 40", class: `face face-${mood}`, "aria-hidden": "true", focusable: "false" });
  const curve = [-7, -3.5, 0, 3.5, 7][mood - 1];
  svg.append(
    el("circle", { cx: 20, cy: 20, r: 17, class: "face-head" }),
    el("circle", { cx: 14, cy: 16, r: 2.2, class: "face-eye" }),
    el("circle", { cx: 26, cy: 16, r: 2.2, class: "face-eye" }),
    el("path", { d: `M12 ${27 - curve / 2} Q20 ${27 + curve} 28 ${27 - curve / 2}`, class: "face-mouth" }),
  );
  return svg;
}
