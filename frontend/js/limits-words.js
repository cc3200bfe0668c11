// The words of the limits screen in a dynamic whose words are private (docs/e2ee.md, "Limits"):
// a custom item is stored as its blind index ("b:…", the same on both phones) with its words
// sealed beside it (`label`), and a maybe's condition as an envelope. The screens work with the
// words: `openLimits` turns the server's view into the view they know (items named by their
// words, conditions opened), and `sealedAnswers` turns the answers back into what the server
// takes, with `rekey` for the custom items still in clear from before the pair key. Loaded on
// first use (app/core/frontend.py ON_DEMAND): only private limits need it, and libsodium.
import * as crypto from "./crypto.js";
import { isPrivate, pairKeyOf } from "./keyring.js";
import { holdsSealed, isBlind, itemKey } from "./screens/limits/words.js";
import { isEnvelope } from "./words.js";

// A custom limit item's blind index: BLAKE2b (crypto_generichash) of its one name (`itemKey`),
// keyed by the pair key's limits subkey (crypto_kdf, id 1, context "accordli"), so that both
// phones make the same one and the server matches items without reading them. (Here rather than
// in crypto.js, which the app loads with its first screen: only private limits need it.)
export async function limitIndex(pairKey, name) {
  await crypto.ready();
  const sodium = (await import("../vendor/libsodium/libsodium-wrappers.mjs")).default;
  const subkey = sodium.crypto_kdf_derive_from_key(32, 1, "accordli", pairKey);
  return `b:${crypto.b64(sodium.crypto_generichash(32, sodium.from_string(name), subkey))}`;
}

// The dynamic's pair key, if it is open on this phone (asked for once if it may have come since).
async function pairKeyHere(dynamicId) {
  return pairKeyOf(dynamicId) || ((await isPrivate(dynamicId)) && pairKeyOf(dynamicId));
}

const labelAd = (dynamicId, index) => ["limit_item", `${dynamicId}.${index}`, "label"];
const conditionAd = (userId, item, role) => ["limit_answer", `${userId}.${item}.${role || "both"}`, "condition"];

// The view as the screens read it. Where it holds sealed words this phone cannot open now, it
// is the view as it is with `locked: true` (custom items keep their index, which the screen
// names as locked; conditions show as none). The opened view remembers what it was opened from
// (`sealed`), so that unchanged words go back as the same envelopes (a new one would count as a
// change for the partner).
export async function openLimits(dynamicId, view, me, partnerId) {
  if (!holdsSealed(view)) return view;
  const key = await pairKeyHere(dynamicId);
  if (!key) {
    const unsealed = (e) => ({ ...e, condition: isEnvelope(e.condition) ? null : e.condition });
    return { ...view, mine: view.mine.map(unsealed), partner: view.partner.map(unsealed), locked: true };
  }
  const names = new Map(); // index -> the item's one name
  const labels = new Map(); // index -> an envelope of its words
  // An item whose words do not open here keeps its index (the screen names it as locked): a
  // partner's hard limit must not vanish, and one's own answer must not be lost by a save.
  let unopened = false;
  const name = async (item, label) => {
    if (!isBlind(item)) return item;
    if (!names.has(item) && isEnvelope(label)) {
      try {
        const words = itemKey(await crypto.decryptField(key, label, ...labelAd(dynamicId, item)));
        // Words that do not make this index are not its words, whoever sealed them.
        if ((await limitIndex(key, words)) === item) {
          names.set(item, words);
          labels.set(item, label);
        }
      } catch {
        // Moved from another item, or sealed under another key: never shown as this one.
      }
    }
    return names.get(item) || item;
  };
  const conditions = new Map(); // "<item>|<role>" of my answers -> [words, envelope]
  const answer = async (entry, ownerId) => {
    const item = await name(entry.item, entry.label);
    let condition = entry.condition;
    if (isEnvelope(condition)) {
      try {
        condition = await crypto.decryptField(key, condition, ...conditionAd(ownerId, entry.item, entry.role));
        if (ownerId === me) conditions.set(`${item}|${entry.role || ""}`, [condition, entry.condition]);
      } catch {
        condition = null;
        if (ownerId === me) unopened = true;
      }
    }
    if (ownerId === me && isBlind(item)) unopened = true;
    return { ...entry, item, condition, label: undefined };
  };
  const all = (list, ownerId) => Promise.all(list.map((e) => answer(e, ownerId)));
  const named = (list) => Promise.all(list.map(async (e) => ({ ...e, item: await name(e.item, e.label) })));
  const opened = {
    ...view,
    mine: await all(view.mine, me),
    partner: await all(view.partner, partnerId),
    partner_hard_limits: await named(view.partner_hard_limits),
    revealed: await named(view.revealed),
    matches: await Promise.all(view.matches.map((i) => name(i))),
    talk: await Promise.all(view.talk.map((i) => name(i))),
  };
  opened.sealed = { labels, conditions };
  // Something of one's own that does not open here: shown, but not saved from this phone.
  if (unopened) opened.unreadable = true;
  return opened;
}

