// Pairing: create an invite to share, or enter a partner's code. /join/CODE pre-fills the code.
import { api } from "../api.js";
import { alertBox, h } from "../dom.js";

const POLL_MS = 4000;

async function hasDynamic() {
  const page = await api("GET", "/api/dynamics?limit=10");
  return page.items.some((d) => d.state !== "ended");
}

export function render(root, { go, takeJoinCode }) {
  let timer = null;

  const inviteError = alertBox();
  const invite = h("div", { id: "invite", "aria-live": "polite" });
  const create = h("button", { type: "button", id: "create-invite" }, "Create an invite");
  create.addEventListener("click", async () => {
    inviteError.textContent = "";
    create.disabled = true;
    try {
      const made = await api("POST", "/api/invites", {});
      invite.replaceChildren(
        h("p", {}, "Give your partner this code, or send them the link. It works once, for 48 hours."),
        h("p", { class: "code", id: "invite-code" }, made.code),
        h("p", { class: "link" }, h("a", { href: made.url, id: "invite-link" }, made.url)),
        h("p", { class: "muted" }, "This page moves on by itself when your partner joins."),
      );
      // Wait for the partner to accept, then go home.
      timer = setInterval(async () => {
        try {
          if (await hasDynamic()) go("home");
        } catch {
          // Offline for a moment: try again on the next tick.
        }
      }, POLL_MS);
    } catch (error) {
      inviteError.textContent = error.message;
      create.disabled = false;
    }
  });

  const joinError = alertBox();
  const code = h("input", {
    type: "text",
    name: "code",
    id: "join-code",
    required: true,
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    maxlength: 16,
  });
  const prefilled = takeJoinCode();
  if (prefilled) code.value = prefilled;
  const join = h(
    "form",
    { id: "join" },
    h("label", { for: "join-code" }, "Invite code"),
    code,
    joinError,
    h("button", { type: "submit" }, "Join"),
  );
  join.addEventListener("submit", async (event) => {
    event.preventDefault();
    joinError.textContent = "";
    const value = code.value.replace(/[\s-]/g, "").toUpperCase();
    try {
      await api("POST", `/api/invites/${encodeURIComponent(value)}/accept`, {});
      go("home");
    } catch (error) {
      joinError.textContent =
        error.status === 404 ? "No invite has this code. Check it with your partner." : error.message;
    }
  });

  root.append(
    h("h1", {}, "Link with your partner"),
    h(
      "section",
      { "aria-labelledby": "join-title" },
      h("h2", { id: "join-title" }, "I have a code"),
      join,
    ),
    h(
      "section",
      { "aria-labelledby": "invite-title" },
      h("h2", { id: "invite-title" }, "Invite my partner"),
      create,
      inviteError,
      invite,
    ),
  );

  return () => clearInterval(timer);
}
