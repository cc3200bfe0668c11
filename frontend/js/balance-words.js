// The balance verdict in words, on the balance screen and on home. Pure: `node --test` imports it.
export const VERDICTS = {
  balanced: "Balanced",
  drifting: "Drifting",
  imbalanced: "Imbalanced",
  not_enough_data: "Too early to tell",
};
