// Pairing: invite a partner (a code, a link to share and a QR code of that link), or join with
// a partner's code. A join link (/join/CODE) opens the join part with the code filled in and
// asks first: "Invite from Alice", Join or Not now.
//
// The open invite is kept on this device (IndexedDB kv "pair.invite") so that it is still shown
// after the person switched to a messaging app and the page was reloaded. While it is open, the
// screen follows the sync feed and moves on to home when the partner has joined.
import { ApiError, OfflineError, api } from "../api.js";
import { alertBox, confirmDialog, h } from "../dom.js";
import { del, get, put } from "../idb.js";
import { write } from "../outbox.js";
import { endedDynamic, entities, subscribe, sync, trySync } from "../store.js";

const POLL_MS = 3000;
const STORED = "pair.invite";
const SVG = "http://www.w3.org/2000/svg";
const QR_NAME = "QR code of your invite link";

// The code of a join link survives a second render of this screen (the router may draw it
// twice), until the person joins or says "Not now".
let carried = null;

// "abcd-efgh " -> "ABCDEFGH", as the server reads a code.
function normalise(code) {
  return String(code || "").replace(/[\s-]/g, "").toUpperCase();
}

function when(iso) {
  try {
    return new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", hour: "numeric", minute: "2-digit" }).format(new Date(iso));
  } catch {
    return iso;
  }
}

// Why an invite cannot be used, in words. `name` is the inviter's, when known.
function inviteProblem(error, name) {
  const who = name || "your partner";
  if (error instanceof OfflineError) return "You are offline. Joining needs a connection: try again when you are back online.";
  if (!(error instanceof ApiError)) return "Something went wrong. Try again in a moment.";
  switch (error.code) {
    case "not_found":
      return "No invite has this code. Check it with your partner: it has 8 letters and digits.";
    case "invite_expired":
      return `This invite has expired (invites last 48 hours). Ask ${who} for a new one.`;
    case "invite_accepted":
      return `This invite has already been used. Ask ${who} for a new one.`;
    case "invite_revoked":
      return `This invite was withdrawn by the person who made it. Ask ${who} for a new one.`;
    case "own_invite":
      return "This is your own invite. Send it to your partner: they join with it.";
    case "already_paired":
      return `You and ${who} are already linked.`;
    default:
      return error.message;
  }
}

// The QR code of `text` as an SVG: one path of dark modules on a white square with the quiet
// zone the standard asks for, dark on light in both colour schemes so that cameras read it.
function qrSvg(qrcode, text) {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const count = qr.getModuleCount();
  const margin = 4;
  const size = count + margin * 2;
  let d = "";
  for (let row = 0; row < count; row += 1) {
    for (let col = 0; col < count; col += 1) {
      if (qr.isDark(row, col)) d += `M${col + margin} ${row + margin}h1v1h-1z`;
    }
  }
  const el = (tag, attrs) => {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    return node;
  };
  const svg = el("svg", { viewBox: `0 0 ${size} ${size}`, role: "img", "aria-label": QR_NAME, class: "qr", "shape-rendering": "crispEdges", id: "invite-qr" });
  svg.append(el("rect", { x: 0, y: 0, width: size, height: size, fill: "#ffffff" }), el("path", { d, fill: "#000000" }));
  return svg;
}

