// Addresses of the screens (frontend/js/routes.js), and the rule that a screen moves on only
// while nobody asked for another address since it was drawn.
import assert from "node:assert/strict";
import { test } from "node:test";
import { address, linkedDynamic, parse, screenGo } from "../../frontend/js/routes.js";

test("an address names a screen and its parameters", () => {
  assert.deepEqual(parse(""), ["home", []]);
  assert.deepEqual(parse("#/protocol/a%20b"), ["protocol", ["a b"]]);
  assert.deepEqual(parse("#/dynamics/d1/checkins"), ["checkins", []]);
  assert.deepEqual(parse("#/protocols/p1"), ["protocol", ["p1"]]);
  assert.deepEqual(parse("#/protocols"), ["protocols", []]);
  assert.equal(address("protocol", ["a b"]), "#/protocol/a%20b");
  assert.equal(address("home"), "#/home");
});

test("a link into one dynamic names it", () => {
  assert.equal(linkedDynamic("#/dynamics/d%201/protocol/p1"), "d 1");
  assert.equal(linkedDynamic("#/dynamics"), null);
  assert.equal(linkedDynamic("#/protocol/p1"), null);
});

test("a screen moves on while its address is the one shown", () => {
  const went = [];
  const go = screenGo(
    "#/home",
    () => "#/home",
    (path) => went.push(path),
  );
  go("pair");
  assert.deepEqual(went, ["pair"]);
});

test("a screen does not move on once another address was asked for", () => {
  const went = [];
  let now = "#/home";
  const go = screenGo(
    "#/home",
    () => now,
    (path) => went.push(path),
  );
  now = "#/outbox"; // a tap on the banner, not routed yet
  go("pair"); // home learning that the dynamic ended
  assert.deepEqual(went, []);
});
