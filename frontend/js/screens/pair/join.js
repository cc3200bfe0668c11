// Joining with a partner's code: type it (or come by a join link), see whose invite it is
// ("Invite from Alice"), then Join or Not now.
import { api, OfflineError } from "../../api.js";
import { alertBox, h } from "../../dom.js";
import { inviterKeyCode, sealWhereReady } from "../../keyring.js";
import { write } from "../../outbox.js";
import { trySync } from "../../store.js";
import { inviteProblem, normalise } from "./words.js";

function codeField() {
  return h("input", {
    type: "text",
    name: "code",
    id: "join-code",
    required: true,
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    maxlength: 16,
    "aria-describedby": "join-code-hint",
  });
}

function elements() {
  const part = {
    title: h("h2", { id: "join-title" }, "I have a code"),
    error: alertBox(),
    preview: h("div", { id: "join-preview", "aria-live": "polite" }),
    input: codeField(),
    hint: h("p", { id: "join-code-hint", class: "hint muted" }, "8 letters and digits, like ABCD-EFGH."),
    proceed: h("button", { type: "submit", id: "check-code" }, "Continue"),
    previewed: null, // the invite shown, when Join is offered
  };
  part.buttons = h("div", { class: "actions" }, part.proceed);
  const { preview, hint, input, error, buttons } = part;
  part.form = h(
    "form",
    { id: "join", novalidate: true },
    preview,
    h("label", { for: "join-code" }, "Invite code"),
    hint,
    input,
    error,
    buttons,
  );
  return part;
}

// Back to typing a code.
function showEntry(part) {
  part.previewed = null;
  part.title.textContent = "I have a code";
  part.hint.hidden = false;
  part.preview.replaceChildren();
  part.buttons.replaceChildren(part.proceed);
  part.proceed.disabled = false;
}

function showPreview(part, found, notNow) {
  part.previewed = found;
  const name = found.inviter_name;
  part.title.textContent = `Invite from ${name}`;
  part.hint.hidden = true;
  const later = h("button", { type: "button", class: "secondary", id: "not-now" }, "Not now");
  later.addEventListener("click", notNow);
  const text = `${name} invited you to link your profiles in Accord. You will share your agreements, check-ins and balance, with the same rights. Either of you can pause or leave at any time.`;
  part.preview.replaceChildren(h("p", { class: "invite-from" }, text), inviterKeyLine(found, part));
  part.buttons.replaceChildren(h("button", { type: "submit", id: "accept-invite" }, "Join"), later);
}

// The inviter's key code, made on this phone from the key the server hands out for them, to
// compare with the digits under their QR code (docs/e2ee.md, "Key codes").
function inviterKeyLine(found, part) {
  const line = h("div", { id: "inviter-key-code", class: "key-code", hidden: true });
  const name = found.inviter_name;
  inviterKeyCode(found.code)
    .then((code) => {
      if (!code || part.previewed !== found) return;
      line.replaceChildren(
        h("p", { class: "invite-label" }, `${name}’s key code`),
        h("p", { class: "kit-code", translate: "no" }, code),
        h(
          "p",
          { class: "muted" },
          `Compare it with the digits under ${name}’s QR code. The same digits mean your words will reach ${name} and nobody in between.`,
        ),
      );
      line.hidden = false;
    })
    // Offline, or no key yet: joining works without it, and the safety code in More does this job later.
    .catch(() => {});
  return line;
}

function ownInvite(part, found, screen) {
  showEntry(part);
  part.error.textContent =
    found.state === "open"
      ? "This is your own invite. Send it to your partner: they join with it."
      : "This is one of your own invites, and it is no longer open.";
  screen.revealAll();
}

async function lookUp(part, value, screen) {
  const { error, input } = part;
  error.textContent = "";
  if (!/^[A-Z0-9]{8}$/.test(value)) {
    error.textContent = value
      ? "An invite code has 8 letters and digits, like ABCD-EFGH. Check it with your partner."
      : "Type the code your partner sent you.";
    input.setAttribute("aria-invalid", "true");
    return;
  }
  input.removeAttribute("aria-invalid");
  part.proceed.disabled = true;
  part.preview.replaceChildren(h("p", { class: "muted" }, "Checking the invite…"));
  try {
    const found = await api("GET", `/api/invites/${encodeURIComponent(value)}`);
    if (normalise(input.value) !== value) return; // the person typed another code meanwhile
    if (screen.me && found.inviter_id === screen.me.id) return ownInvite(part, found, screen);
    showPreview(part, found, () => screen.notNow());
  } catch (failure) {
    showEntry(part);
    error.textContent = inviteProblem(failure);
    input.setAttribute("aria-invalid", "true");
    // This invite leads nowhere: the person may rather invite their partner.
    if (!(failure instanceof OfflineError)) screen.revealAll();
  }
}

async function accept(part, value, screen) {
  part.error.textContent = "";
  const button = part.buttons.querySelector("#accept-invite");
  button.disabled = true;
  try {
    await write({ method: "POST", path: `/api/invites/${encodeURIComponent(value)}/accept`, body: {}, offline: false, label: "Join" });
    screen.accepted();
    // The pair key is made now if you both have keys: by this phone, or by the inviter's as it
    // sees you join (pair.js), whichever is first; the server keeps the first and hands it to the
    // other. Offline or refused, the first screen with words (or More) makes it instead.
    sealWhereReady().catch(() => {});
    await trySync(); // home catches up by itself if this could not
    screen.ctx.go("home");
  } catch (error) {
    button.disabled = false;
    const name = part.previewed.inviter_name;
    if (!(error instanceof OfflineError)) showEntry(part);
    part.error.textContent = inviteProblem(error, name);
    if (error.code === "already_paired") part.buttons.append(h("a", { href: "#/home", class: "button secondary" }, "Go to home"));
  }
}

// `screen`: {me, ctx, revealAll(), notNow(), accepted()}. Returns the part: its `section`,
// `title`, and `start(code)` to look a code up at once (from a join link).
export function joinPart(screen) {
  const part = elements();
  part.input.addEventListener("input", () => {
    part.input.removeAttribute("aria-invalid");
    if (part.previewed && normalise(part.input.value) !== part.previewed.code) showEntry(part);
  });
  part.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const value = normalise(part.input.value);
    if (!part.previewed || part.previewed.code !== value) return lookUp(part, value, screen);
    return accept(part, value, screen);
  });
  part.reset = () => {
    part.input.value = "";
    part.error.textContent = "";
    showEntry(part);
  };
  part.start = (code) => {
    part.input.value = code;
    lookUp(part, normalise(code), screen);
  };
  part.section = h("section", { "aria-labelledby": "join-title", id: "join-section" }, part.title, part.form);
  return part;
}
