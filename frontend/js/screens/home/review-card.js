// Home's small review entry: a review ready to see together, my answers sent and waiting for
// the partner's, or the next date. A review waiting for my answers is not here: it is in home's
// "Waiting for you" list (app/today/waiting.py, through app/reviews/part.py). Drawn from the
// local copy (the sync feed), so it shows offline too.
import { h } from "../../dom.js";
import { dayText } from "../../format.js";
import { entities, entity } from "../../store.js";

export async function reviewCard(dynamic, me) {
  const reviews = (await entities("review", dynamic.id)).filter((r) => r.state !== "closed");
  const current = reviews[0] || null;
  const schedule = await entity("review_schedule", dynamic.id);
  let text = null;
  let href = "#/review";
  if (current) {
    href = `#/review/${encodeURIComponent(current.id)}`;
    if (current.state === "revealed") text = "You both answered the review: look at it together.";
    else if (current.submitted_by.includes(me.id)) text = "Your review answers are in. They stay private until your partner answers too.";
  } else if (schedule?.next_on) {
    text = `Next review on ${dayText(schedule.next_on)}.`;
  }
  if (!text) return null;
  return h("a", { href, class: "card review-home", id: "review-home" }, text);
}
