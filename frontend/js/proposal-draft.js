// A proposal started on another screen, kept for the propose screen to pick up once: a draft
// from a match on the limits screen, or the declined terms of a protocol to suggest again
// ("Decline and suggest"). Touches sessionStorage only when called, so `node --test` imports it.
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

const SUGGEST_KEY = "accord.suggest";
const TERMS = ["title", "description", "kind", "performer_ids", "schedule", "reminders", "review_on"];

function termsOf(version) {
  return Object.fromEntries(TERMS.map((field) => [field, version[field]]));
}

// What the proposal form starts from: the declined terms, for this protocol (a renegotiation)
// or for a new one when the declined protocol is closed.
export function suggest(protocolId, version, renegotiate) {
  sessionStorage.setItem(SUGGEST_KEY, JSON.stringify({ from: protocolId, renegotiate, terms: termsOf(version) }));
  return renegotiate ? `propose/${encodeURIComponent(protocolId)}` : "propose";
}

// The pre-filled terms for the proposal form at #/propose[/<id>], once; null when none wait.
export function takeSuggestion(id) {
  const stored = JSON.parse(sessionStorage.getItem(SUGGEST_KEY) || "null");
  sessionStorage.removeItem(SUGGEST_KEY);
  if (!stored) return null;
  if (stored.renegotiate ? stored.from !== id : id) return null;
  return stored.terms;
}

// A proposal suggested by a review's agenda: kept for the one next visit of the propose screen.
const PREFILL_KEY = "accord.propose-prefill";

export function suggestProposal(prefill) {
  sessionStorage.setItem(PREFILL_KEY, JSON.stringify(prefill || {}));
}

// The suggested title, kind and performers, once; {} when there is none.
export function takeProposal() {
  const raw = sessionStorage.getItem(PREFILL_KEY);
  sessionStorage.removeItem(PREFILL_KEY);
  try {
    const { title, kind, performer_ids: performers } = JSON.parse(raw || "{}");
    return {
      ...(typeof title === "string" ? { title } : {}),
      ...(typeof kind === "string" ? { kind } : {}),
      ...(Array.isArray(performers) ? { performer_ids: performers.filter((p) => typeof p === "string") } : {}),
    };
  } catch {
    return {}; // a damaged suggestion is no suggestion: the form starts empty
  }
}
