// My private answers: saved as often as I like, then submitted once. Nothing here reaches the
// partner before both of us submitted (the server keeps it sealed).
import { alertBox, confirmDialog, h } from "../../dom.js";
import { write } from "../../outbox.js";
import { openProtocols } from "../../protocol-words.js";
import { entities } from "../../store.js";
import { LOCKED_WRITE, WordsLocked } from "../../words.js";
import { myWords, sealAnswers } from "./sealed.js";
import { AREAS, dealLabels, explain, HEARD, HEARD_QUESTION, SCALE, VOTES } from "./words.js";

function select(id, options, value, blank = "No answer") {
  return h(
    "select",
    { id },
    h("option", { value: "" }, blank),
    options.map(([v, label]) =>
      h("option", { value: String(v), selected: value !== null && value !== undefined && String(value) === String(v) }, label),
    ),
  );
}

function number(control) {
  return control.value === "" ? null : Number(control.value);
}

function field(label, control, hint) {
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hint ? h("p", { class: "muted" }, hint) : null);
}

// The form's controls, filled with what I saved before.
async function controls(review, them) {
  const mine = review.mine || {};
  const areas = AREAS.map(([key, label]) => {
    const given = mine.areas?.[key] || {};
    return [key, label, select(`r-${key}-gave`, SCALE, given.gave, "—"), select(`r-${key}-received`, SCALE, given.received, "—")];
  });
  const inForce = (await openProtocols(await entities("protocol", review.dynamic_id))).filter(
    (p) => p.status === "active" || p.status === "suspended",
  );
  // Earlier words this phone cannot open (locked): a save would replace them, so it waits.
  const unopened = [];
  const opened = (text) => {
    if (text === null) unopened.push(true);
    return text || "";
  };
  const votes = [];
  for (const p of inForce) {
    const earlier = (mine.protocols || []).find((v) => v.protocol_id === p.id) || {};
    const comment = h("input", {
      type: "text",
      id: `r-comment-${p.id}`,
      maxlength: 500,
      value: opened(await myWords(review, "comment", p.id)),
      "aria-label": "Why (optional)",
    });
    votes.push([p, select(`r-vote-${p.id}`, VOTES, earlier.vote), comment]);
  }
  const wentWell = h("textarea", { id: "r-went-well", rows: 3, maxlength: 1000 });
  wentWell.value = opened(await myWords(review, "went_well"));
  const wish = h("textarea", { id: "r-wish", rows: 3, maxlength: 1000 });
  wish.value = opened(await myWords(review, "wish"));
  const deal = select("r-deal", dealLabels(them), mine.deal);
  return { deal, heard: select("r-heard", HEARD, mine.heard), areas, votes, wentWell, wish, locked: unopened.length > 0 };
}

// The answers to send: only the questions answered.
function collect({ deal, heard, areas, votes, wentWell, wish }) {
  const body = {};
  if (number(deal) !== null) body.deal = number(deal);
  if (number(heard) !== null) body.heard = number(heard);
  const given = {};
  for (const [key, , gave, received] of areas) {
    if (number(gave) !== null || number(received) !== null) given[key] = { gave: number(gave), received: number(received) };
  }
  if (Object.keys(given).length) body.areas = given;
  const chosen = votes
    .filter(([, vote]) => vote.value)
    .map(([p, vote, comment]) => ({ protocol_id: p.id, vote: vote.value, comment: comment.value.trim() || null }));
  if (chosen.length) body.protocols = chosen;
  if (wentWell.value.trim()) body.went_well = wentWell.value.trim();
  if (wish.value.trim()) body.wish = wish.value.trim();
  return body;
}

// Saves the answers (and sends them, when `andSubmit`) through the outbox; true when either
// waits on this phone for the connection.
async function send(review, body, andSubmit) {
  const where = { kind: "review", dynamic_id: review.dynamic_id };
  const sealed = await sealAnswers(review, body);
  const saved = await write({
    method: "PUT",
    path: `/api/reviews/${review.id}/answers/mine`,
    body: sealed,
    label: "Review answers",
    ...where,
  });
  if (!andSubmit) return saved.queued;
  const sent = await write({ path: `/api/reviews/${review.id}/submit`, body: {}, label: "Review sent", ...where });
  return saved.queued || sent.queued;
}

function layout(c, them, error, onSave) {
  return h(
    "form",
    { class: "stack review-form", id: "review-form" },
    h("p", { class: "muted" }, `Only you see these answers until ${them} has answered too. Then you both see both, side by side.`),
    h(
      "fieldset",
      {},
      h("legend", {}, "The two of you"),
      field("Considering what each of you puts in and gets out, who is getting the better deal?", c.deal),
      field(`“${HEARD_QUESTION}”`, c.heard),
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
        c.areas.flatMap(([key, label, gave, received]) => [
          h("span", { id: `r-${key}-label` }, label),
          labelled(gave, `${label}: I gave`),
          labelled(received, `${label}: I received`),
        ]),
      ),
    ),
    c.votes.length
      ? h(
          "fieldset",
          {},
          h("legend", {}, "Your protocols"),
          c.votes.map(([p, vote, comment]) =>
            h("div", { class: "review-vote" }, h("label", { for: vote.id }, p.in_force ? p.in_force.title : p.title), vote, comment),
          ),
        )
      : null,
    field("What went well?", c.wentWell),
    field("What I wish for", c.wish),
    error,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "button", class: "secondary", id: "r-save", onclick: () => onSave(false) }, "Save for now"),
      h("button", { type: "submit", id: "r-submit" }, "Send my answers"),
    ),
  );
}

export async function answerForm(review, them, onDone) {
  const error = alertBox();
  const c = await controls(review, them);

  async function save(andSubmit) {
    error.textContent = "";
    if (c.locked) {
      error.textContent =
        "Your earlier answers are private, and locked on this phone: open your private words in More → Private words to change them here.";
      return;
    }
    const body = collect(c);
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
      const queued = await send(review, body, andSubmit);
      if (queued) error.textContent = "You are offline: your answers are saved on this phone and go out when you are back online.";
      else if (!andSubmit) error.textContent = "Saved. Only you can see them.";
      onDone();
    } catch (failure) {
      error.textContent = failure instanceof WordsLocked ? LOCKED_WRITE : explain(failure, them);
    }
  }

  const form = layout(c, them, error, save);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    save(true);
  });
  return form;
}

function labelled(control, label) {
  control.setAttribute("aria-label", label);
  return control;
}
