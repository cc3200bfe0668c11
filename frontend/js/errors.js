// Failures, and the one place they become words. Pure (no window, no document), so the browser,
// the service worker and `node --test` all import it.
//
// A screen says what it was doing when the connection was missing (`offline`) and has its own
// words for the server's codes (`codes`); everything else is said the same way everywhere.

// An answer of the API that is not 2xx: the HTTP status, the server's `code` and `detail`.
export class ApiError extends Error {
  constructor(status, body, headers) {
    super(body?.detail || `Request failed (${status})`);
    this.status = status;
    this.code = body?.code;
    this.body = body;
    // Seconds to wait, from Retry-After (429 throttling, 503, 409 idempotency_in_flight).
    const retry = headers && Number.parseInt(headers.get("Retry-After"), 10);
    this.retryAfter = Number.isFinite(retry) ? retry : null;
  }
}

// A network failure (offline, server unreachable): the write can wait in the outbox.
export class OfflineError extends Error {
  constructor() {
    super("You are offline.");
    this.offline = true;
  }
}

export const SOMETHING_WRONG = "Something went wrong. Try again in a moment.";
export const OFFLINE = "You are offline. Connect to the internet and try again; nothing was changed.";
const TOO_MANY = "Too many attempts. Wait a few minutes and try again.";
const SERVER = "The server had a problem. Try again in a moment.";

export function isOffline(error) {
  return error instanceof OfflineError || Boolean(error?.offline);
}

// A failure that is neither the server's answer nor a missing connection (a bug, a browser that
// refused): screens that ask for a password say "something went wrong" rather than its text.
export function unexpected(error) {
  return !(error instanceof ApiError) && !isOffline(error);
}

// A failure in words for the person reading it. `codes` maps the server's codes to words (or to
// a function of the error giving them); a code the screen has no words for is said by its status
// (too many tries, a server problem) or with the server's own sentence.
export function describe(error, { offline = OFFLINE, codes = {} } = {}) {
  if (isOffline(error)) return offline;
  if (!(error instanceof ApiError)) return error?.message || SOMETHING_WRONG;
  const words = error.code ? codes[error.code] : undefined;
  if (words) return typeof words === "function" ? words(error) : words;
  if (error.status === 429) return TOO_MANY;
  if (error.status >= 500) return SERVER;
  return error.message;
}

// Seconds to wait, from Retry-After when the API client kept it, else from the server's sentence
// ("… try again in 840 seconds"); null when the answer did not say.
export function secondsToWait(error) {
  let seconds = Number(error?.retryAfter);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    const match = /(\d+)\s*seconds?/.exec(error?.body?.detail || "");
    seconds = match ? Number(match[1]) : Number.NaN;
  }
  return Number.isFinite(seconds) && seconds > 0 ? seconds : null;
}

// The name of the first field a 422 validation_error names ("email" for ["body", "email"]).
export function invalidField(error) {
  const problems = error instanceof ApiError && error.code === "validation_error" ? error.body?.errors : null;
  if (!Array.isArray(problems) || !problems.length) return null;
  return problems[0].loc?.[1] ?? null;
}

// The refusals of protocols and their completions (docs/consent.md). `them` is the partner's name.
export function protocolCodes(them = "your partner") {
  return {
    stale_version:
      "It changed while you were reading it, so nothing was agreed. The new version is shown now: review it again before you answer.",
    nothing_to_agree: "There is nothing waiting for agreement any more. The latest terms are shown now.",
    dynamic_paused: "A red stands, so nothing can be agreed or recorded until it is lifted. Talking, declining and stopping still work.",
    dynamic_ended: "This dynamic has ended. Everything stays readable, but nothing can change.",
    protocol_closed: "This protocol is closed (declined or retired), so nothing can change it.",
    concurrent_change: `${them} changed it at the same moment. The latest is shown now: look again, then retry.`,
    nothing_to_decline: "There is nothing waiting for your answer to decline. The latest is shown now.",
    already_agreed: "You agree to this version yourself, so you cannot decline it: take back your yes instead.",
    nothing_to_withdraw: "You have no yes to take back. The latest is shown now.",
    protocol_not_active: "It is not in force, so nothing can be recorded.",
    not_performer: "Only a performer of the terms in force can record that it was done.",
    own_completion: "You cannot acknowledge what you recorded yourself.",
    already_acknowledged: "That was already acknowledged.",
    etag_mismatch: `${them} changed this protocol while you were editing, so nothing was sent.`,
    occurred_at_out_of_range: "That time is out of range: at most 30 days back and not in the future.",
  };
}

// A protocol's refusal in plain words (the protocol, proposal and list screens).
export function protocolRefusal(error, them = "your partner") {
  return describe(error, {
    offline: "You are offline. This needs a connection, so nothing was sent: try again when you are back online.",
    codes: protocolCodes(them),
  });
}
