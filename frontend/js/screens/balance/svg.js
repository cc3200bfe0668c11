// Plain SVG for the balance charts (no library): an element maker and a chart frame whose
// accessible name is its summary.
const SVG = "http://www.w3.org/2000/svg";

export function s(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  for (const child of children) if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  return node;
}

export function chart(width, height, label, ...children) {
  return s(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, class: "chart", role: "img", "aria-label": label, preserveAspectRatio: "xMinYMin meet" },
    ...children,
  );
}

// One decimal, everywhere on the balance screen: a number reads the same in a chart, its text
// alternative and the table.
export function num(value) {
  return value === null || value === undefined ? "—" : Number(value).toFixed(1);
}
