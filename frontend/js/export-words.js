// The account export with its private words opened on this phone (docs/e2ee.md). The server's
// export (GET /api/me/export) carries envelopes, as it stores them; this walks it and opens
// each with the dynamic's pair key held here. Pure but for `open`: `node --test` imports it.
//
// A record in the export is an object with `id` and `dynamic_id`, in a list named after what
// it is; the list's name says which entity its envelopes were sealed for. Fields that other
// parts encrypt later join here with one line.
export const ENTITY_OF_LIST = {
  checkins: "checkin",
  responses: "checkin_response",
  responses_given: "checkin_response",
  completions: "completion",
};

function isEnvelope(value) {
  return Boolean(value) && typeof value === "object" && value.v === 1 && typeof value.c === "string";
}

// `open(dynamicId, envelope, entity, id, field)` resolves the words, or null where this phone
// cannot open them. Resolves a copy of `data` with every envelope it could open replaced by its
// words, and how many stayed sealed.
export async function openExport(data, open) {
  let sealed = 0;
  async function word(value, record, entity, field) {
    if (!isEnvelope(value)) return walk(value, null);
    const text = entity && record.dynamic_id ? await open(record.dynamic_id, value, entity, record.id, field) : null;
    if (text === null || text === undefined) sealed += 1;
    return text ?? value;
  }
  async function walk(value, entity) {
    if (Array.isArray(value)) return Promise.all(value.map((item) => walk(item, entity)));
    if (!value || typeof value !== "object") return value;
    const record = value.id && value.dynamic_id ? value : null;
    const out = {};
    for (const [name, field] of Object.entries(value)) {
      if (ENTITY_OF_LIST[name]) out[name] = await walk(field, ENTITY_OF_LIST[name]);
      else if (record && Array.isArray(field) && field.some(isEnvelope)) {
        out[name] = await Promise.all(field.map((item) => word(item, record, entity, name)));
      } else if (record) out[name] = await word(field, record, entity, name);
      else out[name] = await walk(field, null);
    }
    return out;
  }
  return { data: await walk(data, null), sealed };
}
