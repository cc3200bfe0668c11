// What partners write to each other, private between them (docs/e2ee.md): words are sealed here,
// on the phone, before a write enters the outbox (so a write waiting offline holds envelopes,
// never the words), and opened here when shown. An envelope is {"v": 1, "n", "c"}, bound to its
// record and field ("checkin:<id>:note"), so one moved elsewhere does not open.
//
// Where this phone cannot open a dynamic's words (not unlocked since the app was loaded), they
// are not shown as gibberish: the screen says they are locked here, and where to open them.
import * as crypto from "./crypto.js";
import { h } from "./dom.js";
import { isPrivate, pairKeyOf, unlocked } from "./keyring.js";

export const LOCKED = "Locked on this phone";
export const LOCKED_HINT = "Open your private words in More to read and write them here.";

// What a form says when it cannot seal its note (the rest of the write can go without it).
export const LOCKED_WRITE =
  "Your notes are private, and locked on this phone: open them in More → Private words, or send this without a note.";

// A dynamic with private words whose pair key is not open on this phone.
export class WordsLocked extends Error {
  constructor() {
    super("words locked on this phone");
    this.name = "WordsLocked";
  }
}

export function isEnvelope(value) {
  return Boolean(value) && typeof value === "object" && value.v === 1 && typeof value.c === "string";
}

// The privacy of a dynamic's words, for a form to say: "private" (sealed here), "locked" (private,
// but this phone cannot seal them now), or "clear" (no pair key yet: stored as written).
export async function privacy(dynamicId) {
  if (pairKeyOf(dynamicId)) return "private";
  return (await isPrivate(dynamicId)) ? (pairKeyOf(dynamicId) ? "private" : "locked") : "clear";
}

// `fields` ({note: "…", needs: ["praise", "a slow Sunday"]}) as the server must get them for
// the record `entity` `id`: sealed where the dynamic is private. `keep(name, value)` says which
// list items stay in clear (the fixed need chips). Throws WordsLocked where they cannot be sealed.
export async function sealFields(dynamicId, entity, id, fields, keep = () => false) {
  const mode = await privacy(dynamicId);
  const words = Object.entries(fields).filter(([, v]) => (Array.isArray(v) ? v.some((x) => !keep(x)) : Boolean(v)));
  if (mode === "clear" || !words.length) return fields;
  if (mode === "locked") throw new WordsLocked();
  const key = pairKeyOf(dynamicId);
  const seal = (name, text) => (keep(text) ? text : crypto.encryptField(key, text, entity, id, name));
  const out = {};
  for (const [name, value] of Object.entries(fields)) {
    if (Array.isArray(value)) out[name] = await Promise.all(value.map((item) => seal(name, item)));
    else out[name] = value ? await seal(name, value) : value;
  }
  return out;
}

// The words of a field as text: as they are, opened, or null where this phone cannot open them.
export async function openWords(dynamicId, value, entity, id, field) {
  if (!isEnvelope(value)) return value;
  // Unlocked, but this pair key not opened yet (made by the partner since): ask once.
  if (!pairKeyOf(dynamicId) && unlocked()) await isPrivate(dynamicId);
  const key = pairKeyOf(dynamicId);
  if (!key) return null;
  try {
    return await crypto.decryptField(key, value, entity, id, field);
  } catch {
    return null; // moved from another record, or sealed under another key: never shown
  }
}

// An element showing a field's words: at once when they are in clear, else once opened, or
// plainly "locked" where this phone cannot open them.
// Words in clear in a dynamic whose words are private now were written before: said so, softly.
export const WRITTEN_BEFORE = "written before your words were private";

// Whether `value` is words in clear in a dynamic whose words are private now. (`quiet` above
// leaves the saying to the caller: a list of chips says it once, under the list.)
export function writtenBefore(dynamicId, value) {
  return Boolean(value) && !isEnvelope(value) && Boolean(pairKeyOf(dynamicId));
}

export function wordsOf(tag, attrs, { dynamicId, value, entity, id, field, prefix = "", quiet = false }) {
  if (!isEnvelope(value)) {
    const before =
      !quiet && writtenBefore(dynamicId, value) ? h("span", { class: "muted small clear-words" }, ` (${WRITTEN_BEFORE})`) : null;
    return h(tag, attrs, prefix, value, before);
  }
  const el = h(tag, { ...attrs, "data-sealed": "" }, prefix, "…");
  openWords(dynamicId, value, entity, id, field).then((text) => {
    if (text === null) el.replaceChildren(prefix, h("span", { class: "locked-words muted", title: LOCKED_HINT }, `🔒 ${LOCKED}`));
    else el.replaceChildren(prefix, text);
  });
  return el;
}
