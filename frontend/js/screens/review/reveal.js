// After both answered: the answers side by side, the agenda with its actions, and closing.
import { alertBox, confirmDialog, h } from "../../dom.js";
import { write } from "../../outbox.js";
import { suggestProposal } from "../../proposal-draft.js";
import { titleOf } from "../../protocol-words.js";
import { entity } from "../../store.js";
import { LOCKED_WRITE, WordsLocked } from "../../words.js";
import { answerWords, sealSummary } from "./sealed.js";
import { AREAS, dealLabels, explain, HEARD_QUESTION, VOTES } from "./words.js";

function label(list, value) {
  const found = list.find(([v]) => String(v) === String(value));
  return found ? found[1] : "—";
}

// One row: the question, my answer, the partner's.
function row(question, mine, theirs) {
  return h("tr", {}, h("th", { scope: "row" }, question), h("td", {}, mine ?? "—"), h("td", {}, theirs ?? "—"));
}

export function sideBySide(review, them) {
  const a = review.mine || {};
  const b = review.partner || {};
  // The deal is asked from each side: "me" in my answer is me, in theirs it is them.
  const mineDeal = a.deal === null || a.deal === undefined ? null : label(dealLabels(them), a.deal);
  const theirDeal = b.deal === null || b.deal === undefined ? null : label(dealLabels("You"), b.deal).replace(/^Me\b/, them);
  const rows = [
    row("Who gets the better deal", mineDeal, theirDeal),
    row(`“${HEARD_QUESTION}”`, a.heard ? `${a.heard} of 5` : null, b.heard ? `${b.heard} of 5` : null),
  ];
  for (const [key, name] of AREAS) {
    const x = a.areas?.[key];
    const y = b.areas?.[key];
    const text = (v) => (v ? `gave ${v.gave ?? "—"}, received ${v.received ?? "—"}` : null);
    if (x || y) rows.push(row(name, text(x), text(y)));
  }
  const titles = new Map();
  for (const v of [...(a.protocols || []), ...(b.protocols || [])]) titles.set(v.protocol_id, v);
  for (const [pid, voted] of titles) {
    const vote = (answers) => {
      const v = (answers.protocols || []).find((p) => p.protocol_id === pid);
      return v ? [label(VOTES, v.vote), ...(v.comment ? [" — “", answerWords(review, answers, "comment", pid), "”"] : [])] : null;
    };
    rows.push(row(titleOf(voted, review.dynamic_id), vote(a), vote(b)));
  }
  const words = (answers, field) => answerWords(review, answers, field);
  rows.push(
    row("What went well", words(a, "went_well"), words(b, "went_well")),
    row("What I wish for", words(a, "wish"), words(b, "wish")),
  );
  return h(
    "section",
    { class: "card", "aria-labelledby": "answers-title" },
    h("h2", { id: "answers-title" }, "Your answers, side by side"),
    h(
      "div",
      { class: "review-table-wrap" },
      h(
        "table",
        { class: "review-table", id: "side-by-side" },
        h("thead", {}, h("tr", {}, h("th", {}, ""), h("th", { scope: "col" }, "You"), h("th", { scope: "col" }, them))),
        h("tbody", {}, rows),
      ),
    ),
  );
}

