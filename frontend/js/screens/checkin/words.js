// The check-in screen's words for a refusal, one sentence a person can act on. Pure: `node
// --test` imports it (tests/js/checkin-words.test.js).

const FIELDS = {
  mood: "Mood",
  energy: "Energy",
  gave: "Gave",
  received: "Received",
  needs: "Needs",
  deal: "Better deal",
  note: "Note",
  occurred_at: "Time",
};

// A field of a 422 in the words of the form ("Energy" for ["body", "energy"]).
export function fieldName(loc) {
  const parts = (loc || []).filter((p) => p !== "body");
  return FIELDS[parts[0]] || String(parts[0] || "Check-in");
}

// Each field the server refused, with its reason: "Not saved. Energy: Input should be … ."
function notSaved(failure) {
  const problems = failure.body?.errors || [];
  if (!problems.length) return `Not saved: ${failure.message}`;
  const lines = problems.map((p) => `${fieldName(p.loc)}: ${String(p.msg || "").replace(/^Value error, /, "")}.`);
  return `Not saved. ${lines.join(" ")}`;
}

// The `codes` of describe() (js/errors.js) for a check-in.
export const CHECKIN_CODES = {
  dynamic_ended: "This dynamic has ended, so check-ins are closed.",
  occurred_at_out_of_range: "This phone's clock looks wrong: check its date and time, then try again.",
  validation_error: notSaved,
};
