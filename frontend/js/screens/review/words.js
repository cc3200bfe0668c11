// The review's words, in one place: questions, answer labels, what the states mean. Pure:
// `node --test` imports it.
import { describe } from "../../errors.js";

export const AREAS = [
  ["care", "Care"],
  ["attention", "Attention"],
  ["structure", "Structure"],
  ["growth", "Growth"],
];
export const VOTES = [
  ["keep", "Keep it"],
  ["change", "Change it"],
  ["pause", "Pause it"],
  ["retire", "Retire it"],
];
export const HEARD = [
  [1, "1 — not at all"],
  [2, "2 — a little"],
  [3, "3 — somewhat"],
  [4, "4 — mostly"],
  [5, "5 — fully"],
];
export const SCALE = [
  [1, "1 — very little"],
  [2, "2 — a little"],
  [3, "3 — some"],
  [4, "4 — a lot"],
  [5, "5 — very much"],
];
export const CADENCES = [
  ["", "No set rhythm"],
  ["7", "Every week"],
  ["14", "Every two weeks"],
  ["28", "Every four weeks"],
];
export const HEARD_QUESTION = "I feel as important to this relationship as my partner";

export function dealLabels(partnerName) {
  return [
    [-3, `${partnerName}, by far`],
    [-2, `${partnerName}, clearly`],
    [-1, `${partnerName}, a little`],
    [0, "Equal"],
    [1, "Me, a little"],
    [2, "Me, clearly"],
    [3, "Me, by far"],
  ];
}

// What a refusal from the server means, in plain words (errors.js says the rest: offline, too
// many tries, a server problem, or the server's own sentence).
export function explain(error, them) {
  return describe(error, {
    offline: "You are offline: try again when you are back online.",
    codes: {
      review_in_progress: "A review is already under way: it is below.",
      already_submitted: "You already sent your answers; they are final.",
      review_revealed: `You and ${them} both answered already.`,
      review_closed: "This review is closed.",
      review_not_revealed: `The review can be closed once you and ${them} have both answered.`,
      nothing_to_submit: "Answer at least one question first.",
      protocol_not_in_force: "One of the protocols is no longer in force: reload and answer again.",
      etag_mismatch: "Your answers changed on another device: this page now shows them.",
      dynamic_ended: "This dynamic has ended; it can be read but not changed.",
    },
  });
}
