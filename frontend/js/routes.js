// Addresses of the app's screens. Pure: `node --test` imports it.

// "#/protocol/abc" -> ["protocol", ["abc"]]; an empty address is home. Push links may say
// "#/dynamics/ID/<screen>/…", and "#/protocols/ID" is one protocol.
export function parse(hash) {
  let parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "dynamics") parts = parts.slice(2);
  if (parts[0] === "protocols" && parts[1]) parts[0] = "protocol";
  return [parts[0] || "home", parts.slice(1)];
}

// The dynamic a link names ("#/dynamics/ID/…"), or null.
export function linkedDynamic(hash) {
  const parts = hash.replace(/^#\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  return parts[0] === "dynamics" && parts[1] ? parts[1] : null;
}

// The address of a screen: ("protocol", ["a b"]) -> "#/protocol/a%20b".
export function address(name, params = []) {
  return params.length ? `#/${[name, ...params].map(encodeURIComponent).join("/")}` : `#/${name}`;
}

// The go(path) a screen drawn at address `shown` is given: it moves on only while the address
// is still `shown` (`now()` reads it). A tap on a link changes the address at once but is routed
// a moment later, and a screen finishing its drawing meanwhile (home learning that the dynamic
// ended, say) must not send the person somewhere else.
export function screenGo(shown, now, go) {
  return (path) => {
    if (now() === shown) go(path);
  };
}
