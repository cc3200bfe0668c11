// "Your own items": my custom items of the checklist, and adding one (saved only once answered).
import { alertBox, h } from "../../dom.js";
import { itemKey } from "./words.js";

// isListed(key): whether the item is already on the screen; onAdd(key) puts its row in `customList`.
export function customSection(customList, { isListed, onAdd }) {
  const newItem = h("input", { type: "text", id: "new-item", maxlength: 60, autocomplete: "off" });
  const addError = alertBox();
  const add = h("button", { type: "button", class: "secondary", id: "add-item" }, "Add");
  const refuse = (words) => {
    addError.textContent = words;
  };
  add.addEventListener("click", () => {
    addError.textContent = "";
    const key = itemKey(newItem.value);
    if (!key) return refuse("Type the activity first.");
    if (key.length > 60) return refuse("Keep it to 60 characters.");
    if (isListed(key)) return refuse("That item is already on the list.");
    onAdd(key);
    newItem.value = "";
    customList.lastElementChild.querySelector(".lim-radio").focus();
  });
  newItem.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      add.click();
    }
  });
  return h(
    "section",
    { class: "card", "aria-labelledby": "custom-title" },
    h("h2", { id: "custom-title" }, "Your own items"),
    customList,
    h("div", { class: "set-field" }, h("label", { for: "new-item" }, "Add an activity"), h("div", { class: "lim-inline" }, newItem, add)),
    addError,
    h("p", { class: "set-hint" }, "An item you add is saved only once you answer it."),
  );
}
