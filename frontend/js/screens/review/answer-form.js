// My private answers: saved as often as I like, then submitted once. Nothing here reaches the
// partner before both of us submitted (the server keeps it sealed).
import { alertBox, confirmDialog, h } from "../../dom.js";
import { write } from "../../outbox.js";
import { entities } from "../../store.js";
import { AREAS, dealLabels, explain, HEARD, HEARD_QUESTION, SCALE, VOTES } from "./words.js";

function select(id, options, value, blank = "No answer") {
  return h(
    "select",
    { id },
    h("option", { value: "" }, blank),
    options.map(([v, label]) => h("option", { value: String(v), selected: value !== null && value !== undefined && String(value) === String(v) }, label)),
  );
}

function number(control) {
  return control.value === "" ? null : Number(control.value);
}

function field(label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hint ? h("p", { class: "muted" }, hint) : null);
}

export async function answerForm(review, ctx, them, onDone) {
  const mine = review.mine || {};
  const error = alertBox();
  const deal = select("r-deal", dealLabels(them), mine.deal);
  const heard = select("r-heard", HEARD, mine.heard);
  const areas = AREAS.map(([key, label]) => {
    const given = (mine.areas || {})[key] || {};
    return [key, label, select(`r-${key}-gave`, SCALE, given.gave, "—"), select(`r-${key}-received`, SCALE, given.received, "—")];
  });
  const inForce = (await entities("protocol", review.dynamic_id)).filter((p) => p.status === "active" || p.status === "suspended");
  const votes = inForce.map((p) => {
    const earlier = (mine.protocols || []).find((v) => v.protocol_id === p.id) || {};
    const comment = h("input", { type: "text", id: `r-comment-${p.id}`, maxlength: 500, value: earlier.comment || "", "aria-label": "Why (optional)" });
    return [p, select(`r-vote-${p.id}`, VOTES, earlier.vote), comment];
  });
  const wentWell = h("textarea", { id: "r-went-well", rows: 3, maxlength: 1000 });
  wentWell.value = mine.went_well || "";
  const wish = h("textarea", { id: "r-wish", rows: 3, maxlength: 1000 });
  wish.value = mine.wish || "";

  function collect() {
    const body = {};
    if (number(deal) !== null) body.deal = number(deal);
    if (number(heard) !== null) body.heard = number(heard);
    const given = {};
    for (const [key, , gave, received] of areas) {
      if (number(gave) !== null || number(received) !== null) given[key] = { gave: number(gave), received: number(received) };
    }
    if (Object.keys(given).length) body.areas = given;
    const chosen = votes.filter(([, vote]) => vote.value).map(([p, vote, comment]) => ({ protocol_id: p.id, vote: vote.value, comment: comment.value.trim() || null }));
    if (chosen.length) body.protocols = chosen;
    if (wentWell.value.trim()) body.went_well = wentWell.value.trim();
    if (wish.value.trim()) body.wish = wish.value.trim();
    return body;
  }

  async function save({ andSubmit }) {
    error.textContent = "";
    const body = collect();
    if (!Object.keys(body).length) {
      error.textContent = "Answer at least one question first.";
      return;
    }
    if (andSubmit) {
      const sure = await confirmDialog({
        title: "Send your answers?",
        text: `They are final once sent. ${them} sees them only when they have answered too, and you see theirs at the same moment.`,
        confirm: "Send my answers",
      });
      if (!sure) return;
    }
    try {
      const saved = await write({ method: "PUT", path: `/api/reviews/${review.id}/answers/mine`, body, label: "Review answers", kind: "review", dynamic_id: review.dynamic_id });
      let queued = saved.queued;
      if (andSubmit) {
        const sent = await write({ path: `/api/reviews/${review.id}/submit`, body: {}, label: "Review sent", kind: "review", dynamic_id: review.dynamic_id });
        queued = queued || sent.queued;
      }
      error.textContent = queued ? "You are offline: your answers are saved on this phone and go out when you are back online." : andSubmit ? "" : "Saved. Only you can see them.";
      onDone();
    } catch (failure) {
      error.textContent = explain(failure, them);
    }
  }

  const form = h(
    "form",
    { class: "stack review-form", id: "review-form" },
    h("p", { class: "muted" }, `Only you see these answers until ${them} has answered too. Then you both see both, side by side.`),
    h(
      "fieldset",
      {},
      h("legend", {}, "The two of you"),
      field("Considering what each of you puts in and gets out, who is getting the better deal?", deal),
      field(`“${HEARD_QUESTION}”`, heard),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "What you gave and received"),
      h(
        "div",
        { class: "review-areas" },
        h("span", {}),
        h("span", { class: "muted" }, "I gave"),
        h("span", { class: "muted" }, "I received"),
        areas.flatMap(([key, label, gave, received]) => [h("span", { id: `r-${key}-label` }, label), labelled(gave, `${label}: I gave`), labelled(received, `${label}: I received`)]),
      ),
    ),
    votes.length
      ? h(
          "fieldset",
          {},
          h("legend", {}, "Your protocols"),
          votes.map(([p, vote, comment]) =>
            h("div", { class: "review-vote" }, h("label", { for: vote.id }, p.in_force ? p.in_force.title : p.title), vote, comment),
          ),
        )
      : null,
    field("What went well?", wentWell),
    field("What I wish for", wish),
    error,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "secondary", id: "r-save", onclick: () => save({ andSubmit: false }) }, "Save for now"),
      h("button", { type: "submit", id: "r-submit" }, "Send my answers"),
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save({ andSubmit: true });
  });
  return form;
}

function labelled(control, label) {
  control.setAttribute("aria-label", label);
  return control;
}
