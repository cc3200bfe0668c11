// The hard limits and no's, of either member, that a proposal's text names: said once before it
// is sent (screens/propose/limits-warning.js). Pure: `node --test` imports it.

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// The names a text may use for an item: its label, its label without the part in brackets,
// and a custom item's own words.
function namesOf(item, labels) {
  const label = labels.get(item);
  if (!label) return [item];
  return [...new Set([label, label.replace(/\s*\(.*\)\s*/, "").trim()])].filter((n) => n.length > 2);
}

// Sentences about every hard limit or no in `view` (GET …/limits) that the text names.
export function limitsNamedIn(text, view, partnerName) {
  if (!view || !text.trim()) return [];
  const labels = new Map(view.catalogue.map((c) => [c.key, c.label]));
  const folded = text.toLowerCase();
  const named = (item) =>
    namesOf(item, labels).some((name) =>
      new RegExp(`(^|[^\\p{L}\\p{N}])${escapeRegExp(name.toLowerCase())}($|[^\\p{L}\\p{N}])`, "u").test(folded),
    );
  const lines = [];
  const says = (entries, whose) => {
    for (const entry of entries) {
      if ((entry.answer === "hard_limit" || entry.answer === "no") && named(entry.item)) {
        const what = entry.answer === "hard_limit" ? "a hard limit" : "a no";
        const way = entry.role ? ` (${entry.role})` : "";
        lines.push(`“${labels.get(entry.item) || entry.item}” is ${what} for ${whose}${way}.`);
      }
    }
  };
  says(view.partner, partnerName);
  says(view.mine, "you");
  return [...new Set(lines)];
}
