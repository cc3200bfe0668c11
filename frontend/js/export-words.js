// The account export with its private words opened on this phone (docs/e2ee.md). The server's
// export (GET /api/me/export) carries envelopes, as it stores them; this walks it and opens
// each with the dynamic's pair key held here, for the record and field its associated data
// names. Pure but for `open`: `node --test` imports it.
//
// Where an envelope was sealed is told by what holds it and where that sits in the export: a
// check-in, an answer or a completion by its own id (the list it is in names the entity); a
// protocol's words by the version they belong to (`version_id`), its reasons by their event; a
// member's notes by the member; a review's answers by the review and their author, a vote's
// comment as `protocols.<protocol id>.comment`, the summary by the review. A field encrypted
// later joins here with one line.
const IN_LIST = {
  checkins: "checkin",
  responses: "checkin_response",
  responses_given: "checkin_response",
  completions: "completion",
};

function isEnvelope(value) {
  return Boolean(value) && typeof value === "object" && value.v === 1 && typeof value.c === "string";
}

const nearest = (trail, test) => [...trail].reverse().find(test);

// [entity, record id, field] of an envelope in `holder`'s `field`; `trail` lists the objects
// from the export down to `holder`, each with the key it sits under (a list's name for its items).
export function sealedFor(holder, field, trail) {
  const at = trail.at(-1)?.name;
  const review = nearest(trail, (t) => t.name === "reviews")?.value;
  const answers = nearest(trail, (t) => t.name === "mine" || t.name === "partner")?.value;
  if (IN_LIST[at]) return [IN_LIST[at], holder.id, field];
  if (holder.version_id && (field === "title" || field === "description")) return ["protocol_version", holder.version_id, field];
  if (at === "events") return ["protocol_event", holder.id, field];
  if (at === "members") return ["member", holder.user_id, field];
  if (review && answers && at === "protocols")
    return ["review_answer", `${review.id}.${answers.user_id}`, `protocols.${holder.protocol_id}.${field}`];
  if (review && (at === "mine" || at === "partner")) return ["review_answer", `${review.id}.${holder.user_id}`, field];
  if (review && at === "outcome") return ["review", review.id, field];
  // Limits: a custom item's words are bound to its blind index, a condition to its answer.
  if ((at === "limits" || at === "limit_reveals") && field === "label") return ["limit_item", `${holder.dynamic_id}.${holder.item}`, field];
  if (at === "limits" && field === "condition") {
    const me = trail[0]?.value?.user?.id;
    return me ? ["limit_answer", `${me}.${holder.item}.${holder.role || "both"}`, field] : null;
  }
  return null;
}

// The dynamic an object belongs to: its own or an enclosing `dynamic_id`, or the dynamic it is part of.
function dynamicOf(trail) {
  const found = nearest(trail, (t) => t.value?.dynamic_id || t.name === "dynamics");
  return found ? found.value.dynamic_id || found.value.id : null;
}

// `open(dynamicId, envelope, entity, id, field)` resolves the words, or null where this phone
// cannot open them. Resolves a copy of `data` with every envelope it could open replaced by its
// words, and how many stayed sealed.
export async function openExport(data, open) {
  let sealed = 0;
  async function walk(value, trail, holder, field) {
    if (isEnvelope(value)) {
      const where = holder ? sealedFor(holder, field, trail) : null;
      const dynamicId = dynamicOf(trail);
      const text = where && dynamicId ? await open(dynamicId, value, ...where) : null;
      if (text === null || text === undefined) sealed += 1;
      return text ?? value;
    }
    // A list of words (a check-in's needs) is its holder's field; a list of records, each a record.
    if (Array.isArray(value)) return Promise.all(value.map((item) => walk(item, trail, holder, field)));
    if (!value || typeof value !== "object") return value;
    const here = [...trail, { name: field, value }];
    const out = {};
    for (const [name, item] of Object.entries(value)) out[name] = await walk(item, here, value, name);
    return out;
  }
  return { data: await walk(data, [], null, null), sealed };
}
