// Reviews (#/review, #/review/ID): the rhythm and past reviews; one review's private answers,
// then both answers side by side with the agenda built from the data, then its summary.
// Sections live in screens/review/.
import { alertBox, h } from "../dom.js";
import { dayText } from "../format.js";
import { entity, live } from "../store.js";
import { answerForm } from "./review/answer-form.js";
import { cadenceCard, pastList, startCard } from "./review/list.js";
import { agenda, closeForm, sideBySide } from "./review/reveal.js";
import { summaryWords } from "./review/sealed.js";

function partnerName(dynamic, me) {
  const partner = (dynamic.members || []).find((m) => m.user_id !== me.id);
  return partner ? partner.display_name : "your partner";
}

export async function render(root, ctx) {
  const id = ctx.params[0] || null;
  const dynamic = ctx.dynamic;
  const me = ctx.me;
  const them = partnerName(dynamic, me);
  const heading = h("h1", {}, "Reviews");
  const error = alertBox();
  const body = h("div", { id: "review" });
  root.append(heading, error, body);
  let drawn = "";

  function drawList(page) {
    // Each sync asks again: the same answer is not drawn again (a rhythm being chosen stays).
    const key = JSON.stringify(page);
    if (key === drawn) return;
    drawn = key;
    const current = page.items.find((r) => r.state !== "closed");
    const parts = [];
    if (current) {
      parts.push(
        h(
          "a",
          { href: `#/review/${encodeURIComponent(current.id)}`, class: "button big", id: "r-continue" },
          current.state === "revealed" ? "See your review together" : "Go to the review in progress",
        ),
      );
    } else {
      parts.push(startCard(dynamic, them, (review) => ctx.go(`review/${encodeURIComponent(review.id)}`)));
    }
    parts.push(cadenceCard(dynamic, page.schedule, them));
    const past = pastList(page.items.filter((r) => r !== current));
    if (past) parts.push(past);
    body.replaceChildren(...parts);
  }

  // While I answer, the form is drawn once and keeps what I type (and its messages); only the
  // line saying whether my partner has answered follows the syncs.
  const partnerDone = h("p", { class: "card", id: "review-partner-done", hidden: true });

  async function drawReview(review) {
    const iSent = review.submitted_by.includes(me.id);
    const theySent = review.submitted_by.some((uid) => uid !== me.id);
    partnerDone.hidden = !theySent;
    partnerDone.textContent = theySent ? `${them} has answered. Take your time: their answers open when yours are in.` : "";
    const answering = review.state === "open" && !iSent;
    const key = answering ? "answering" : JSON.stringify([review.state, review.submitted_by, review.partner?.updated_at, review.outcome]);
    if (key === drawn) return;
    drawn = key;
    heading.textContent = `Review of ${dayText(review.due_on)}`;
    const parts = [];
    if (answering) {
      parts.push(partnerDone, await answerForm(review, them, () => {}));
    } else if (review.state === "open") {
      parts.push(
        h(
          "section",
          { class: "card", id: "review-waiting" },
          h("p", {}, `Your answers are in. ${them} has not answered yet: you will both see both answers once they have.`),
        ),
      );
    } else {
      if (review.outcome) {
        parts.push(
          h(
            "section",
            { class: "card", id: "review-summary" },
            h("h2", {}, "What you decided"),
            review.outcome.summary ? summaryWords(review, "p", {}) : h("p", {}, "Closed without a summary."),
          ),
        );
      }
      parts.push(
        sideBySide(review, them),
        agenda(review, them, () => {}),
      );
      if (review.state === "revealed") parts.push(closeForm(review, them, () => {}));
    }
    parts.push(h("a", { href: "#/review", class: "button secondary", id: "r-all" }, "All reviews"));
    body.replaceChildren(...parts);
  }

  const path = id ? `/api/reviews/${encodeURIComponent(id)}` : `/api/dynamics/${dynamic.id}/reviews`;
  return live(
    path,
    async (data, meta) => {
      error.textContent = "";
      if (!data && id) data = await entity("review", id);
      if (!data) {
        body.replaceChildren(h("p", { class: "muted" }, meta.offline ? "Reviews will show once you are online." : "Loading…"));
        return;
      }
      if (id) await drawReview(data);
      else drawList(data);
    },
    (failure) => {
      error.textContent = failure.status === 404 ? "This review is not here." : failure.message;
    },
  );
}
