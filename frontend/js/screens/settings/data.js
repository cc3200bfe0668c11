// Your data: a copy of everything the account holds, as a file; and signing out of this phone.
import { api } from "../../api.js";
import { confirmDialog, h } from "../../dom.js";
import { count } from "../../format.js";
import { items } from "../../outbox.js";
import { signOutHere } from "../../sign-out.js";
import { openWords } from "../../words.js";
import { feedback, section } from "./form.js";

function download(data, name = "accord-export") {
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: `${name}-${new Date().toISOString().slice(0, 10)}.json`, class: "set-vh" }, "download");
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

function exportButton(note) {
  const button = h("button", { type: "button", class: "secondary", id: "export" }, "Download my data (JSON)");
  button.addEventListener("click", async () => {
    note.clear();
    button.disabled = true;
    try {
      download(await api("GET", "/api/me/export"));
      note.ok("Your data was downloaded as a JSON file.");
    } catch (error) {
      note.fail(error);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

// The same copy with the private words opened here, on this phone: the server cannot make it.
function openedExportButton(note) {
  const button = h("button", { type: "button", class: "secondary", id: "export-opened" }, "Download with my words opened");
  button.addEventListener("click", async () => {
    note.clear();
    button.disabled = true;
    try {
      // Loaded on first use, like the export itself it needs the network.
      const { openExport } = await import("../../export-words.js");
      const { data, sealed } = await openExport(await api("GET", "/api/me/export"), openWords);
      download(data, "accord-export-opened");
      note.ok(
        sealed
          ? `Downloaded. ${count(sealed, "private word stays", "private words stay")} sealed: open your words in Private words, then try again.`
          : "Downloaded, with your private words opened on this phone. Keep the file somewhere safe: anyone who has it can read them.",
      );
    } catch (error) {
      note.fail(error);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

function signOutButton(ctx) {
  const button = h("button", { type: "button", class: "secondary", id: "sign-out" }, "Sign out of this phone");
  button.addEventListener("click", async () => {
    const waiting = (await items()).filter((i) => i.state === "pending").length;
    if (waiting) {
      const ok = await confirmDialog({
        title: "Sign out?",
        text: `${count(waiting, "change has", "changes have")} not been sent yet and will be lost.`,
        confirm: "Sign out anyway",
        danger: true,
      });
      if (!ok) return;
    }
    button.disabled = true;
    await signOutHere();
    ctx.render();
  });
  return button;
}

export function dataSection(account) {
  const exportNote = feedback();
  return section(
    "data",
    "Your data",
    h("p", {}, "A copy of everything your account holds, as a file."),
    exportButton(exportNote),
    h("p", { class: "muted small" }, "Your private words are sealed in that copy. This one opens them here, on your phone:"),
    openedExportButton(exportNote),
    ...exportNote.nodes,
    h("div", { class: "actions" }, signOutButton(account.ctx)),
  );
}
