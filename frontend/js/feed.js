// The sync feed's changes as the local copy keeps them (docs/sync.md). Pure: `node --test`
// imports it.

// A change of the feed as a row of the `entities` store: keyed "entity:id", filed under its
// dynamic (a dynamic and its limits view under their own id).
export function record(change) {
  const data = change.data;
  let dynamicId = null;
  if (change.entity === "dynamic" || change.entity === "limits") dynamicId = change.id;
  else if (data?.dynamic_id) dynamicId = data.dynamic_id;
  return { key: `${change.entity}:${change.id}`, entity: change.entity, id: change.id, dynamic_id: dynamicId, data };
}

function newestFirst(dynamics) {
  return [...dynamics].sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
}

// The dynamic a person lives in now: the newest that has not ended; null when none.
export function inForce(dynamics) {
  return newestFirst(dynamics).find((d) => d.state !== "ended") || null;
}

// The newest dynamic that has ended, or null: it stays readable after either member left.
export function lastEnded(dynamics) {
  return newestFirst(dynamics).find((d) => d.state === "ended") || null;
}
