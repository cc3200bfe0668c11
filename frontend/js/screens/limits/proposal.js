// The limits part's two hooks into proposing a protocol: a proposal drafted from a match (kept
// for the propose screen to pick up), and the hard limits and no's a proposal's text names.
import { entity } from "../../store.js";
import { ANSWER_NAMES } from "./words.js";

const DRAFT_KEY = "accord.proposal-draft";

export function keepDraft(draft) {
  sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
}

// The draft waiting for the propose screen, once: {title, description} or {}.
export function takeDraft() {
  const raw = sessionStorage.getItem(DRAFT_KEY);
  sessionStorage.removeItem(DRAFT_KEY);
  try {
    return raw ? JSON.parse(raw) : {};
  } catch {
    return {}; // an unreadable draft is simply not offered
  }
}

const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// The names a text may use for an item: its label, its label without the part in brackets,
// and a custom item's own words.
function namesOf(item, labels) {
  const label = labels.get(item);
  if (!label) return [item];
  return [...new Set([label, label.replace(/\s*\(.*\)\s*/, "").trim()])].filter((n) => n.length > 2);
}

// Sentences about every hard limit or no, of either of you, that the text names.
export async function limitsNamedIn(text, dynamicId, partnerName) {
  const view = await entity("limits", dynamicId);
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
        const what = entry.answer === "hard_limit" ? "a hard limit" : `a ${ANSWER_NAMES.no.toLowerCase()}`;
        const way = entry.role ? ` (${entry.role})` : "";
        lines.push(`“${labels.get(entry.item) || entry.item}” is ${what} for ${whose}${way}.`);
      }
    }
  };
  says(view.partner, partnerName);
  says(view.mine, "you");
  return [...new Set(lines)];
}
