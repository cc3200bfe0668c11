// Profile: the name the partner sees, and pronouns.
import { h } from "../../dom.js";
import { feedback, field, saveMe, section } from "./form.js";

// `account`: {me} of the screen, updated when saved.
export function profileSection(account) {
  const name = h("input", {
    type: "text",
    id: "display-name",
    required: true,
    maxlength: 64,
    autocomplete: "nickname",
    value: account.me.display_name,
  });
  const pronouns = h("input", { type: "text", id: "pronouns", maxlength: 32, value: account.me.pronouns || "" });
  const note = feedback();
  const form = h(
    "form",
    { id: "profile-form" },
    field("Your name", name, "What your partner sees."),
    field("Pronouns (optional)", pronouns),
    ...note.nodes,
    h("button", { type: "submit" }, "Save profile"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    note.clear();
    const display = name.value.trim();
    if (!display) return note.fail("Your name cannot be empty.");
    try {
      account.me = await saveMe({ display_name: display, pronouns: pronouns.value.trim() || null });
      note.ok("Profile saved.");
    } catch (error) {
      note.fail(error);
    }
  });
  return section("profile", "Profile", form);
}
