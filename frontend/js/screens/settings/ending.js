// Ending things: leaving the dynamic (for both, at once) and deleting the account for good.
import { confirmDialog, h } from "../../dom.js";
import { write } from "../../outbox.js";
import { signOutHere, stopPushes } from "../../sign-out.js";
import { trySync } from "../../store.js";
import { feedback, field, section } from "./form.js";

function leaveButton({ dynamic, partnerName, ctx }, note) {
  const button = h("button", { type: "button", class: "danger", id: "leave" }, `End the dynamic with ${partnerName}`);
  button.addEventListener("click", async () => {
    note.clear();
    const ok = await confirmDialog({
      title: `End the dynamic with ${partnerName}?`,
      text: `This ends it at once for both of you and cannot be undone. ${partnerName} is told. Every protocol stops; what you shared stays readable. To start again you would pair anew.`,
      confirm: "End it for both of us",
      danger: true,
    });
    if (!ok) return;
    button.disabled = true;
    try {
      await write({
        method: "POST",
        path: `/api/dynamics/${dynamic.id}/leave`,
        label: "Leave",
        kind: "dynamic",
        dynamic_id: dynamic.id,
        offline: false,
      });
      await trySync(); // home shows pairing once this phone knows it ended; offline, it learns it later
      ctx.go("home");
    } catch (error) {
      button.disabled = false;
      note.fail(error);
    }
  });
  return button;
}

function deleteForm({ dynamic, partnerName, ctx }, note) {
  const password = h("input", { type: "password", id: "delete-password", autocomplete: "current-password" });
  const form = h(
    "form",
    { id: "delete-form" },
    h(
      "p",
      {},
      "Deleting your account erases your check-ins, limits and notifications for good",
      dynamic ? `, and ends your dynamic with ${partnerName}.` : ".",
    ),
    field("Your password", password, "Needed to delete the account."),
    h("button", { type: "submit", class: "danger", id: "delete-account" }, "Delete my account"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    note.clear();
    if (!password.value) return note.fail("Type your password to delete the account.");
    const ok = await confirmDialog({
      title: "Delete your account for good?",
      text: `This cannot be undone. Your account, check-ins and limits are erased${dynamic ? `, and the dynamic with ${partnerName} ends for both of you` : ""}.`,
      confirm: "Delete my account",
      danger: true,
    });
    if (!ok) return;
    try {
      await stopPushes(); // while the account can still unsubscribe this phone
      await write({ method: "DELETE", path: "/api/me", body: { password: password.value }, label: "Delete account", offline: false });
    } catch (error) {
      password.value = "";
      return note.fail(error.code === "wrong_password" ? "That password is not right." : error);
    }
    await signOutHere();
    ctx.render();
  });
  return form;
}

export function endingSection(account) {
  const note = feedback();
  const leave = account.dynamic ? leaveButton(account, note) : null;
  const hint = leave ? h("p", { class: "set-hint" }, "Either of you can end the dynamic at any time.") : null;
  return section("danger", "Ending things", leave, hint, deleteForm(account, note), ...note.nodes);
}
