import { LOCKED } from "../../words.js";

// The words of the limits screen, in one place: answers, categories, directions, dates.
export const ANSWERS = [
  ["yes", "Yes"],
  ["maybe", "Maybe"],
  ["no", "No"],
  ["hard_limit", "Hard limit"],
];
export const ANSWER_NAMES = Object.fromEntries(ANSWERS);
// How cautious an answer is: when two directions are merged, the more cautious one stays.
export const CAUTION = { yes: 0, maybe: 1, no: 2, hard_limit: 3 };
export const CATEGORIES = {
  protocol: "Protocol",
  service: "Service",
  care: "Care",
  discipline: "Discipline",
  sensation: "Sensation",
  restraint: "Restraint",
  verbal: "Words",
  control: "Control",
  roleplay: "Role play",
  intimacy: "Intimacy",
};
export const DIRECTION_NAMES = { giving: "Giving", receiving: "Receiving" };

// The API's one name for a custom item: trimmed, spaces collapsed, case-folded (as Python's
// casefold for the letters whose lower case is not their folded one: ß, final ς).
export const itemKey = (text) =>
  text.normalize("NFC").trim().replace(/\s+/g, " ").toLowerCase().replace(/ß/g, "ss").replace(/ς/g, "σ").normalize("NFC");

// A custom item of private limits: "b:" and its blind index (js/limits-words.js).
const BLIND = /^b:[A-Za-z0-9_-]{43}$/;
export const isBlind = (item) => typeof item === "string" && BLIND.test(item);

// Whether a limits view holds sealed words (a custom item's blind index, a sealed condition): the
// screens then open it with js/limits-words.js, loaded on first use.
export function holdsSealed(view) {
  const entries = view ? [...view.mine, ...view.partner, ...view.partner_hard_limits, ...view.revealed] : [];
  return entries.some((e) => isBlind(e.item) || (e.condition !== null && typeof e.condition === "object"));
}

export function labeller(view) {
  const labels = new Map((view ? view.catalogue : []).map((c) => [c.key, c.label]));
  // A custom item of private limits whose words this phone cannot open now (limits-words.js).
  return (item) => labels.get(item) || (isBlind(item) ? `🔒 ${LOCKED}` : item);
}

// "Hard limit (receiving)": a partner's answer as they gave it.
export function answerText(entry) {
  const name = ANSWER_NAMES[entry.answer];
  return entry.role ? `${name} (${entry.role})` : name;
}

// Who would do what, from my side of a match.
export function sideText(role, partnerName) {
  if (role === "giving") return `You give, ${partnerName} receives`;
  if (role === "receiving") return `${partnerName} gives, you receive`;
  return "";
}

export function dayText(iso) {
  return new Date(iso).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
}

// Whether two directions of one item can meet (the server's matching.fits).
export const fits = (mine, theirs) => !mine || !theirs || mine !== theirs;
