// My answers to the checklist, between the API's list and the screen's map. Pure: `node --test`
// imports it (tests/js/limits-answers.test.js).

// The API's answers as edited on the screen: item -> Map(role ("" for either way) -> {answer, condition}).
export function answersOf(entries) {
  const answers = new Map();
  for (const a of entries) {
    if (!answers.has(a.item)) answers.set(a.item, new Map());
    answers.get(a.item).set(a.role || "", { answer: a.answer, condition: a.condition });
  }
  return answers;
}

// The items of a view that are not in the catalogue: mine, and the partner's that I may see
// (their no / hard limit, or a reveal), each once.
export function customsOf(view) {
  if (!view) return [];
  const keys = new Set(view.catalogue.map((c) => c.key));
  return [...new Set([...view.mine, ...view.partner].map((a) => a.item).filter((i) => !keys.has(i)))];
}

// The screen's answers as the body of PUT …/limits/mine: a condition only on a maybe.
export function answerItems(answers) {
  const items = [];
  for (const [item, byRole] of answers) {
    for (const [role, { answer, condition }] of byRole) {
      items.push({ item, answer, role: role || null, condition: answer === "maybe" ? condition || null : null });
    }
  }
  return items;
}
