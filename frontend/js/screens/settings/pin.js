// The PIN lock of this phone: set, change or remove it.
import { confirmDialog, h } from "../../dom.js";
import { hasPin, removePin, setPin, validPin } from "../../pin.js";
import { feedback, field, section } from "./form.js";

function pinInput(id) {
  return h("input", { type: "password", id, inputmode: "numeric", autocomplete: "off", maxlength: 8, pattern: "[0-9]*" });
}

export async function pinSection() {
  const state = h("p", { id: "pin-state" });
  const [pin1, pin2] = [pinInput("pin-new"), pinInput("pin-repeat")];
  const submit = h("button", { type: "submit", id: "pin-save" }, "Set PIN");
  const remove = h("button", { type: "button", class: "secondary", id: "pin-remove" }, "Remove PIN");
  const note = feedback();
  const show = async () => {
    const has = await hasPin();
    state.textContent = has
      ? "A PIN locks Accord on this phone when it opens and after five minutes away."
      : "No PIN: anyone holding this phone unlocked can open Accord.";
    submit.textContent = has ? "Change PIN" : "Set PIN";
    remove.hidden = !has;
  };
  const form = h(
    "form",
    { id: "pin-form" },
    state,
    field("New PIN (4 to 8 digits)", pin1),
    field("New PIN again", pin2),
    ...note.nodes,
    h("div", { class: "actions" }, submit, remove),
    h("p", { class: "set-hint" }, "The PIN stays on this phone. After ten wrong tries, Accord signs this phone out and erases its copy."),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    note.clear();
    if (!validPin(pin1.value)) return note.fail("A PIN is 4 to 8 digits.");
    if (pin1.value !== pin2.value) return note.fail("The two PINs are not the same. Type it again.");
    const had = await hasPin();
    try {
      await setPin(pin1.value);
    } catch (error) {
      return note.fail(error);
    }
    pin1.value = "";
    pin2.value = "";
    await show();
    note.ok(had ? "PIN changed." : "PIN set. Accord will ask for it when it opens.");
  });
  remove.addEventListener("click", async () => {
    const text = "Anyone holding this phone unlocked will be able to open Accord.";
    if (!(await confirmDialog({ title: "Remove the PIN?", text, confirm: "Remove PIN", danger: true }))) return;
    await removePin();
    await show();
    note.ok("PIN removed.");
  });
  await show();
  return section("pin", "PIN lock on this phone", form);
}
