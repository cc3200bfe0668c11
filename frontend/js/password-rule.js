// The password rule of the API (docs/api.md): 8 to 128 characters, counted as the server counts
// them (code points, not UTF-16 units). Pure: `node --test` imports it.
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

export function length(text) {
  return [...text].length;
}

// What is wrong with a password, in words, or null. `whose` starts the sentence ("Your password").
export function passwordProblem(password, whose = "Your password") {
  const n = length(password);
  if (n < PASSWORD_MIN) return `${whose} is too short: use at least ${PASSWORD_MIN} characters${n ? ` (this one has ${n})` : ""}.`;
  if (n > PASSWORD_MAX) return `${whose} is too long: use at most ${PASSWORD_MAX} characters (this one has ${n}).`;
  return null;
}
