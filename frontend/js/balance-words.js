// The balance verdict in words, on the balance screen and on home. Pure: `node --test` imports it.
export const VERDICTS = {
  balanced: "In balance",
  drifting: "Drifting a little",
  imbalanced: "Out of balance",
  not_enough_data: "Too early to tell",
};