// An action of the agenda: a link for what opens a screen, a button (with a confirmation) for
// what acts at once.
function actionControl(action, index, review, them, message, done) {
  const id = `agenda-${index}-${action.type}`;
  const pid = action.protocol_id && encodeURIComponent(action.protocol_id);
  if (action.type === "renegotiate") return h("a", { href: `#/propose/${pid}`, class: "button", id }, "Renegotiate");
  if (action.type === "open") {
    const words = { checkins: "See the needs", limits: "See limits and desires", balance: "See the balance" };
    return h("a", { href: `#/${action.screen}`, class: "button secondary", id }, words[action.screen] || "Open");
  }
  if (action.type === "propose") {
    const go = () => {
      suggestProposal(action.prefill);
      location.hash = "#/propose";
    };
    return h("button", { type: "button", class: "secondary", id, onclick: go }, "Propose something");
  }
  const act = async () => {
    const withdraw = action.type === "withdraw";
    const ok = await confirmDialog({
      title: withdraw ? "Pause this protocol?" : "Retire this protocol?",
      text: withdraw
        ? `Withdrawing your consent pauses it at once. It starts again only when you and ${them} both agree again.`
        : `Retiring ends it for good. You can always propose it again later.`,
      confirm: withdraw ? "Pause it" : "Retire it",
    });
    if (!ok) return;
    try {
      await write({
        path: `/api/protocols/${pid}/${action.type}`,
        body: {},
        label: withdraw ? "Pause a protocol" : "Retire a protocol",
        kind: "protocol",
        dynamic_id: review.dynamic_id,
      });
      message.textContent = withdraw ? "Paused." : "Retired.";
      done();
    } catch (failure) {
      message.textContent = explain(failure, them);
    }
  };
  return h("button", { type: "button", class: "secondary", id, onclick: act }, action.type === "withdraw" ? "Pause it" : "Retire it");
}

// The agenda names a protocol whose title the server cannot read "One of your protocols"
// (app/reviews/rules.py): here, where the title opens, the sentence names it, from a vote on it
// or the protocol as this phone keeps it.
const SEALED_PROTOCOL = "One of your protocols";

function agendaText(item, review) {
  const text = h("p", {}, item.text);
  if (!item.protocol_id || !item.text.startsWith(SEALED_PROTOCOL)) return text;
  const rest = item.text.slice(SEALED_PROTOCOL.length);
  const votes = [review.mine, review.partner].flatMap((answers) => answers?.protocols || []);
  const vote = votes.find((v) => v.protocol_id === item.protocol_id && v.title && v.version_id);
  const named = vote ? Promise.resolve(vote) : entity("protocol", item.protocol_id);
  named
    .then((protocol) => {
      if (protocol?.title && protocol.version_id) text.replaceChildren(titleOf(protocol, review.dynamic_id), rest);
    })
    // Not kept on this phone (yet): the sentence stays as the server wrote it, still true.
    .catch(() => {});
  return text;
}

export function agenda(review, them, done) {
  const message = alertBox();
  const items = review.agenda || [];
  return h(
    "section",
    { class: "card", "aria-labelledby": "agenda-title" },
    h("h2", { id: "agenda-title" }, "What to talk about"),
    items.length
      ? h(
          "ol",
          { class: "review-agenda", id: "agenda" },
          items.map((item, index) =>
            h(
              "li",
              { class: `agenda-${item.kind}` },
              agendaText(item, review),
              h(
                "div",
                { class: "actions" },
                item.actions.map((action) => actionControl(action, index, review, them, message, done)),
              ),
            ),
          ),
        )
      : h("p", { class: "muted" }, "Nothing in your data asks for attention. Talk about what went well, and what you wish for."),
    message,
  );
}

export function closeForm(review, them, done) {
  const error = alertBox();
  const summary = h("textarea", { id: "r-summary", rows: 3, maxlength: 1000 });
  const form = h(
    "form",
    { class: "card stack", id: "close-form" },
    h("h2", {}, "Close the review"),
    h("label", { for: "r-summary" }, "What did you decide together? (a few words, for both of you)"),
    summary,
    error,
    h("button", { type: "submit", id: "r-close" }, "Close the review"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const answer = await write({
        path: `/api/reviews/${review.id}/close`,
        body: { summary: await sealSummary(review, summary.value.trim()) },
        label: "Close the review",
        kind: "review",
        dynamic_id: review.dynamic_id,
      });
      if (answer.queued) error.textContent = "You are offline: this is saved on this phone and will be sent when you are back online.";
      done();
    } catch (failure) {
      error.textContent = failure instanceof WordsLocked ? LOCKED_WRITE : explain(failure, them);
    }
  });
  return form;
}