export async function render(root, ctx) {
  const { go, me } = ctx;
  const fromLink = ctx.takeJoinCode() || carried;
  carried = fromLink;
  let stopped = false;
  let timer = null;
  let current = null; // the open invite shown
  let endedShown = false;

  // The dynamics this person already has: a new one means the partner joined.
  const known = new Set((await entities("dynamic")).map((d) => d.id));
  const partnerJoined = async () => {
    const all = await entities("dynamic");
    return all.some((d) => d.state !== "ended" && !known.has(d.id));
  };
  const check = async () => {
    if (stopped) return;
    await trySync();
    if (!stopped && (await partnerJoined())) {
      stopped = true;
      await del("kv", STORED).catch(() => {});
      go("home");
    }
  };
  const unsubscribe = subscribe((message) => {
    if (message.type !== "sync") return;
    if (current) partnerJoined().then((yes) => yes && check());
    // Sent here by a dynamic that ended before the phone's copy knew it (home heard it from
    // the server first): once the copy has it, show what stays readable.
    if (!endedShown && !fromLink && (message.entities || []).includes("dynamic")) {
      endedDynamic().then((ended) => {
        if (ended && !stopped && !endedShown) ctx.render();
      });
    }
  });
  const follow = () => {
    if (stopped) return;
    clearInterval(timer);
    timer = setInterval(check, POLL_MS);
  };
  const unfollow = () => {
    clearInterval(timer);
    timer = null;
  };

  const heading = h("h1", {}, "Link with your partner");
  const intro = h("p", { class: "muted" }, "Accord is for two. Invite your partner, or join with the code they sent you.");

  // --- invite my partner ----------------------------------------------------------------------
  const inviteError = alertBox();
  const inviteNote = h("p", { role: "status", class: "muted" });
  const invite = h("div", { id: "invite" });
  const create = h("button", { type: "button", id: "create-invite" }, "Create an invite");

  const showCreate = () => {
    current = null;
    unfollow();
    invite.replaceChildren();
    create.hidden = false;
    create.disabled = false;
  };

  const showInvite = async (made) => {
    current = made;
    create.hidden = true;
    const shareStatus = h("p", { role: "status", id: "share-status", class: "share-status" });
    const link = h("a", { href: made.url, id: "invite-link" }, made.url);
    const canShare = typeof navigator.share === "function";
    const share = h("button", { type: "button", id: "share-invite" }, canShare ? "Share the link" : "Copy the link");
    share.addEventListener("click", async () => {
      shareStatus.textContent = "";
      if (canShare) {
        try {
          await navigator.share({ title: "Accord", text: "Join me on Accord", url: made.url });
          return;
        } catch (error) {
          if (error && error.name === "AbortError") return; // the person closed the share sheet
        }
      }
      try {
        await navigator.clipboard.writeText(made.url);
        shareStatus.textContent = "Link copied. Paste it in a message to your partner.";
      } catch {
        // No clipboard here: select the link so that the person can copy it.
        const range = document.createRange();
        range.selectNodeContents(link);
        const selection = getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        shareStatus.textContent = "Copying is not possible here: the link is selected, copy it from the menu.";
      }
    });

    const revoke = h("button", { type: "button", class: "secondary", id: "revoke-invite" }, "Revoke this invite");
    revoke.addEventListener("click", async () => {
      const ok = await confirmDialog({
        title: "Revoke this invite?",
        text: "The code, the link and the QR code stop working at once. You can make a new invite afterwards.",
        confirm: "Revoke",
        danger: true,
      });
      if (!ok) return;
      inviteError.textContent = "";
      revoke.disabled = true;
      try {
        await write({ method: "DELETE", path: `/api/invites/${encodeURIComponent(made.code)}`, offline: false, label: "Revoke invite" });
        await del("kv", STORED);
        showCreate();
        inviteNote.textContent = "Invite revoked: its code no longer works. Make a new one when you are ready.";
        create.focus();
      } catch (error) {
        revoke.disabled = false;
        if (error instanceof ApiError && error.code === "invite_accepted") {
          inviteError.textContent = "Your partner has already joined with this invite.";
          check();
        } else if (error instanceof ApiError && error.status === 404) {
          await del("kv", STORED);
          showCreate();
        } else {
          inviteError.textContent = error instanceof OfflineError ? "You are offline. Revoking needs a connection." : error.message;
        }
      }
    });

    const qrBox = h("figure", { class: "qr-box" }, h("figcaption", { class: "muted" }, "Or let your partner scan this with their phone's camera."));
    const code = h("p", { class: "code", id: "invite-code", tabindex: "-1" }, made.code);
    invite.replaceChildren(
      h("p", {}, "Send your partner this code or the link. It works once, until ", h("time", { datetime: made.expires_at }, when(made.expires_at)), "."),
      h("p", { class: "invite-label" }, "Your code"),
      code,
      h("p", { class: "link" }, link),
      h("div", { class: "actions" }, share),
      shareStatus,
      qrBox,
      h("p", { class: "muted" }, "This page moves on by itself when your partner joins."),
      h("div", { class: "actions" }, revoke),
    );
    follow();
    // The QR code library is loaded here only, not with every screen.
    try {
      const { default: qrcode } = await import("../../vendor/qrcode-generator/qrcode.mjs");
      if (current === made) qrBox.prepend(qrSvg(qrcode, made.url));
    } catch (error) {
      console.warn("no QR code", error);
      qrBox.remove();
    }
    return code;
  };

  create.addEventListener("click", async () => {
    inviteError.textContent = "";
    inviteNote.textContent = "";
    create.disabled = true;
    try {
      const { data: made } = await write({ method: "POST", path: "/api/invites", body: {}, offline: false, label: "Invite" });
      await put("kv", { code: made.code, url: made.url, expires_at: made.expires_at, inviter_id: me && me.id }, STORED).catch(() => {});
      const code = await showInvite(made);
      code.focus();
    } catch (error) {
      create.disabled = false;
      if (error instanceof OfflineError) inviteError.textContent = "You are offline. Making an invite needs a connection.";
      else if (error instanceof ApiError && error.code === "too_many_invites") {
        inviteError.textContent = "You already have 5 open invites. Wait for them to expire (48 hours) before making another.";
      } else inviteError.textContent = error.message;
    }
  });

  const inviteSection = h(
    "section",
    { "aria-labelledby": "invite-title", id: "invite-section" },
    h("h2", { id: "invite-title" }, "Invite my partner"),
    create,
    inviteNote,
    inviteError,
    invite,
  );

  // --- join with a code -------------------------------------------------------------------------
  const joinTitle = h("h2", { id: "join-title" }, "I have a code");
  const joinError = alertBox();
  const previewBox = h("div", { id: "join-preview", "aria-live": "polite" });
  const codeInput = h("input", {
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
  const hint = h("p", { id: "join-code-hint", class: "hint muted" }, "8 letters and digits, like ABCD-EFGH.");
  const proceed = h("button", { type: "submit", id: "check-code" }, "Continue");
  const buttons = h("div", { class: "actions" }, proceed);
  const join = h(
    "form",
    { id: "join", novalidate: true },
    previewBox,
    h("label", { for: "join-code" }, "Invite code"),
    hint,
    codeInput,
    joinError,
    buttons,
  );
  let previewed = null; // the invite shown, when Join is offered

  const showEntry = () => {
    previewed = null;
    joinTitle.textContent = "I have a code";
    hint.hidden = false;
    previewBox.replaceChildren();
    buttons.replaceChildren(proceed);
    proceed.disabled = false;
  };

  // The whole screen, as without a join link: the invite part comes first.
  const revealAll = () => {
    if (!inviteSection.hidden) return;
    inviteSection.hidden = false;
    intro.hidden = false;
    heading.after(intro, inviteSection);
  };

  const notNow = () => {
    carried = null;
    if (ctx.dynamic) return go("home");
    codeInput.value = "";
    joinError.textContent = "";
    showEntry();
    revealAll();
    heading.focus();
  };

  const showPreview = (found) => {
    previewed = found;
    const name = found.inviter_name;
    joinTitle.textContent = `Invite from ${name}`;
    hint.hidden = true;
    const joinButton = h("button", { type: "submit", id: "accept-invite" }, "Join");
    const later = h("button", { type: "button", class: "secondary", id: "not-now" }, "Not now");
    later.addEventListener("click", notNow);
    previewBox.replaceChildren(
      h("p", { class: "invite-from" }, `${name} invited you to link your profiles in Accord. You will share your agreements, check-ins and balance, with the same rights. Either of you can pause or leave at any time.`),
    );
    buttons.replaceChildren(joinButton, later);
  };

  const lookUp = async (value) => {
    joinError.textContent = "";
    if (!/^[A-Z0-9]{8}$/.test(value)) {
      joinError.textContent = value ? "An invite code has 8 letters and digits, like ABCD-EFGH. Check it with your partner." : "Type the code your partner sent you.";
      codeInput.setAttribute("aria-invalid", "true");
      return;
    }
    codeInput.removeAttribute("aria-invalid");
    proceed.disabled = true;
    previewBox.replaceChildren(h("p", { class: "muted" }, "Checking the invite…"));
    try {
      const found = await api("GET", `/api/invites/${encodeURIComponent(value)}`);
      if (normalise(codeInput.value) !== value) return; // the person typed another code meanwhile
      if (me && found.inviter_id === me.id) {
        showEntry();
        joinError.textContent =
          found.state === "open" ? "This is your own invite. Send it to your partner: they join with it." : "This is one of your own invites, and it is no longer open.";
        revealAll();
        return;
      }
      showPreview(found);
    } catch (error) {
      showEntry();
      joinError.textContent = inviteProblem(error);
      codeInput.setAttribute("aria-invalid", "true");
      // This invite leads nowhere: the person may rather invite their partner.
      if (!(error instanceof OfflineError)) revealAll();
    }
  };

  codeInput.addEventListener("input", () => {
    codeInput.removeAttribute("aria-invalid");
    if (previewed && normalise(codeInput.value) !== previewed.code) showEntry();
  });

  join.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = normalise(codeInput.value);
    if (!previewed || previewed.code !== value) return lookUp(value);
    joinError.textContent = "";
    const accept = buttons.querySelector("#accept-invite");
    accept.disabled = true;
    try {
      await write({ method: "POST", path: `/api/invites/${encodeURIComponent(value)}/accept`, body: {}, offline: false, label: "Join" });
      carried = null;
      stopped = true;
      await sync().catch(() => {});
      go("home");
    } catch (error) {
      accept.disabled = false;
      const name = previewed.inviter_name;
      if (!(error instanceof OfflineError)) showEntry();
      joinError.textContent = inviteProblem(error, name);
      if (error instanceof ApiError && error.code === "already_paired") {
        buttons.append(h("a", { href: "#/home", class: "button secondary" }, "Go to home"));
      }
    }
  });

  const joinSection = h("section", { "aria-labelledby": "join-title", id: "join-section" }, joinTitle, join);

  if (fromLink) {
    // Opened from a join link: joining is the one thing to decide here.
    inviteSection.hidden = true;
    intro.hidden = true;
    joinTitle.textContent = "Your invite";
    codeInput.value = fromLink;
    root.append(heading, joinSection, inviteSection);
    lookUp(normalise(fromLink));
  } else {
    root.append(heading, intro, inviteSection, joinSection);
  }
  // A dynamic that ended stays readable: say so, and lead to what was shared in it.
  const ended = await endedDynamic();
  endedShown = Boolean(ended);
  if (ended && !fromLink) {
    const other = ended.members.find((m) => !me || m.user_id !== me.id);
    const when = ended.ended_at ? new Date(ended.ended_at).toLocaleDateString(undefined, { dateStyle: "medium" }) : "";
    root.append(
      h(
        "section",
        { class: "card", id: "ended", "aria-labelledby": "ended-title" },
        h("h2", { id: "ended-title" }, `Your dynamic with ${other ? other.display_name : "your partner"} has ended`),
        h("p", {}, `It ended${when ? ` on ${when}` : ""}. What you shared stays readable here, and in your export; nothing more can be added to it.`),
        h(
          "div",
          { class: "actions" },
          h("a", { href: "#/protocols", class: "button secondary" }, "Protocols"),
          h("a", { href: "#/checkins", class: "button secondary" }, "Check-ins"),
          h("a", { href: "#/balance", class: "button secondary" }, "Balance"),
          h("a", { href: "#/limits", class: "button secondary" }, "Limits"),
        ),
      ),
    );
  }

  // An invite made earlier on this device is shown again at once (offline too), then checked:
  // it may have been accepted, revoked or have expired meanwhile.
  const stored = await get("kv", STORED).catch(() => null);
  const mine = stored && me && stored.inviter_id === me.id;
  if (mine && new Date(stored.expires_at) > new Date()) {
    showInvite(stored);
    api("GET", `/api/invites/${encodeURIComponent(stored.code)}`)
      .then(async (found) => {
        if (found.state === "open" || current !== stored) return;
        await del("kv", STORED);
        if (found.state === "accepted") {
          // The partner joined while this screen was closed.
          await trySync();
          if (!stopped) go("home");
          return;
        }
        showCreate();
        if (found.state === "expired") inviteNote.textContent = "Your last invite expired. Make a new one when you are ready.";
      })
      .catch(async (error) => {
        if (error instanceof ApiError && error.status === 404 && current === stored) {
          await del("kv", STORED);
          showCreate();
        }
      });
  } else if (stored) {
    await del("kv", STORED).catch(() => {});
    if (mine) inviteNote.textContent = "Your last invite expired. Make a new one when you are ready.";
  }

  return () => {
    stopped = true;
    unfollow();
    unsubscribe();
  };
}
