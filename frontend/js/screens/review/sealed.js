// A review's words, private like every word between partners (docs/e2ee.md): each member's
// answers are sealed for "review_answer:<review id>.<author's id>:<field>" (a vote's comment for
// the field "protocols.<protocol id>.comment"), the shared summary for "review:<id>:summary".
import { session } from "../../api.js";
import { h } from "../../dom.js";
import { openWords, sealFields, wordsOf } from "../../words.js";

const commentField = (protocolId) => `protocols.${protocolId}.comment`;
const answerRecord = (review, userId) => `${review.id}.${userId}`;

// The answers to send, their words sealed where the dynamic is private (throws WordsLocked
// where this phone cannot seal them).
export async function sealAnswers(review, body) {
  const fields = {};
  for (const name of ["went_well", "wish"]) if (body[name]) fields[name] = body[name];
  for (const vote of body.protocols || []) if (vote.comment) fields[commentField(vote.protocol_id)] = vote.comment;
  const sealed = await sealFields(review.dynamic_id, "review_answer", answerRecord(review, session().user.id), fields);
  const out = { ...body };
  for (const name of ["went_well", "wish"]) if (body[name]) out[name] = sealed[name];
  if (body.protocols) out.protocols = body.protocols.map((v) => (v.comment ? { ...v, comment: sealed[commentField(v.protocol_id)] } : v));
  return out;
}

// My earlier words as text for the form: "" for none, null where this phone cannot open them.
export async function myWords(review, field, protocolId = null) {
  const mine = review.mine || {};
  const value = protocolId ? (mine.protocols || []).find((v) => v.protocol_id === protocolId)?.comment : mine[field];
  if (!value) return "";
  const name = protocolId ? commentField(protocolId) : field;
  return openWords(review.dynamic_id, value, "review_answer", answerRecord(review, session().user.id), name);
}

// An answer's words where shown: opened here, or said to be locked.
export function answerWords(review, answers, field, protocolId = null) {
  const value = protocolId ? (answers.protocols || []).find((v) => v.protocol_id === protocolId)?.comment : answers[field];
  if (!value) return null;
  const name = protocolId ? commentField(protocolId) : field;
  return wordsOf(
    "span",
    {},
    { dynamicId: review.dynamic_id, value, entity: "review_answer", id: answerRecord(review, answers.user_id), field: name },
  );
}

export async function sealSummary(review, text) {
  if (!text) return null;
  return (await sealFields(review.dynamic_id, "review", review.id, { summary: text })).summary;
}

// The summary where shown, in `tag` with `attrs`, around `quote` marks if given.
export function summaryWords(review, tag, attrs, quote = false) {
  const words = wordsOf(
    "span",
    {},
    { dynamicId: review.dynamic_id, value: review.outcome.summary, entity: "review", id: review.id, field: "summary" },
  );
  return h(tag, attrs, quote ? ["“", words, "”"] : words);
}
