// Needs that end (docs/balance.md, "Needs that end"): a need waits until the partner answers it
// "done", the asker closes it (met / no longer needed), or a week passes without either. The
// asker's own open needs get the two closing buttons here.
import { ApiError } from "../../api.js";
import { h } from "../../dom.js";
import { write } from "../../outbox.js";

// Open: asked for, and neither answered "done", nor closed, nor expired (a week on).
export function isOpen(checkin, now = Date.now()) {
  if (!checkin.needs?.length) return false;
  if (checkin.response_kind === "done" || checkin.needs_closed_at) return false;
  return !checkin.needs_expire_at || new Date(checkin.needs_expire_at).getTime() > now;
}

// How a need ended, in a few words, or null while it is open.
export function endedText(checkin, { mine, partnerName, now = Date.now() }) {
  if (!checkin.needs?.length || checkin.response_kind === "done") return null;
  if (checkin.needs_closed_reason === "met") return mine ? "You said this was met." : "Met, they said.";
  if (checkin.needs_closed_reason === "not_needed") return mine ? "You said this is no longer needed." : "No longer needed, they said.";
  if (!isOpen(checkin, now))
    return mine
      ? `A week went by without an answer from ${partnerName}, so this one has closed.`
      : "A week went by without an answer, so this one has closed.";
  return null;
}

// "It was met" and "No longer needed" for the asker's own open needs.
export function closeButtons(checkin, { dynamicId, onStatus, onError }) {
  const choices = [
    ["met", "It was met"],
    ["not_needed", "No longer needed"],
  ];
  const buttons = choices.map(([reason, label]) => h("button", { type: "button", class: "secondary", "data-close": reason }, label));
  buttons.forEach((button, i) => {
    button.addEventListener("click", async () => {
      for (const b of buttons) b.disabled = true;
      try {
        const result = await write({
          method: "POST",
          path: `/api/checkins/${checkin.id}/close`,
          body: { reason: choices[i][0] },
          label: "Closing a need",
          kind: "close-need",
          dynamic_id: dynamicId,
          offline: true,
        });
        onStatus(result.queued ? "Saved on this phone; it will be sent when you're back online." : "Closed. Thank you for saying so.");
      } catch (failure) {
        onError(
          failure instanceof ApiError && failure.code === "needs_answered"
            ? "It was answered in the meantime."
            : `Not closed: ${failure.message}`,
        );
      } finally {
        for (const b of buttons) b.disabled = false;
      }
    });
  });
  return h("div", { class: "answer-buttons close-need", role: "group", "aria-label": "Close this need" }, buttons);
}