// The body of PUT …/limits/mine for `items` (the screen's answers, custom items named by their
// words): as they are where the dynamic's words are not private; else custom items by their
// blind index with their words sealed, conditions sealed, and `rekey` for every custom item of
// the server's `view` still in clear. Resolves null where they would need the pair key and it is
// locked here.
export async function sealedAnswers(dynamicId, me, items, view, opened) {
  // A view opened only in part (locked, or words of one's own that do not open) is not saved
  // from here: the answers it could not read would be lost.
  if (opened?.unreadable || items.some((e) => isBlind(e.item))) return null;
  const key = await pairKeyHere(dynamicId);
  const catalogue = new Set(view.catalogue.map((c) => c.key));
  if (!key) {
    if (!(await isPrivate(dynamicId))) return { items };
    // Locked here: the checklist's answers alone can go, as long as none of this person's sealed
    // words would be lost (their own items, their conditions) and none needs sealing.
    const sealing = items.some((e) => !catalogue.has(e.item) || e.condition);
    const losing = view.mine.some((e) => isBlind(e.item) || isEnvelope(e.condition));
    return sealing || losing ? null : { items };
  }
  const kept = opened?.sealed || { labels: new Map(), conditions: new Map() };
  const indexOf = async (words) => limitIndex(key, itemKey(words));
  const labelOf = async (index, words) => kept.labels.get(index) || crypto.encryptField(key, words, ...labelAd(dynamicId, index));
  const sealed = [];
  for (const entry of items) {
    const custom = !catalogue.has(entry.item);
    const item = custom ? await indexOf(entry.item) : entry.item;
    const out = { ...entry, item };
    if (custom) out.label = await labelOf(item, entry.item);
    if (entry.condition) {
      const [words, envelope] = kept.conditions.get(`${entry.item}|${entry.role || ""}`) || [];
      out.condition =
        words === entry.condition ? envelope : await crypto.encryptField(key, entry.condition, ...conditionAd(me, item, entry.role));
    }
    sealed.push(out);
  }
  // Custom items in clear, from before the pair key: every one this phone can see.
  const clear = new Set(
    [...view.mine, ...view.partner, ...view.partner_hard_limits, ...view.revealed]
      .map((e) => e.item)
      .filter((item) => !catalogue.has(item) && !isBlind(item)),
  );
  const rekey = [];
  for (const item of clear) {
    const to = await indexOf(item);
    rekey.push({ item, to, label: await labelOf(to, item) });
  }
  return { items: sealed, rekey };
}

// Once the pair key is open here: this person's answers written in clear before it (custom items
// and conditions), and every custom item in clear this phone can see, sealed and renamed (one
// PUT of the same answers; the server counts none of it as a change). Resolves true when it did.
export async function sealOlderLimits(dynamicId, me, partnerId) {
  const { api } = await import("./api.js");
  const { write } = await import("./outbox.js");
  const view = await api("GET", `/api/dynamics/${dynamicId}/limits`);
  const catalogue = new Set(view.catalogue.map((c) => c.key));
  const entries = [...view.mine, ...view.partner, ...view.partner_hard_limits, ...view.revealed];
  const inClear = entries.some((e) => !catalogue.has(e.item) && !isBlind(e.item)) || view.mine.some((e) => typeof e.condition === "string");
  if (!inClear) return false;
  const opened = await openLimits(dynamicId, view, me, partnerId);
  if (!opened || opened.locked) return false;
  const items = opened.mine.map((e) => ({
    item: e.item,
    answer: e.answer,
    role: e.role,
    condition: e.answer === "maybe" ? e.condition : null,
  }));
  const body = await sealedAnswers(dynamicId, me, items, view, opened);
  if (!body) return false;
  const path = `/api/dynamics/${dynamicId}/limits/mine`;
  await write({ method: "PUT", path, body, label: "Limits", kind: "limits", dynamic_id: dynamicId, offline: false });
  return true;
}
