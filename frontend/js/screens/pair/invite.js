// Inviting my partner: make an invite, then its code, link and QR code until it is used,
// revoked or expires. The open invite is kept on this device (IndexedDB kv "pair.invite") so it
// is still shown after the person switched to a messaging app and the page was reloaded.
import { ApiError, api } from "../../api.js";
import { alertBox, confirmDialog, h } from "../../dom.js";
import { describe } from "../../errors.js";
import { dayTimeText } from "../../format.js";
import { del, get, put } from "../../idb.js";
import { myKeyCode } from "../../keyring.js";
import { write } from "../../outbox.js";
import { addQr, shareButton } from "./share.js";

const STORED = "pair.invite";

// This phone's copy of the invite it made. It is only a convenience: if the local database
// fails, the invite still works, so failures are let go.
function keepInvite(made, me) {
  const copy = { code: made.code, url: made.url, expires_at: made.expires_at, inviter_id: me?.id };
  return put("kv", copy, STORED).catch(() => null);
}

export function forgetInvite() {
  return del("kv", STORED).catch(() => null);
}

export function storedInvite() {
  return get("kv", STORED).catch(() => null); // no copy to read: none to show
}

function revokeButton(made, part, screen) {
  const button = h("button", { type: "button", class: "secondary", id: "revoke-invite" }, "Revoke this invite");
  button.addEventListener("click", async () => {
    const text = "The code, the link and the QR code stop working at once. You can make a new invite afterwards.";
    if (!(await confirmDialog({ title: "Revoke this invite?", text, confirm: "Revoke", danger: true }))) return;
    part.error.textContent = "";
    button.disabled = true;
    try {
      await write({ method: "DELETE", path: `/api/invites/${encodeURIComponent(made.code)}`, offline: false, label: "Revoke invite" });
      await forgetInvite();
      part.showCreate("Invite revoked: its code no longer works. Make a new one when you are ready.");
      part.create.focus();
    } catch (error) {
      button.disabled = false;
      if (error instanceof ApiError && error.status === 404) {
        await forgetInvite();
        part.showCreate();
        return;
      }
      const codes = { invite_accepted: "Your partner has already joined with this invite." };
      part.error.textContent = describe(error, { offline: "You are offline. Revoking needs a connection.", codes });
      if (error.code === "invite_accepted") screen.check();
    }
  });
  return button;
}

// This person's key code under the QR code, for the partner to compare with the one their phone
// shows on joining (docs/e2ee.md, "Key codes"). Shown only where the key is open on this phone.
function keyCodeLine() {
  const line = h("div", { id: "my-key-code", class: "key-code", hidden: true });
  myKeyCode()
    .then((code) => {
      if (!code) return;
      line.replaceChildren(
        h("p", { class: "invite-label" }, "Your key code"),
        h("p", { class: "kit-code", translate: "no" }, code),
        h(
          "p",
          { class: "muted" },
          "Your partner’s phone shows the same digits when they open this invite. The same digits mean your words reach each other and nobody in between.",
        ),
      );
      line.hidden = false;
    })
    // Without the key code the invite works all the same: the safety code in More does this job later.
    .catch(() => {});
  return line;
}

// Shows an open invite; resolves with its code's element once its QR code is in place.
async function showInvite(made, part, screen) {
  part.current = made;
  part.create.hidden = true;
  const status = h("p", { role: "status", id: "share-status", class: "share-status" });
  const link = h("a", { href: made.url, id: "invite-link" }, made.url);
  const qrBox = h(
    "figure",
    { class: "qr-box" },
    h("figcaption", { class: "muted" }, "Or let your partner scan this with their phone's camera."),
  );
  const code = h("p", { class: "code", id: "invite-code", tabindex: "-1" }, made.code);
  const until = h("time", { datetime: made.expires_at }, dayTimeText(made.expires_at));
  part.box.replaceChildren(
    h("p", {}, "Send your partner this code or the link. It works once, until ", until, "."),
    h("p", { class: "invite-label" }, "Your code"),
    code,
    h("p", { class: "link" }, link),
    h("div", { class: "actions" }, shareButton(made.url, link, status)),
    status,
    qrBox,
    keyCodeLine(),
    h("p", { class: "muted" }, "This page moves on by itself when your partner joins."),
    h("div", { class: "actions" }, revokeButton(made, part, screen)),
  );
  screen.follow();
  await addQr(qrBox, made.url, () => part.current === made);
  return code;
}

async function createInvite(part, screen) {
  part.error.textContent = "";
  part.note.textContent = "";
  part.create.disabled = true;
  try {
    const { data: made } = await write({ method: "POST", path: "/api/invites", body: {}, offline: false, label: "Invite" });
    await keepInvite(made, screen.me);
    (await showInvite(made, part, screen)).focus();
  } catch (error) {
    part.create.disabled = false;
    const codes = { too_many_invites: "You already have 5 open invites. Wait for them to expire (48 hours) before making another." };
    part.error.textContent = describe(error, { offline: "You are offline. Making an invite needs a connection.", codes });
  }
}

// `screen`: {me, check(), follow(), unfollow()}. The part's `current` is the open invite shown.
export function invitePart(screen) {
  const part = {
    current: null,
    error: alertBox(),
    note: h("p", { role: "status", class: "muted" }),
    box: h("div", { id: "invite" }),
    create: h("button", { type: "button", id: "create-invite" }, "Create an invite"),
  };
  // Back to "Create an invite", with a note saying why when there is one.
  part.showCreate = (note) => {
    part.current = null;
    screen.unfollow();
    part.box.replaceChildren();
    part.create.hidden = false;
    part.create.disabled = false;
    if (note) part.note.textContent = note;
  };
  part.show = (made) => showInvite(made, part, screen);
  part.create.addEventListener("click", () => createInvite(part, screen));
  part.section = h(
    "section",
    { "aria-labelledby": "invite-title", id: "invite-section" },
    h("h2", { id: "invite-title" }, "Invite my partner"),
    part.create,
    part.note,
    part.error,
    part.box,
  );
  return part;
}

const EXPIRED = "Your last invite expired. Make a new one when you are ready.";

// An invite made earlier on this device is shown again at once (offline too), then checked: it
// may have been accepted, revoked or have expired meanwhile. `screen.joined()` moves on home.
export async function restoreInvite(part, screen) {
  const stored = await storedInvite();
  const mine = stored && screen.me && stored.inviter_id === screen.me.id;
  if (!mine || new Date(stored.expires_at) <= new Date()) {
    if (stored) await forgetInvite();
    if (mine) part.note.textContent = EXPIRED;
    return;
  }
  part.show(stored);
  checkStored(stored, part, screen);
}

async function checkStored(stored, part, screen) {
  try {
    const found = await api("GET", `/api/invites/${encodeURIComponent(stored.code)}`);
    if (found.state === "open" || part.current !== stored) return;
    await forgetInvite();
    if (found.state === "accepted") return screen.joined(); // while this screen was closed
    part.showCreate(found.state === "expired" ? EXPIRED : null);
  } catch (error) {
    // Offline, or the server busy: the invite stays shown as this phone last knew it, and is
    // checked again the next time this screen opens.
    if (error instanceof ApiError && error.status === 404 && part.current === stored) {
      await forgetInvite();
      part.showCreate();
    }
  }
}
