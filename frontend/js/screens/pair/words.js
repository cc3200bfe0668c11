// Invites in words: a code as the server reads it, and why an invite cannot be used.
import { describe } from "../../errors.js";

// "abcd-efgh " -> "ABCDEFGH", as the server reads a code.
export function normalise(code) {
  return String(code || "")
    .replace(/[\s-]/g, "")
    .toUpperCase();
}

// Why an invite cannot be used, in words. `name` is the inviter's, when known.
export function inviteProblem(error, name) {
  const who = name || "your partner";
  return describe(error, {
    offline: "You are offline. Joining needs a connection: try again when you are back online.",
    codes: {
      not_found: "No invite has this code. Check it with your partner: it has 8 letters and digits.",
      invite_expired: `This invite has expired (invites last 48 hours). Ask ${who} for a new one.`,
      invite_accepted: `This invite has already been used. Ask ${who} for a new one.`,
      invite_revoked: `This invite was withdrawn by the person who made it. Ask ${who} for a new one.`,
      own_invite: "This is your own invite. Send it to your partner: they join with it.",
      already_paired: `You and ${who} are already linked.`,
    },
  });
}
