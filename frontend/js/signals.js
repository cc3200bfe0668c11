// Red, yellow and "I see you" notes, private like every word between partners (docs/e2ee.md):
// sealed on this phone for "member:<my id>:<field>" before the write leaves it.
//
// A red is never lost or delayed because of its note. Where this phone cannot seal the note (its
// words are locked), the signal goes at once without it and the note is held here, for the person
// to send once their words are open, or to let go. The same for a signal that waited in the
// outbox in clear while the dynamic's words became private (the server refuses it, 422
// words_not_private, and stores nothing): it is sent again at once, its note sealed now if this
// phone can, else held. The server keeps its one rule; the phone keeps the red moving.
import { session } from "./api.js";
import { discard, items, write } from "./outbox.js";
import { announce, subscribe } from "./store.js";
import { sealFields, WordsLocked } from "./words.js";

export const NOTE_FIELD = { red: "red_note", yellow: "yellow_note", seen: "saw_note" };
const HELD = "accord:held-notes";

function heldAll() {
  try {
    return JSON.parse(localStorage.getItem(HELD) || "[]");
  } catch {
    return []; // unreadable: nothing held
  }
}

function keep(list) {
  localStorage.setItem(HELD, JSON.stringify(list));
  announce({ type: "outbox" }); // home shows held notes beside what waits to be sent
}

// The notes held on this phone for a dynamic: [{id, kind, note, at}], oldest first.
export function heldNotes(dynamicId) {
  return heldAll().filter((held) => held.dynamic_id === dynamicId);
}

function hold(dynamicId, kind, note) {
  keep([...heldAll(), { id: crypto.randomUUID(), dynamic_id: dynamicId, kind, note, at: new Date().toISOString() }]);
}

export function letGo(id) {
  keep(heldAll().filter((held) => held.id !== id));
}

// The body of a signal with `note`: the note sealed where the dynamic's words are private, as
// written where they are not, and left out (and held here) where this phone cannot seal it.
// Resolves {body, held}.
export async function signalBody(dynamicId, kind, note) {
  if (!note) return { body: {}, held: false };
  const field = NOTE_FIELD[kind];
  try {
    const sealed = await sealFields(dynamicId, "member", session().user.id, { [field]: note });
    return { body: { note: sealed[field] }, held: false };
  } catch (error) {
    if (!(error instanceof WordsLocked)) throw error;
    hold(dynamicId, kind, note);
    return { body: {}, held: true };
  }
}

// A held note sent now, sealed: the signal it belongs to is sent again with it (a standing
// red or yellow keeps its time and only takes the note). Throws WordsLocked while still locked.
export async function sendHeld(held) {
  const field = NOTE_FIELD[held.kind];
  const sealed = await sealFields(held.dynamic_id, "member", session().user.id, { [field]: held.note });
  await write({
    path: `/api/dynamics/${held.dynamic_id}/${held.kind}`,
    body: { note: sealed[field] },
    label: "Your note",
    kind: `${held.kind}-note`,
    dynamic_id: held.dynamic_id,
  });
  letGo(held.id);
}

// Signals the server refused for their note in clear go again at once, whoever flushed the
// outbox (this page or the service worker).
let rescuing = null;

async function rescueRefused() {
  const refused = (await items()).filter(
    (item) => item.state === "failed" && item.error?.code === "words_not_private" && NOTE_FIELD[item.kind] && session()?.user,
  );
  for (const item of refused) {
    await discard(item.seq);
    const { body } = await signalBody(item.dynamic_id, item.kind, item.body?.note);
    try {
      await write({ path: item.path, body, label: item.label, kind: item.kind, dynamic_id: item.dynamic_id });
    } catch {
      // Refused again for another reason (the flag was lifted meanwhile, the dynamic ended):
      // nothing is left to send, and a held note stays listed.
    }
  }
}

export function rescue() {
  if (!rescuing) rescuing = rescueRefused().finally(() => (rescuing = null));
  return rescuing;
}

// Loaded with the app (js/app.js): what the service worker left refused goes again at start.
rescue().catch(() => 0);
subscribe((message) => {
  if (message.type === "outbox") rescue().catch(() => 0); // tried again on the next outbox change
});

globalThis.addEventListener?.("accord:signed-out", () => localStorage.removeItem(HELD));
