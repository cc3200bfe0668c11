// The terms of a protocol on screen: as a list of fields, and as a difference field by field.
import { h } from "../../dom.js";
import { FIELDS, valueText } from "../../protocol-terms.js";

export function termsList(terms, dynamic, me, { withTitle = false, id } = {}) {
  const rows = [];
  for (const field of Object.keys(FIELDS)) {
    if (field === "title" && !withTitle) continue;
    if (field === "description" && !terms.description) continue;
    rows.push(
      h("dt", {}, FIELDS[field]),
      h("dd", { class: field === "description" ? "proto-text" : null }, valueText(field, terms[field], dynamic, me)),
    );
  }
  return h("dl", { class: "proto-terms", id }, rows);
}

function diffRow({ field, from, to }, dynamic, me, { oldLabel, newLabel }) {
  return h(
    "div",
    { class: "proto-diff-row", "data-field": field },
    h("h3", {}, FIELDS[field] || field),
    h(
      "p",
      { class: "proto-was" },
      h("span", { class: "proto-tag" }, oldLabel),
      h("span", { class: "proto-text" }, valueText(field, from, dynamic, me)),
    ),
    h(
      "p",
      { class: "proto-new" },
      h("span", { class: "proto-tag" }, newLabel),
      h("span", { class: "proto-text" }, valueText(field, to, dynamic, me)),
    ),
  );
}

export function diffList(changes, dynamic, me, labels) {
  return h(
    "div",
    { class: "proto-diff", id: "diff" },
    changes.map((change) => diffRow(change, dynamic, me, labels)),
  );
}

// The terms in force (or, when nothing is and nothing waits, the last terms); null otherwise.
export function termsSection(p, inForce, dynamic, me) {
  if (inForce) {
    return h(
      "section",
      { id: "in-force", "aria-labelledby": "in-force-title" },
      h("h2", { id: "in-force-title" }, `In force: version ${inForce.number}`),
      termsList(inForce, dynamic, me, { withTitle: Boolean(p.pending) }),
    );
  }
  if (p.pending) return null;
  return h(
    "section",
    { id: "last-terms", "aria-labelledby": "last-terms-title" },
    h("h2", { id: "last-terms-title" }, `Last terms: version ${p.version}`),
    termsList(p, dynamic, me),
  );
}
