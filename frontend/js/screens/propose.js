// Propose a protocol (#/propose), or renegotiate one (#/propose/<id>): every term the API takes.
// A renegotiation sends only the terms that changed, with If-Match set to the ETag of the terms
// this form was filled from, so a protocol that changed meanwhile is never overwritten unread.
// The server's 422 messages are shown next to the fields they name.
import { api, OfflineError } from "../api.js";
import { h } from "../dom.js";
import { protocolRefusal } from "../errors.js";
import { write } from "../outbox.js";
import { takeDraft, takeProposal, takeSuggestion } from "../proposal-draft.js";
import { changedFields, partnerOf } from "../protocol-terms.js";
import { LOCKED_TERMS, openProtocol, sealTerms } from "../protocol-words.js";
import { entity, trySync } from "../store.js";
import { WordsLocked } from "../words.js";
import { termsForm } from "./propose/form.js";
import { limitsWarning } from "./propose/limits-warning.js";
import { placeProblems } from "./propose/problems.js";

const BLANK = { title: "", description: "", kind: "", performer_ids: [], schedule: null, reminders: true, review_on: null };

// The protocol to renegotiate: from the local copy, the feed, or the server. {offline: true}
// when this phone has not seen it and cannot ask; null when there is no such protocol.
async function load(id) {
  let p = await entity("protocol", id);
  if (!p) {
    await trySync();
    p = await entity("protocol", id);
  }
  if (p) return openProtocol(p);
  try {
    return await openProtocol(await api("GET", `/api/protocols/${encodeURIComponent(id)}`));
  } catch (failure) {
    return failure instanceof OfflineError ? { offline: true } : null;
  }
}

// What stands in the way of renegotiating, as a screen's nodes, or null.
function unavailable(id, protocol) {
  if (id && (!protocol || protocol.offline)) {
    return [
      h("h1", {}, "Renegotiate"),
      h(
        "p",
        { class: "card" },
        protocol ? "You are offline, and this phone has not seen this protocol yet." : "This protocol is not here.",
      ),
      h("a", { href: "#/protocols", class: "proto-back" }, "All protocols"),
    ];
  }
  if (protocol && (protocol.status === "declined" || protocol.status === "retired")) {
    return [
      h("h1", {}, "Renegotiate"),
      h("p", { class: "card" }, "This protocol is closed (declined or retired): propose a new one instead."),
      h("a", { href: "#/propose", class: "button" }, "Propose a protocol"),
    ];
  }
  return null;
}

function intro(protocol, them) {
  if (!protocol) {
    return `You agree to it by proposing it. It starts only when ${them} agrees to the same terms, and either of you can stop it at any time.`;
  }
  if (protocol.status === "active") {
    return `Your change becomes a new version. You agree to it by proposing it; the terms you both agreed stay in force until ${them} agrees to the change too.`;
  }
  return `Your change becomes a new version. You agree to it by proposing it; it starts only if ${them} agrees too.`;
}

// The terms to send: all of them for a proposal, only the changed ones for a renegotiation
// (null when nothing changed).
function payload(protocol, base, terms) {
  if (!protocol) return terms.kind ? terms : { ...terms, kind: null };
  const changed = changedFields(base, terms);
  return changed.length ? Object.fromEntries(changed.map((field) => [field, terms[field]])) : null;
}

// Sent sealed where the dynamic's words are private: the whole title and description, for the
// new version (js/protocol-words.js).
async function send(screen, protocol, body, terms) {
  const { id, dynamicId } = screen;
  return write({
    method: protocol ? "PATCH" : "POST",
    path: protocol ? `/api/protocols/${encodeURIComponent(id)}` : `/api/dynamics/${dynamicId}/protocols`,
    body: await sealTerms(dynamicId, body, terms),
    ifMatch: protocol ? protocol.etag : null,
    label: protocol ? "Renegotiation" : "Proposal",
    kind: "protocol",
    dynamic_id: dynamicId,
    offline: false,
  });
}

async function refused(screen, terms, failure, them) {
  terms.submit.disabled = false;
  if (failure instanceof WordsLocked) {
    terms.summary.textContent = LOCKED_TERMS;
    return;
  }
  if (failure.code === "etag_mismatch") {
    // Changed meanwhile: the form is drawn again from the latest terms, never sent over them.
    await trySync();
    await mount(
      screen,
      await load(screen.id),
      `${protocolRefusal(failure, them)} The form now shows the latest terms: make your change again.`,
    );
    screen.root.querySelector("#propose-error")?.scrollIntoView({ block: "center" });
    return;
  }
  const placed = placeProblems(failure, terms.mark);
  terms.summary.textContent = placed ? "Some terms need another look: see the messages next to them." : protocolRefusal(failure, them);
  terms.form.querySelector("[aria-invalid], .proto-field-error:not(:empty)")?.focus?.();
}

async function mount(screen, protocol, message = "") {
  if (screen.stopped) return;
  const { root, ctx, id, me } = screen;
  const dynamic = (await entity("dynamic", screen.dynamicId)) || ctx.dynamic;
  const partner = partnerOf(dynamic, me);
  const them = partner ? partner.display_name : "your partner";
  root.replaceChildren();
  const blocked = unavailable(id, protocol);
  if (blocked) return root.append(...blocked);
  // A new proposal may start from a draft: a match on the limits screen, or what a review's
  // agenda suggested.
  const base = protocol || { ...BLANK, ...takeDraft(), ...takeProposal() };
  // Declined terms to start from ("Decline and suggest", "Suggest another version"), once; the
  // changes sent are always counted from `base`.
  const start = screen.suggestion || base;
  screen.suggestion = null;
  const terms = termsForm(start, dynamic, me, {
    submitText: protocol ? "Propose this change" : "Propose",
    cancelHref: protocol ? `#/protocol/${encodeURIComponent(id)}` : "#/protocols",
  });
  terms.summary.textContent = message;
  const title = protocol ? `Renegotiate “${protocol.in_force ? protocol.in_force.title : protocol.title}”` : "Propose a protocol";
  root.append(h("h1", {}, title), h("p", { class: "muted" }, intro(protocol, them)), terms.form);
  const holds = limitsWarning(terms, screen.dynamicId, them, { me: me.id, partnerId: partner?.user_id });
  terms.form.addEventListener("submit", async (event) => {
    event.preventDefault();
    terms.clearErrors();
    const collected = terms.collect();
    const body = payload(protocol, base, collected);
    if (!body) {
      terms.summary.textContent = "Nothing changed yet: change a term first.";
      return;
    }
    if (await holds(collected)) return;
    terms.submit.disabled = true;
    try {
      const answer = await send(screen, protocol, body, collected);
      await trySync();
      ctx.go(`protocol/${encodeURIComponent(answer.data.id)}`);
    } catch (failure) {
      await refused(screen, terms, failure, them);
    }
  });
}

export async function render(root, ctx) {
  const id = ctx.params[0] || null;
  const screen = { root, ctx, id, me: ctx.me, dynamicId: ctx.dynamic.id, stopped: false, suggestion: takeSuggestion(id) };
  await mount(screen, id ? await load(id) : null);
  return () => {
    screen.stopped = true;
  };
}
