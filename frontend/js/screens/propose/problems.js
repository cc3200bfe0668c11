// A refused proposal, placed next to the fields it is about: friendlier words for the commonest
// validation errors, otherwise the server's own message.
import { FIELDS } from "../../protocol-terms.js";

function fieldMessage(field, error) {
  const type = error.type || "";
  const about = (part) => error.loc?.includes(part) && type === "too_short";
  if (field === "title" && /too_short|missing/.test(type)) return "Give it a title.";
  if (field === "title" && /too_long/.test(type)) return "A title is at most 120 characters.";
  if (field === "kind") return "Choose what kind of protocol it is.";
  if (field === "performer_ids" && (type === "too_short" || type === "missing")) return "Choose who performs it.";
  if (field === "schedule" && about("times")) return "Add at least one time, or turn the schedule off.";
  if (field === "schedule" && about("weekdays")) return "Choose at least one day, or turn the schedule off.";
  return error.msg ? error.msg.replace(/^Value error, /, "") : "Check this field.";
}

// Refusals by code that are about one field.
const CODE_FIELDS = {
  performer_not_member: "performer_ids",
  review_on_past: "review_on",
  review_on_too_far: "review_on",
};

// Marks the fields a refusal names through `mark(field, words)` (which says whether that field
// has a place for words); true when at least one was marked.
export function placeProblems(failure, mark) {
  let placed = false;
  if (failure.status === 422 && Array.isArray(failure.body?.errors)) {
    for (const problem of failure.body.errors) {
      const field = problem.loc && problem.loc[0] === "body" ? problem.loc[1] : null;
      if (field && FIELDS[field] && mark(field, fieldMessage(field, problem))) placed = true;
    }
  } else if (failure.code && CODE_FIELDS[failure.code]) {
    placed = mark(CODE_FIELDS[failure.code], failure.message);
  }
  return placed;
}
