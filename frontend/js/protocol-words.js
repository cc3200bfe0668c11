// A protocol's words, private between the partners (docs/e2ee.md): each version's title and
// description are sealed for the version's id, made here ("protocol_version:<id>:title"), and a
// reason for its event's ("protocol_event:<id>:reason"). Screens get a protocol, its history or
// a home item with its words already opened, so they show, compare and diff plain text: the
// server no longer can (a diff between versions is made here, from the opened words).
import { h } from "./dom.js";
import { LOCKED, openWords, privacy, sealFields, WordsLocked, wordsOf } from "./words.js";

const WORDS = ["title", "description"];
// How words this phone cannot open read where they stand in for text (a heading, a diff).
export const LOCKED_TEXT = `🔒 ${LOCKED}`;

async function opened(dynamicId, value, entity, id, field) {
  const text = await openWords(dynamicId, value, entity, id, field);
  return text === null ? LOCKED_TEXT : text;
}

// `terms` (a protocol, its terms in force, a version of its history, a home item) with its
// title and description as text; those without a version id are words in clear already.
export async function openTerms(dynamicId, terms) {
  if (!terms?.version_id) return terms;
  const out = { ...terms };
  for (const field of WORDS) {
    if (field in terms) out[field] = await opened(dynamicId, terms[field], "protocol_version", terms.version_id, field);
  }
  return out;
}

// An element with the title of `item` (a home item, a vote: {title, version_id}) in quotes,
// opened where it is sealed; "a protocol" where there is none.
export function titleOf(item, dynamicId) {
  if (!item.title) return h("span", {}, "a protocol");
  const title = wordsOf("span", {}, { dynamicId, value: item.title, entity: "protocol_version", id: item.version_id, field: "title" });
  return h("span", {}, "“", title, "”");
}

// A protocol as the screens show it: its words, and those of the terms in force, opened.
export async function openProtocol(p) {
  if (!p?.dynamic_id) return p;
  const out = await openTerms(p.dynamic_id, p);
  if (p.in_force) out.in_force = await openTerms(p.dynamic_id, p.in_force);
  return out;
}

export function openProtocols(list) {
  return Promise.all(list.map(openProtocol));
}

// A protocol's history with every version's words and every reason opened.
export async function openHistory(dynamicId, history) {
  if (!history) return history;
  const versions = await Promise.all(history.versions.map((v) => openTerms(dynamicId, v)));
  const events = await Promise.all(
    history.events.map(async (e) =>
      e.reason && e.id ? { ...e, reason: await opened(dynamicId, e.reason, "protocol_event", e.id, "reason") } : e,
    ),
  );
  return { ...history, versions, events };
}

// What the proposal form says when it cannot seal its words.
export const LOCKED_TERMS =
  "Your protocols' words are private, and locked on this phone: open them in More → Private words, then propose it again.";

// A proposal's or a renegotiation's body as the server must get it: in a private dynamic, with a
// new version id and the title and description sealed for it. A new version seals its words
// again even where they did not change (the old envelopes name the old version): `terms` is the
// whole of what the form holds. Throws WordsLocked where they cannot be sealed.
export async function sealTerms(dynamicId, body, terms) {
  if ((await privacy(dynamicId)) === "clear") return body;
  const versionId = globalThis.crypto.randomUUID();
  const words = { title: terms.title, description: terms.description || "" };
  // Words this phone could not open are never sealed again as if they were the words.
  if (Object.values(words).includes(LOCKED_TEXT)) throw new WordsLocked();
  return { ...body, version_id: versionId, ...(await sealFields(dynamicId, "protocol_version", versionId, words)) };
}

// The optional reason typed next to an answer, as the API takes it: sealed for the event it
// will be, in a private dynamic.
export async function reasonBody(dynamicId, input) {
  const reason = input.value.trim();
  if (!reason) return {};
  const id = globalThis.crypto.randomUUID();
  return { id, ...(await sealFields(dynamicId, "protocol_event", id, { reason })) };
}
