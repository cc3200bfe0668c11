// Dates, times, counts and shares in words, in the reader's language. Pure (no window, no
// document), so `node --test` imports it. `locale` is the browser's unless given (tests give it).

// "Tue, 3 March 2026" for a calendar day ("2026-03-03"), read as that day wherever the phone is;
// "None" for none.
export function dayText(day, locale = undefined) {
  if (!day) return "None";
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(locale, { weekday: "short", day: "numeric", month: "long", year: "numeric" });
}

// "3 Mar, 14:05": a moment in a list of recent ones.
export function momentText(iso, locale = undefined) {
  return new Date(iso).toLocaleString(locale, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

// "3 Mar 2026, 14:05": a moment to be told apart from others far from it (sessions, changes).
export function stampText(iso, locale = undefined) {
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

// "Tue, 3 Mar, 14:05": a moment of the last or the coming days (a check-in, when an invite runs
// out); "" when it is not a moment.
export function dayTimeText(iso, locale = undefined) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString(locale, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

// "3 Mar 2026": the day of a moment.
export function dateText(iso, locale = undefined) {
  return new Date(iso).toLocaleDateString(locale, { dateStyle: "medium" });
}

// "1 change", "3 changes".
export function count(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

// 0.8333 -> "83%"; "—" for no share.
export function percent(share) {
  return share === null || share === undefined ? "—" : `${Math.round(share * 100)}%`;
}

// 840 seconds -> "in 14 minutes" (at least one minute); `otherwise` when there is no wait to say.
export function inMinutes(seconds, otherwise) {
  if (!Number.isFinite(seconds) || seconds <= 0) return otherwise;
  return `in ${count(Math.max(1, Math.ceil(seconds / 60)), "minute", "minutes")}`;
}

// "10:02" for a moment of today (`now`'s day), "3 Dec, 22:40" for one of another day.
export function clockText(iso, now = new Date(), locale = undefined) {
  const when = new Date(iso);
  const time = when.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
  if (when.toDateString() === now.toDateString()) return time;
  return `${when.toLocaleDateString(locale, { day: "numeric", month: "short" })}, ${time}`;
}
