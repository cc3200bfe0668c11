// How the protocol screen acts: one action at a time, its refusal or its outcome shown at the
// top, and the latest state drawn either way.
import { OfflineError } from "../../api.js";
import { protocolRefusal } from "../../errors.js";
import { write } from "../../outbox.js";
import { partnerOf } from "../../protocol-terms.js";
import { entity, trySync } from "../../store.js";
import { LOCKED_WRITE, WordsLocked } from "../../words.js";

// `screen`: {id, me, dynamicId, ctx, body, error, notice, draw(), adopt(protocol)}; `adopt`
// keeps the protocol a write answered until the feed catches up.
export function actions(screen) {
  const { id, me, dynamicId, ctx, body, error, notice } = screen;
  let busy = false;

  async function refusal(failure) {
    if (failure instanceof WordsLocked) return LOCKED_WRITE;
    const partner = partnerOf((await entity("dynamic", dynamicId)) || ctx.dynamic, me);
    return protocolRefusal(failure, partner ? partner.display_name : undefined);
  }

  // Runs one action; `done` is the words for its outcome (or a function of the answer).
  async function act(run, done) {
    if (busy) return;
    busy = true;
    error.textContent = "";
    notice.textContent = "";
    for (const button of body.querySelectorAll("button")) button.disabled = true;
    try {
      const answer = await run();
      if (answer?.data && answer.data.id === id && answer.data.status) screen.adopt(answer.data);
      notice.textContent = typeof done === "function" ? done(answer) : done;
      screen.clearInputs = true;
    } catch (failure) {
      error.textContent = await refusal(failure);
    } finally {
      busy = false;
    }
    await trySync();
    await screen.draw();
    // The answer is at the top of the screen, where a phone may not be showing it.
    const shown = error.textContent ? error : notice;
    if (shown.textContent && shown.scrollIntoView) shown.scrollIntoView({ block: "center" });
  }

  // A negotiation step: it needs the server's current terms, so it never waits in the outbox.
  function send(path, payload, label) {
    return write({ method: "POST", path, body: payload, label, kind: "protocol", dynamic_id: dynamicId, offline: false });
  }

  // A follow-through step (a completion, an acknowledgement): it may wait in the outbox.
  function record(path, payload) {
    return write({ method: "POST", path, body: payload, label: "Completion", kind: "completion", dynamic_id: dynamicId, offline: true });
  }

  // Stopping, retiring and taking back a yes need the server's fresh state: offline, say so
  // before asking for a confirmation that could not be acted on.
  function offlineNow() {
    if (navigator.onLine !== false) return false;
    notice.textContent = "";
    error.textContent = protocolRefusal(new OfflineError());
    error.scrollIntoView({ block: "center" });
    return true;
  }

  return { act, send, record, offlineNow };
}

// The outcome of a write that may have waited in the outbox, in words.
export function queuedOr(text) {
  return (answer) => (answer?.queued ? "Saved on this phone: it will be sent when you are back online." : text);
}
