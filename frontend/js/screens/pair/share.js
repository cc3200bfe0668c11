// Passing an invite on: the share sheet or the clipboard, and a QR code of its link.
import { h } from "../../dom.js";

const SVG = "http://www.w3.org/2000/svg";
const QR_NAME = "QR code of your invite link";

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
  const svg = el("svg", {
    viewBox: `0 0 ${size} ${size}`,
    role: "img",
    "aria-label": QR_NAME,
    class: "qr",
    "shape-rendering": "crispEdges",
    id: "invite-qr",
  });
  svg.append(el("rect", { x: 0, y: 0, width: size, height: size, fill: "#ffffff" }), el("path", { d, fill: "#000000" }));
  return svg;
}

// Puts the QR code of `url` at the top of `box`, if `stillShown()` once the library is loaded
// (here only, not with every screen); without the library the box goes.
export async function addQr(box, url, stillShown) {
  try {
    const { default: qrcode } = await import("../../../vendor/qrcode-generator/qrcode.mjs");
    if (stillShown()) box.prepend(qrSvg(qrcode, url));
  } catch (error) {
    console.warn("no QR code", error);
    box.remove();
  }
}

function selectText(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
}

// "Share the link" (or "Copy the link" where the browser cannot share); `link` is the link's
// element, selected for copying by hand when there is no clipboard either.
export function shareButton(url, link, status) {
  const canShare = typeof navigator.share === "function";
  const button = h("button", { type: "button", id: "share-invite" }, canShare ? "Share the link" : "Copy the link");
  button.addEventListener("click", async () => {
    status.textContent = "";
    if (canShare) {
      try {
        await navigator.share({ title: "Accord", text: "Join me on Accord", url });
        return;
      } catch (error) {
        if (error?.name === "AbortError") return; // the person closed the share sheet
        // Sharing failed otherwise: copying is offered below instead.
      }
    }
    try {
      await navigator.clipboard.writeText(url);
      status.textContent = "Link copied. Paste it in a message to your partner.";
    } catch {
      // No clipboard here: select the link so that the person can copy it.
      selectText(link);
      status.textContent = "Copying is not possible here: the link is selected, copy it from the menu.";
    }
  });
  return button;
}
