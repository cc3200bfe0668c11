// The service worker holds no key (docs/e2ee.md, "Push titles"): when a push names a protocol's
// title sealed on a phone, it asks the app's open windows to open it. This page answers with the
// words where its memory holds the pair key, else with nothing (the push keeps its plain words).
// Only a protocol's title is opened this way: that is all a push may name.
import { isEnvelope, openWords } from "./words.js";

async function answer(event) {
  if (event.data?.type !== "open-words" || !event.ports[0]) return;
  const { dynamic_id: dynamicId, entity, id, field, envelope } = event.data.sealed || {};
  const named =
    entity === "protocol_version" && field === "title" && typeof dynamicId === "string" && typeof id === "string" && isEnvelope(envelope);
  let text = null;
  try {
    text = named ? await openWords(dynamicId, envelope, entity, id, field) : null;
  } catch {
    text = null; // not opened: the push keeps its plain words
  }
  event.ports[0].postMessage({ text: typeof text === "string" ? text : null });
}

export function answerTheWorker() {
  const worker = globalThis.navigator?.serviceWorker;
  if (!worker) return;
  worker.addEventListener("message", answer);
  worker.startMessages();
}
