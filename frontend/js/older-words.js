// The one-time encryption of words written before a dynamic had its pair key (docs/e2ee.md):
// the phone that makes or opens the pair key asks the server for the words still in clear, a
// page at a time, seals each here for its record and field, and sends the envelopes back. The
// server puts them in place of the words, and only there; sending a page again changes nothing,
// so a run cut short (offline, the app closed) simply goes on the next time a key is opened.
import { api } from "./api.js";
import * as crypto from "./crypto.js";

const running = new Map();
// The dynamics whose words were all sealed since this page was loaded.
const done = new Set();
const MAX_PAGES = 100;

async function sealPage(key, items) {
  const out = [];
  for (const { entity, id, field, index, text } of items) {
    out.push({ entity, id, field, index, envelope: await crypto.encryptField(key, text, entity, id, field) });
  }
  return out;
}

async function run(dynamicId, key) {
  const path = `/api/dynamics/${dynamicId}/clear-words`;
  let sealed = 0;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const { items, more } = await api("GET", path);
    if (!items.length) break;
    const answer = await api("POST", path, { items: await sealPage(key, items) });
    sealed += answer.sealed;
    if (!answer.sealed) return sealed;
    if (!more) break;
  }
  done.add(dynamicId);
  return sealed;
}

// Seal what is left in clear in a dynamic, with its pair key open here. Resolves how many words
// were sealed now. One run per dynamic at a time.
export function sealOlderWords(dynamicId, key, who = null) {
  if (who && !limitsDone.has(dynamicId)) {
    // The limits' words of before: custom items renamed by their blind index, conditions sealed
    // (js/limits-words.js; once per page, and again by any save of the limits screen).
    limitsDone.add(dynamicId);
    import("./limits-words.js")
      .then(({ sealOlderLimits }) => sealOlderLimits(dynamicId, who.me, who.partnerId))
      .catch(() => limitsDone.delete(dynamicId)); // offline or refused: the next opening tries again
  }
  if (done.has(dynamicId)) return Promise.resolve(0);
  if (!running.has(dynamicId)) {
    running.set(
      dynamicId,
      run(dynamicId, key).finally(() => running.delete(dynamicId)),
    );
  }
  return running.get(dynamicId);
}

const limitsDone = new Set();
