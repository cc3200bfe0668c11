// One protocol: the terms in force, any version waiting for agreement (reviewed field by field
// against the terms in force), the answers the consent rules allow me (docs/consent.md),
// follow-through (completions and acknowledgements, adherence without streaks) and the history.
//
// Agreeing names the version drawn on this screen, so a version that changed meanwhile is
// refused (409 stale_version) instead of being agreed to unread.
import { ApiError, OfflineError, api } from "../api.js";
import { alertBox, confirmDialog, h } from "../dom.js";
import { items, write } from "../outbox.js";
import { entities, entity, live, subscribe, trySync } from "../store.js";
import { declineAndSuggest, declinedNote } from "./protocol/declined.js";

// --- shared with protocols.js and propose.js ------------------------------------------------

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

export function dateText(day) {
  if (!day) return "None";
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y, m - 1, d).toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "long", year: "numeric" });
}

export function whenText(iso) {
  return new Date(iso).toLocaleString(undefined, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
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
      return dateText(value);
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

// A refusal in plain words. `them` is the partner's name.
export function explain(error, them = "your partner") {
  if (error instanceof OfflineError || (error && error.offline)) {
    return "You are offline. This needs a connection, so nothing was sent: try again when you are back online.";
  }
  const code = error && error.code;
  const words = {
    stale_version:
      "It changed while you were reading it, so nothing was agreed. The new version is shown now: review it again before you answer.",
    nothing_to_agree: "There is nothing waiting for agreement any more. The latest terms are shown now.",
    dynamic_paused:
      "A red stands, so nothing can be agreed or recorded until it is lifted. Talking, declining and stopping still work.",
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
  if (code && words[code]) return words[code];
  if (error instanceof ApiError) return error.message;
  return (error && error.message) || "Something went wrong.";
}

function termsList(terms, dynamic, me, { withTitle = false, id } = {}) {
  const rows = [];
  for (const field of Object.keys(FIELDS)) {
    if (field === "title" && !withTitle) continue;
    if (field === "description" && !terms.description) continue;
    rows.push(
      h("dt", {}, FIELDS[field]),
      h("dd", { class: field === "description" ? "proto-text" : null }, valueText(field, terms[field], dynamic, me)),
    );
  }
  return h("dl", { class: "proto-terms", id }, rows);
}

function diffList(changes, dynamic, me, { oldLabel, newLabel }) {
  return h(
    "div",
    { class: "proto-diff", id: "diff" },
    changes.map(({ field, from, to }) =>
      h(
        "div",
        { class: "proto-diff-row", "data-field": field },
        h("h3", {}, FIELDS[field] || field),
        h(
          "p",
          { class: "proto-was" },
          h("span", { class: "proto-tag" }, oldLabel),
          h("span", { class: "proto-text" }, valueText(field, from, dynamic, me)),
        ),
        h(
          "p",
          { class: "proto-new" },
          h("span", { class: "proto-tag" }, newLabel),
          h("span", { class: "proto-text" }, valueText(field, to, dynamic, me)),
        ),
      ),
    ),
  );
}

function statusLine(p, dynamic, me) {
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
      if (mine) return `In force as agreed. Your change (version ${p.version}) waits for ${them}; until then the agreed terms stay in force.`;
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

// --- the screen -------------------------------------------------------------------------------

export async function render(root, ctx) {
  const id = ctx.params[0];
  const me = ctx.me;
  const dynamicId = ctx.dynamic.id;
  const heading = h("h1", { id: "protocol-title" }, "Protocol");
  const status = h("p", { class: "proto-status", id: "protocol-status" });
  const error = alertBox();
  error.id = "protocol-error";
  const notice = h("p", { role: "status", class: "proto-notice", id: "protocol-notice" });
  const body = h("div", { class: "proto-screen", id: "protocol" });
  const historyBox = h(
    "section",
    { id: "history", "aria-labelledby": "history-title", class: "proto-history" },
    h("h2", { id: "history-title" }, "History"),
    h("p", { class: "muted" }, "Loading…"),
  );
  root.append(
    h("a", { href: "#/protocols", class: "proto-back" }, "All protocols"),
    heading,
    status,
    error,
    notice,
    body,
    historyBox,
  );

  if (!id) {
    heading.textContent = "Protocol not found";
    return;
  }

  let fresh = null; // the protocol as the last write answered it, until the feed catches up
  let history = null;
  let stopped = false;
  let busy = false;
  let clearInputs = false; // after an action went through, its notes and reasons start empty

  async function current() {
    let p = await entity("protocol", id);
    if (fresh && (!p || p.updated_at < fresh.updated_at)) p = fresh;
    return p;
  }

  async function fetchMissing() {
    await trySync();
    if (await entity("protocol", id)) return;
    try {
      fresh = await api("GET", `/api/protocols/${encodeURIComponent(id)}`);
    } catch (failure) {
      if (!(failure instanceof OfflineError) && failure.status !== 404 && failure.status !== 422) {
        error.textContent = explain(failure);
      }
    }
  }

  // Runs one action; errors are shown, and the latest state is drawn either way.
  async function act(run, done) {
    if (busy) return;
    busy = true;
    error.textContent = "";
    notice.textContent = "";
    for (const button of body.querySelectorAll("button")) button.disabled = true;
    try {
      const answer = await run();
      if (answer && answer.data && answer.data.id === id && answer.data.status) fresh = answer.data;
      notice.textContent = typeof done === "function" ? done(answer) : done;
      clearInputs = true;
    } catch (failure) {
      const partner = partnerOf((await entity("dynamic", dynamicId)) || ctx.dynamic, me);
      error.textContent = explain(failure, partner ? partner.display_name : undefined);
    } finally {
      busy = false;
    }
    await trySync();
    await draw();
    // The answer is at the top of the screen, where a phone may not be showing it.
    const shown = error.textContent ? error : notice;
    if (shown.textContent && shown.scrollIntoView) shown.scrollIntoView({ block: "center" });
  }

  function protocolWrite(path, payload, label) {
    return write({ method: "POST", path, body: payload, label, kind: "protocol", dynamic_id: dynamicId, offline: false });
  }

  // Stopping, retiring and taking back a yes need the server's fresh state: offline, say so
  // before asking for a confirmation that could not be acted on.
  function offlineNow() {
    if (navigator.onLine !== false) return false;
    notice.textContent = "";
    error.textContent = explain(new OfflineError());
    error.scrollIntoView({ block: "center" });
    return true;
  }

  function reasonBody(input) {
    const reason = input.value.trim();
    return reason ? { reason } : {};
  }

  function queuedOr(text) {
    return (answer) =>
      answer && answer.queued ? "Saved on this phone: it will be sent when you are back online." : text;
  }

  async function draw() {
    if (stopped) return;
    const dynamic = (await entity("dynamic", dynamicId)) || ctx.dynamic;
    const p = await current();
    if (stopped) return;
    if (!p) {
      heading.textContent = "Protocol not found";
      status.textContent = "It is not in this dynamic, or this phone has not seen it yet.";
      body.replaceChildren();
      return;
    }
    const partner = partnerOf(dynamic, me);
    const them = partner ? partner.display_name : "your partner";
    const paused = dynamic.state === "paused";
    const ended = dynamic.state === "ended";
    const closed = p.status === "declined" || p.status === "retired";
    const inForce = p.status === "active" ? p.in_force : null;
    heading.textContent = inForce ? inForce.title : p.title;
    status.textContent = statusLine(p, dynamic, me);
    status.className = `proto-status proto-status-${p.status}`;

    const parts = [];
    // A decline of what I proposed, with its reason, on top (not only at the end of history).
    const declined = declinedNote(p, history, them, me, ctx.go);
    if (declined) parts.push(declined);
    if (paused) {
      parts.push(
        h(
          "p",
          { class: "card state-paused proto-paused", id: "paused-note" },
          "A red stands: everything is on hold. Nothing can be agreed or recorded until it is lifted; talking, declining and stopping still work.",
        ),
      );
    }
    if (ended) {
      parts.push(h("p", { class: "card", id: "ended-note" }, "This dynamic has ended: this is kept to read, and nothing can change."));
    }

    const reason = h("input", { type: "text", id: "reason", maxlength: "500", autocomplete: "off" });
    const reasonField = h(
      "label",
      { for: "reason", class: "proto-reason" },
      "Reason (optional; kept in the history)",
      reason,
    );

    // A version waiting for agreement: review it.
    if (p.pending && !closed) {
      const mine = p.agreed_by.includes(me.id);
      const agreeing = p.agreed_by.map((u) => nameOf(dynamic, me, u, true));
      const review = h("section", { id: "review", class: "proto-review", "aria-labelledby": "review-title" });
      let title;
      if (inForce) title = `Proposed change: version ${p.version}`;
      else if (p.status === "suspended") title = `To start again: version ${p.version}`;
      else title = `Proposed terms: version ${p.version}`;
      review.append(h("h2", { id: "review-title" }, title));
      review.append(
        h(
          "p",
          { class: "proto-agreed", id: "agreed-by" },
          agreeing.length ? `${agreeing.join(" and ")} ${agreeing.length === 1 && agreeing[0] !== "You" ? "agrees" : "agree"} to this version.` : "Nobody agrees to this version yet.",
        ),
      );
      // The difference from the terms in force, field by field; else from the version before.
      let changes = null;
      let labels = null;
      if (inForce) {
        changes = changedFields(inForce, p).map((field) => ({ field, from: inForce[field], to: p[field] }));
        labels = { oldLabel: "In force now", newLabel: "Proposed" };
      } else if (history && p.version > 1) {
        const diff = versionChanges(history, p.version);
        if (diff) {
          changes = diff.changes;
          labels = { oldLabel: `Version ${diff.from}`, newLabel: `Version ${p.version}` };
        }
      }
      if (changes && changes.length) {
        review.append(h("p", {}, inForce ? "What would change, field by field:" : `What changed since ${labels.oldLabel.toLowerCase()}:`));
        review.append(diffList(changes, dynamic, me, labels));
        const unchanged = Object.keys(FIELDS).filter((f) => !changes.some((c) => c.field === f));
        if (unchanged.length) {
          review.append(h("p", { class: "muted" }, `Unchanged: ${unchanged.map((f) => FIELDS[f].toLowerCase()).join(", ")}.`));
        }
        if (!inForce) review.append(h("h3", {}, "All the terms"), termsList(p, dynamic, me, { withTitle: true, id: "proposed-terms" }));
      } else {
        review.append(termsList(p, dynamic, me, { withTitle: true, id: "proposed-terms" }));
      }

      const buttons = [];
      if (!mine && !ended) {
        const version = p.version; // the version drawn here is the one agreed to
        buttons.push(
          h(
            "button",
            {
              type: "button",
              id: "agree",
              onclick: () =>
                act(
                  () => protocolWrite(`/api/protocols/${id}/agree`, { version }, "Agreement"),
                  `You agreed to version ${version}.`,
                ),
            },
            `Agree to version ${version}`,
          ),
        );
        if (p.agreed_by.length > 0) {
          buttons.push(
            h(
              "button",
              {
                type: "button",
                class: "secondary",
                id: "decline",
                onclick: () =>
                  act(
                    () => protocolWrite(`/api/protocols/${id}/decline`, reasonBody(reason), "Decline"),
                    inForce ? "You declined the change: the agreed terms stay in force." : "You declined it.",
                  ),
              },
              "Decline",
            ),
          );
          const declineText = inForce ? "You declined the change: the agreed terms stay in force." : "You declined it.";
          buttons.push(
            declineAndSuggest({
              p,
              decline: async () => {
                await act(() => protocolWrite(`/api/protocols/${id}/decline`, reasonBody(reason), "Decline"), declineText);
                return !error.textContent;
              },
              go: ctx.go,
            }),
          );
        }
      }
      if (mine && !ended && p.status !== "active") {
        buttons.push(
          h(
            "button",
            {
              type: "button",
              class: "secondary",
              id: "take-back",
              onclick: async () => {
                if (offlineNow()) return;
                const ok = await confirmDialog({
                  title: "Take back your yes?",
                  text: `You will no longer agree to version ${p.version}. ${them} is told.`,
                  confirm: "Take back my yes",
                  danger: true,
                });
                if (ok) {
                  act(() => protocolWrite(`/api/protocols/${id}/withdraw`, reasonBody(reason), "Withdrawal"), "You took back your yes.");
                }
              },
            },
            "Take back my yes",
          ),
        );
      }
      if (buttons.length) {
        if (!mine && p.agreed_by.length > 0) review.append(reasonField);
        review.append(h("div", { class: "actions proto-actions" }, buttons));
      } else if (mine) {
        review.append(h("p", { class: "muted" }, `Waiting for ${them}.`));
      }
      parts.push(review);
    }

    // The terms in force (or, when nothing is, the last terms).
    if (inForce) {
      parts.push(
        h(
          "section",
          { id: "in-force", "aria-labelledby": "in-force-title" },
          h("h2", { id: "in-force-title" }, `In force: version ${inForce.number}`),
          termsList(inForce, dynamic, me, { withTitle: Boolean(p.pending) }),
        ),
      );
    } else if (!p.pending) {
      parts.push(
        h(
          "section",
          { id: "last-terms", "aria-labelledby": "last-terms-title" },
          h("h2", { id: "last-terms-title" }, `Last terms: version ${p.version}`),
          termsList(p, dynamic, me),
        ),
      );
    }

    // Follow-through.
    if (p.status === "active" || inForce || p.adherence) {
      parts.push(await followThrough(p, dynamic, them, paused || ended));
    }

    // Changing and stopping it.
    if (!closed && !ended) {
      const manage = h("section", { id: "manage", "aria-labelledby": "manage-title" }, h("h2", { id: "manage-title" }, "Change or stop it"));
      const buttons = [
        h("a", { href: `#/propose/${encodeURIComponent(id)}`, class: "button secondary", id: "renegotiate" }, "Renegotiate"),
      ];
      if (p.status === "active") {
        buttons.push(
          h(
            "button",
            {
              type: "button",
              class: "danger",
              id: "withdraw",
              onclick: async () => {
                if (offlineNow()) return;
                const ok = await confirmDialog({
                  title: "Withdraw consent?",
                  text: `This stops “${heading.textContent}” at once and tells ${them}. It starts again only if you both agree again.`,
                  confirm: "Withdraw consent",
                  danger: true,
                });
                if (ok) {
                  act(
                    () => protocolWrite(`/api/protocols/${id}/withdraw`, reasonBody(manageReason), "Withdrawal"),
                    "You withdrew consent: it stopped at once.",
                  );
                }
              },
            },
            "Withdraw consent",
          ),
        );
      }
      buttons.push(
        h(
          "button",
          {
            type: "button",
            class: "secondary",
            id: "retire",
            onclick: async () => {
              if (offlineNow()) return;
              const ok = await confirmDialog({
                title: "Retire this protocol?",
                text: `“${heading.textContent}” ends for good, for both of you, and ${them} is told. You can propose it again later.`,
                confirm: "Retire",
                danger: true,
              });
              if (ok) act(() => protocolWrite(`/api/protocols/${id}/retire`, reasonBody(manageReason), "Retirement"), "You retired it.");
            },
          },
          "Retire",
        ),
      );
      const manageReason = h("input", { type: "text", id: "manage-reason", maxlength: "500", autocomplete: "off" });
      manage.append(
        h(
          "p",
          { class: "muted" },
          p.status === "active"
            ? "Either of you can stop it at any time; one no is enough. A change stays a proposal until you both agree."
            : "A change stays a proposal until you both agree.",
        ),
        h("label", { for: "manage-reason", class: "proto-reason" }, "Reason (optional; kept in the history)", manageReason),
        h("div", { class: "actions proto-actions" }, buttons),
      );
      parts.push(manage);
    }
    // Redraw only what changed: replacing a button under a finger would swallow the tap.
    const next = h("div", {}, ...parts);
    if (!clearInputs && next.innerHTML === body.innerHTML) return;
    // A redraw (the feed caught up) keeps what the person was typing, and where.
    const kept = clearInputs ? [] : [...body.querySelectorAll("input[id]")].map((el) => [el.id, el.value]);
    const focused = body.contains(document.activeElement) && document.activeElement.id;
    clearInputs = false;
    body.replaceChildren(...next.childNodes);
    for (const [key, value] of kept) {
      const el = value && body.querySelector(`#${CSS.escape(key)}`);
      if (el) el.value = value;
    }
    const refocus = focused && body.querySelector(`#${CSS.escape(focused)}`);
    if (refocus && !refocus.disabled) refocus.focus({ preventScroll: true });
  }

  async function followThrough(p, dynamic, them, frozen) {
    const inForce = p.status === "active" ? p.in_force : null;
    const section = h("section", { id: "follow-through", "aria-labelledby": "follow-title" }, h("h2", { id: "follow-title" }, "Follow-through"));
    const a = p.adherence;
    const scheduled = (inForce && inForce.schedule) || p.schedule;
    let text;
    if (!scheduled && !a) text = "No schedule, so nothing is counted: record it whenever it is done.";
    else if (!a) text = "Nothing is counted yet: follow-through counts once it is in force.";
    else if (a.rate === null || a.scheduled === 0) text = `Nothing was due in the last ${a.window_days} days while it was in force.`;
    else {
      text = `Done ${a.done} of ${a.scheduled} scheduled times in the last ${a.window_days} days (${Math.round(a.rate * 100)}%). Time under a red is not counted.`;
    }
    section.append(h("p", { id: "adherence" }, text));

    if (inForce && inForce.performer_ids.includes(me.id) && !frozen) {
      const note = h("input", { type: "text", id: "completion-note", maxlength: "1000", autocomplete: "off" });
      const form = h(
        "form",
        { id: "complete-form", class: "proto-inline-form" },
        h("label", { for: "completion-note" }, "Note (optional)", note),
        h("button", { type: "submit", id: "complete" }, "I did it"),
      );
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const payload = { occurred_at: new Date().toISOString() };
        if (note.value.trim()) payload.note = note.value.trim();
        act(
          () =>
            write({
              method: "POST",
              path: `/api/protocols/${id}/completions`,
              body: payload,
              label: "Completion",
              kind: "completion",
              dynamic_id: dynamicId,
              offline: true,
            }),
          queuedOr(`Recorded. ${them} can acknowledge it.`),
        );
      });
      section.append(form);
    }

    // Completions waiting in the outbox, then the recorded ones.
    const waiting = (await items()).filter((i) => i.kind === "completion" && i.path.includes(id));
    const done = (await entities("completion", dynamicId)).filter((c) => c.protocol_id === id);
    done.sort((x, y) => (x.occurred_at < y.occurred_at ? 1 : -1));
    const list = h("ul", { class: "proto-completions", id: "completions" });
    for (const item of waiting) {
      const acknowledging = item.path.includes("/acknowledge");
      list.append(
        h(
          "li",
          { class: "proto-completion proto-waiting" },
          h("span", {}, acknowledging ? "Your acknowledgement" : "You did it"),
          " · ",
          h("span", {}, item.state === "failed" ? `could not be sent: ${item.error ? item.error.detail : "refused"}` : "saved on this phone, waiting to be sent"),
        ),
      );
    }
    for (const c of done.slice(0, 10)) {
      const who = nameOf(dynamic, me, c.user_id, true);
      const li = h(
        "li",
        { class: "proto-completion", "data-id": c.id },
        h("p", { class: "proto-completion-what" }, `${who} did it`, " · ", h("time", { datetime: c.occurred_at }, whenText(c.occurred_at))),
      );
      if (c.note) li.append(h("p", { class: "proto-text" }, c.note));
      if (c.acknowledged_at) {
        li.append(
          h(
            "p",
            { class: "proto-ack" },
            `Acknowledged by ${nameOf(dynamic, me, c.acknowledged_by)} · ${whenText(c.acknowledged_at)}`,
            c.acknowledgement_note ? `: “${c.acknowledgement_note}”` : "",
          ),
        );
      } else if (c.user_id && c.user_id !== me.id && !waiting.some((i) => i.path.includes(c.id))) {
        const ackNote = h("input", { type: "text", id: `ack-note-${c.id}`, maxlength: "1000", autocomplete: "off" });
        const form = h(
          "form",
          { class: "proto-inline-form proto-ack-form" },
          h("label", { for: `ack-note-${c.id}` }, `Note to ${who} (optional)`, ackNote),
          h("button", { type: "submit", class: "secondary" }, "Acknowledge"),
        );
        form.addEventListener("submit", (event) => {
          event.preventDefault();
          const payload = ackNote.value.trim() ? { note: ackNote.value.trim() } : {};
          act(
            () =>
              write({
                method: "POST",
                path: `/api/completions/${c.id}/acknowledge`,
                body: payload,
                label: "Completion",
                kind: "completion",
                dynamic_id: dynamicId,
                offline: true,
              }),
            queuedOr(`You acknowledged it. ${who} is told.`),
          );
        });
        li.append(form);
      } else if (!c.acknowledged_at) {
        li.append(h("p", { class: "muted" }, "Not acknowledged yet"));
      }
      list.append(li);
    }
    if (list.children.length) section.append(list);
    else section.append(h("p", { class: "muted", id: "no-completions" }, "Nothing recorded yet."));
    return section;
  }

  function drawHistory(data, meta = {}) {
    if (stopped) return;
    const parts = [h("h2", { id: "history-title" }, "History")];
    if (!data) {
      parts.push(h("p", { class: "muted" }, meta.offline ? "The history needs a connection the first time." : "Loading…"));
      historyBox.replaceChildren(...parts);
      return;
    }
    history = data;
    const dynamicPromise = entity("dynamic", dynamicId);
    dynamicPromise.then((stored) => {
      if (stopped) return;
      const dynamic = stored || ctx.dynamic;
      const list = h("ol", { class: "proto-events", id: "history-events", reversed: true });
      for (const event of [...data.events].reverse()) {
        const who = nameOf(dynamic, me, event.actor_id, true);
        const text = (EVENTS[event.action] || ((w, v) => `${w}: ${event.action} (version ${v})`))(who, event.version);
        const li = h(
          "li",
          { class: `proto-event proto-event-${event.action}`, "data-action": event.action },
          h("p", { class: "proto-event-what" }, text),
          h("p", { class: "proto-event-when" }, h("time", { datetime: event.at }, whenText(event.at))),
        );
        const diff = event.action === "renegotiated" ? versionChanges(data, event.version) : null;
        if (diff && diff.changes.length) {
          li.append(
            h(
              "ul",
              { class: "proto-event-changes", "aria-label": `Changes from version ${diff.from}` },
              diff.changes.map(({ field, from, to }) =>
                h("li", {}, `${FIELDS[field] || field}: ${valueText(field, from, dynamic, me)} → ${valueText(field, to, dynamic, me)}`),
              ),
            ),
          );
        }
        // A withdrawal's reason is stored on its "suspended" event too: say it once.
        if (event.reason && event.action !== "suspended") li.append(h("p", { class: "proto-text" }, `Reason: ${event.reason}`));
        list.append(li);
      }
      parts.push(list);
      if (meta.stale) parts.push(h("p", { class: "muted" }, "Showing what this phone last saw."));
      const next = h("div", {}, ...parts);
      if (next.innerHTML !== historyBox.innerHTML) historyBox.replaceChildren(...next.childNodes);
    });
    // The review of a restarted or re-proposed version uses the history's difference.
    draw();
  }

  if (!(await entity("protocol", id))) await fetchMissing();
  await draw();
  const stopHistory = live(`/api/protocols/${encodeURIComponent(id)}/history`, drawHistory, (failure) => {
    // No such protocol (404, or an address that is not a protocol's, 422): nothing to show.
    const text = failure.status === 404 || failure.status === 422 ? "No history to show." : explain(failure);
    historyBox.replaceChildren(h("h2", { id: "history-title" }, "History"), h("p", { class: "muted" }, text));
  });
  const unsubscribe = subscribe((m) => {
    if (m.type === "sync" || m.type === "outbox") draw();
  });
  trySync();
  return () => {
    stopped = true;
    unsubscribe();
    stopHistory();
  };
}
