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

// A check-in with words, in a private dynamic whose pair key this phone has not opened.
export const WORDS_LOCKED =
  "Your notes with your partner are private, and they are locked on this phone: open them in More → Private words, or save without a note or needs of your own.";

// Under the note: who can read it.
export function privacyHint(mode, partnerName) {
  if (mode === "private") return `Only you and ${partnerName} can read this: it is encrypted on this phone.`;
  if (mode === "locked") return "Private, and locked on this phone: open your private words in More to write here.";
  return "Not private yet: the server keeps this as you write it until you both have keys.";
}

// The `codes` of describe() (js/errors.js) for a check-in.
export const CHECKIN_CODES = {
  dynamic_ended: "This dynamic has ended, so check-ins are closed.",
  // A check-in that waited while the dynamic became private (or the other way round).
  words_not_private: "Your words with your partner became private meanwhile: write the note again, and it will be encrypted on this phone.",
  no_pair_key: "Your private words are not set up in this dynamic yet: write the note again, and it will be saved as written.",
  occurred_at_out_of_range: "This phone's clock looks wrong: check its date and time, then try again.",
  validation_error: notSaved,
};
