// A proposal suggested by a review's agenda: kept for the one next visit of the propose screen.
const KEY = "accord.propose-prefill";

export function suggestProposal(prefill) {
  sessionStorage.setItem(KEY, JSON.stringify(prefill || {}));
}

// The suggested title, kind and performers, once; {} when there is none.
export function takeProposal() {
  const raw = sessionStorage.getItem(KEY);
  sessionStorage.removeItem(KEY);
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
