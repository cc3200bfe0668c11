// Protocols in words, shared by the protocol screens (the list, one protocol, a proposal): the
// kinds and fields, who is who, a schedule, a field's value, what a version changed (the diff)
// and where a protocol stands. Pure (no window, no document), so `node --test` imports it.
import { dayText } from "./format.js";

export const KINDS = {
  ritual: "Ritual",
  rule: "Rule",
  task: "Task",
  communication: "Communication",
  care: "Care",
};
export const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
export const FIELDS = {
  title: "Title",
  description: "Description",
  kind: "Kind",
  performer_ids: "Who performs it",
  schedule: "Schedule",
  reminders: "Reminders",
  review_on: "Review date",
};

export function partnerOf(dynamic, me) {
  return (dynamic.members || []).find((m) => m.user_id !== me.id) || null;
}

// "you", "Bob", "Former member", or "someone" for an unknown id.
export function nameOf(dynamic, me, userId, capital = false) {
  if (userId && userId === me.id) return capital ? "You" : "you";
  const member = (dynamic.members || []).find((m) => m.user_id && m.user_id === userId);
  if (member) return member.display_name;
  return capital ? "Someone" : "someone";
}

export function people(dynamic, me, ids) {
  const list = [...(ids || [])];
  // "You" first, then the partner, whatever order the server keeps.
  list.sort((a, b) => (a === me.id ? -1 : b === me.id ? 1 : 0));
  const names = list.map((id, i) => nameOf(dynamic, me, id, i === 0));
  if (names.length === 0) return "nobody";
  if (names.length === 1) return names[0];
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

export function scheduleText(schedule) {
  if (!schedule) return "No schedule: whenever it fits";
  const days = schedule.weekdays || [0, 1, 2, 3, 4, 5, 6];
  let when;
  if (days.length === 7) when = "Every day";
  else if (days.join() === "0,1,2,3,4") when = "Weekdays";
  else if (days.join() === "5,6") when = "Weekends";
  else when = `Every ${days.map((d) => DAYS[d].slice(0, 3)).join(", ")}`;
  return `${when} at ${schedule.times.join(", ")} (each performer's own time)`;
}

export function valueText(field, value, dynamic, me) {
  switch (field) {
    case "kind":
      return KINDS[value] || String(value);
    case "performer_ids":
      return people(dynamic, me, value);
    case "schedule":
      return scheduleText(value);
    case "reminders":
      return value ? "On" : "Off";
    case "review_on":
      return dayText(value);
    case "description":
      return value ? value : "(none)";
    default:
      return value === null || value === undefined ? "(none)" : String(value);
  }
}

// What a version changed, field by field, against the version it was made from: the newest
// earlier version that was not declined (a declined renegotiation never replaced anything).
export function versionChanges(history, number) {
  const declined = new Set(history.events.filter((e) => e.action === "declined").map((e) => e.version));
  const earlier = history.versions.filter((v) => v.number < number && !declined.has(v.number));
  const version = history.versions.find((v) => v.number === number);
  if (!version || !earlier.length) return null;
  const before = earlier[earlier.length - 1];
  return {
    from: before.number,
    changes: changedFields(before, version).map((field) => ({ field, from: before[field], to: version[field] })),
  };
}

function same(field, a, b) {
  if (field === "performer_ids") return JSON.stringify([...(a || [])].sort()) === JSON.stringify([...(b || [])].sort());
  return JSON.stringify(a === undefined ? null : a) === JSON.stringify(b === undefined ? null : b);
}

// The fields whose value differs between two sets of terms.
export function changedFields(before, after) {
  return Object.keys(FIELDS).filter((field) => !same(field, before[field], after[field]));
}

// Is a version waiting for my answer (someone else agrees to it, I do not)?
export function waitingForMe(protocol, me) {
  return (
    protocol.pending &&
    !["declined", "retired"].includes(protocol.status) &&
    !protocol.agreed_by.includes(me.id) &&
    protocol.agreed_by.length > 0
  );
}

export function shortStatus(protocol, dynamic, me) {
  const partner = partnerOf(dynamic, me);
  const them = partner ? partner.display_name : "your partner";
  const mine = protocol.agreed_by.includes(me.id);
  switch (protocol.status) {
    case "proposed":
      if (waitingForMe(protocol, me)) return "Waiting for you";
      return mine ? `Waiting for ${them}` : "Nobody agrees yet";
    case "active":
      if (!protocol.pending) return "In force";
      return waitingForMe(protocol, me) ? "In force · change waiting for you" : `In force · change waiting for ${them}`;
    case "suspended":
      if (waitingForMe(protocol, me)) return `Stopped · ${them} wants to restart`;
      return mine ? `Stopped · waiting for ${them}` : "Stopped";
    case "declined":
      return "Declined";
    case "retired":
      return "Retired";
    default:
      return protocol.status;
  }
}

// Where a protocol stands, in a sentence, for the top of its screen.
export function statusLine(p, dynamic, me) {
  const partner = partnerOf(dynamic, me);
  const them = partner ? partner.display_name : "your partner";
  const mine = p.agreed_by.includes(me.id);
  const theirs = partner && p.agreed_by.includes(partner.user_id);
  switch (p.status) {
    case "proposed":
      if (mine && !theirs) return `Proposed, not in force: waiting for ${them} to agree to version ${p.version}.`;
      if (theirs && !mine) return `${them} proposes this. It starts only if you agree too.`;
      return "Proposed, not in force: nobody agrees to it at the moment.";
    case "active":
      if (!p.pending) return `In force: you both agreed to version ${p.version}.`;
      if (mine)
        return `In force as agreed. Your change (version ${p.version}) waits for ${them}; until then the agreed terms stay in force.`;
      return `In force as agreed. ${them} proposes a change (version ${p.version}): it applies only if you agree.`;
    case "suspended":
      if (theirs && !mine) return `Stopped: consent was withdrawn. ${them} wants to start it again; it restarts only if you agree too.`;
      if (mine && !theirs) return `Stopped: consent was withdrawn. You want to start it again; waiting for ${them}.`;
      return "Stopped: consent was withdrawn. It starts again only when you both agree again.";
    case "declined":
      return "Declined: none of it is in force.";
    case "retired":
      return "Retired: none of it is in force any more.";
    default:
      return p.status;
  }
}

// A step of its history in words: "Bob agreed to version 2".
const EVENTS = {
  proposed: (who, v) => `${who} proposed version ${v}`,
  renegotiated: (who, v) => `${who} proposed a change: version ${v}`,
  agreed: (who, v) => `${who} agreed to version ${v}`,
  activated: (_who, v) => `Version ${v} came into force: you both agreed`,
  reactivated: (_who, v) => `Version ${v} is in force again: you both agreed again`,
  declined: (who, v) => `${who} declined version ${v}`,
  withdrawn: (who, v) => `${who} withdrew consent (version ${v})`,
  suspended: () => "It stopped at once",
  retired: (who) => `${who} retired it`,
};

export function eventText(action, who, version) {
  return (EVENTS[action] || ((w, v) => `${w}: ${action} (version ${v})`))(who, version);
}
