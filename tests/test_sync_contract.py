"""The whole offline contract (docs/sync.md, "Writing while offline"), as a property.

Two partners, each with two devices. A device is a small client: an outbox of writes made
"offline" (each with its own ``Idempotency-Key``, fixed when the write was made, and the
``If-Match`` / version it had read), a local copy built only from the change feed, a cursor, and
what it last read of each protocol. Hypothesis interleaves: offline writes, flushes (in order or
shuffled, with requests sent twice and answers "lost" so they are sent again later), syncs from
the cursor, and two devices flushing at once. At the end every device flushes and syncs, and:

- no duplicate: every write created at most one thing, and a repeat of a write that succeeded
  is answered with the first answer, byte for byte, with ``Idempotent-Replayed: true``;
- no lost write: every write that got a 2xx is in the REST state and in every device's copy;
- every stale edit was refused (412 for a PATCH with an outdated ``If-Match``, 409 for an
  agreement to a version no longer open), never a 2xx, and nothing ever got a 5xx;
- every device's feed copy equals what the REST routes show its member.

An oracle (a GET of the protocol right before a sequential send, or before two devices flush at
once) says what each answer must be; under concurrency, only what is certain whatever the order.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.helpers import Member, pair, register
from tests.helpers.members import sign_in
from tests.test_sync import State, apply, ok, rest_state, sync_pages

DEVICES = ("a1", "a2", "b1", "b2")
KINDS = ("checkin", "propose", "patch", "agree", "respond", "limits")
# Answers after which a client keeps the write and sends it again (docs/sync.md).
TRANSIENT = {
    (409, "idempotency_in_flight"),
    (409, "conflict"),
    (409, "concurrent_change"),
    (503, "database_unavailable"),
}
LIMIT_ITEMS = ("care.praise", "velvet rope", "morning tea ritual", "restraint.rope")
LIMIT_ANSWERS = ("yes", "maybe", "no", "hard_limit")
Outcome = tuple[int, str | None]  # (status, error code or None)


@dataclass
class Attempt:
    status: int
    content: bytes
    replayed: str | None
    code: str | None
    etag: str | None
    allowed: set[Outcome] | None  # None: a repeat of a 2xx, which must be its replay
    concurrent: bool
    sent_seq: int
    done_seq: int

    @property
    def outcome(self) -> Outcome:
        return (self.status, self.code)

    @property
    def success(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return json.loads(self.content)


@dataclass
class Write:
    number: int
    device: str
    kind: str
    method: str
    path: str
    body: dict[str, Any]
    key: str
    if_match: str | None = None
    protocol_id: str | None = None
    version: int | None = None
    marker: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    losses: int = 0

    @property
    def raw(self) -> bytes:
        return json.dumps(self.body).encode()

    @property
    def successes(self) -> list[Attempt]:
        return [a for a in self.attempts if a.success]


@dataclass
class Device:
    name: str
    member: Member
    partner_id: str
    outbox: list[Write] = field(default_factory=list)
    local: State = field(default_factory=dict)
    cursor: str | None = None
    # protocol id -> (etag, version) as last read, from the feed or an answer
    seen: dict[str, tuple[str, int]] = field(default_factory=dict)

    def learn(self, protocol: dict[str, Any]) -> None:
        self.seen[protocol["id"]] = (protocol["etag"], protocol["version"])


def revision(etag: str) -> int:
    return int(etag.strip().removeprefix("W/").strip('"').removeprefix("p"))


@dataclass
class Run:
    client: httpx.AsyncClient
    dynamic_id: str
    devices: dict[str, Device]
    members: dict[str, Member]  # "a", "b": the first session of each
    seed_protocol: str = ""
    writes: list[Write] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    clock: itertools.count[int] = field(default_factory=itertools.count)
    counts: Counter[str] = field(default_factory=Counter)

    def fail(self, message: str) -> None:
        self.violations.append(message)

    # --- making writes offline ------------------------------------------------------------

    def make_write(self, device: Device, kind: str, rng: random.Random) -> Write:
        did = self.dynamic_id
        marker = f"{kind}-{uuid.uuid4().hex[:12]}"
        partner_checkins = sorted(
            ident
            for (entity, ident), data in device.local.items()
            if entity == "checkin" and data["user_id"] == device.partner_id
        )
        protocols = sorted(device.seen)
        write = Write(len(self.writes), device.name, kind, "POST", "", {}, str(uuid.uuid4()))
        if kind == "propose":
            performers = rng.choice(
                [[device.member.id], [device.partner_id], [device.member.id, device.partner_id]]
            )
            write.path = f"/api/dynamics/{did}/protocols"
            write.body = {
                "title": marker,
                "kind": rng.choice(["ritual", "rule", "care"]),
                "performer_ids": performers,
                "schedule": None,
                "review_on": None,
            }
            write.marker = marker
        elif kind == "patch" and protocols:
            pid = rng.choice(protocols)
            write.method, write.path = "PATCH", f"/api/protocols/{pid}"
            write.body = {"title": marker, "description": f"edited on {device.name}"}
            write.if_match, _ = device.seen[pid]
            write.protocol_id, write.marker = pid, marker
        elif kind == "agree" and protocols:
            pid = rng.choice(protocols)
            _, version = device.seen[pid]
            write.path = f"/api/protocols/{pid}/agree"
            write.body = {"version": version}
            write.protocol_id, write.version = pid, version
        elif kind == "respond" and partner_checkins:
            cid = rng.choice(partner_checkins)
            write.path = f"/api/checkins/{cid}/responses"
            write.body = {"kind": rng.choice(["seen", "on_it", "done"]), "note": marker}
            write.marker = marker
        elif kind == "limits":
            items = rng.sample(LIMIT_ITEMS, rng.randint(0, len(LIMIT_ITEMS)))
            write.method, write.path = "PUT", f"/api/dynamics/{did}/limits/mine"
            write.body = {
                "items": [{"item": i, "answer": rng.choice(LIMIT_ANSWERS)} for i in items]
            }
        else:  # a check-in, also when there is nothing yet to edit, agree to or answer
            write.kind, write.path = "checkin", f"/api/dynamics/{did}/checkins"
            marker = f"checkin-{marker.split('-', 1)[1]}"
            write.body = {
                "mood": rng.randint(1, 5),
                "needs": rng.sample(["praise", "rest", "talk", "space"], rng.randint(0, 2)),
                "note": marker,
                "occurred_at": datetime.now(UTC).isoformat(),
            }
            write.marker = marker
        self.writes.append(write)
        device.outbox.append(write)
        self.counts[f"write:{write.kind}"] += 1
        return write

    # --- the oracle ---------------------------------------------------------------------------

    async def protocol_now(self, pid: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/protocols/{pid}", headers=self.members["a"].headers)
        return dict(await ok(response))

    def expected(
        self, write: Write, now: dict[str, Any] | None, *, exact: bool
    ) -> set[Outcome] | None:
        """What the answer may be, from the protocol as read before the send (``now``).

        ``exact``: nothing else runs between that read and the send. Otherwise (two devices
        flushing at once) only what holds in every order: revisions and versions only grow.
        """
        if any(a.success for a in write.attempts):
            return None  # a repeat of a success: its replay
        if write.kind in ("checkin", "propose", "respond"):
            return {(201, None)}
        if write.kind == "limits":
            return {(200, None)}
        assert now is not None
        if write.kind == "patch":
            assert write.if_match is not None
            mine, current = revision(write.if_match), revision(now["etag"])
            if mine > current:
                self.fail(f"write {write.number}: a device read a revision from the future")
            if mine < current:
                return {(412, "etag_mismatch")}
            return {(200, None)} if exact else {(200, None), (412, "etag_mismatch")}
        assert write.kind == "agree" and write.version is not None
        if now["pending"] and now["version"] == write.version:
            if exact:
                return {(200, None)}
            # Meanwhile the version may have been replaced (stale) or agreed by both (active).
            return {(200, None), (409, "stale_version"), (409, "nothing_to_agree")}
        if now["pending"]:
            if exact:
                return {(409, "stale_version")}
            # A concurrent agree by the partner may have activated the pending version meanwhile.
            return {(409, "stale_version"), (409, "nothing_to_agree")}
        if exact:
            return {(409, "nothing_to_agree")}
        return {(409, "nothing_to_agree"), (409, "stale_version")}

    # --- sending ------------------------------------------------------------------------------

    async def send(
        self, device: Device, write: Write, snapshot: dict[str, dict[str, Any]] | None
    ) -> Attempt:
        exact = snapshot is None
        now: dict[str, Any] | None = None
        if write.protocol_id is not None:
            if exact:
                now = await self.protocol_now(write.protocol_id)
            else:
                assert snapshot is not None
                now = snapshot.get(write.protocol_id)
        allowed = self.expected(write, now, exact=exact)
        headers = {
            **device.member.headers,
            "Content-Type": "application/json",
            "Idempotency-Key": write.key,
        }
        if write.if_match is not None:
            headers["If-Match"] = write.if_match
        sent_seq = next(self.clock)
        response = await self.client.request(
            write.method, write.path, content=write.raw, headers=headers
        )
        code = None
        if response.status_code >= 400:
            try:
                code = str(response.json().get("code"))
            except ValueError:
                code = "<not json>"
        attempt = Attempt(
            status=response.status_code,
            content=response.content,
            replayed=response.headers.get("idempotent-replayed"),
            code=code,
            etag=response.headers.get("etag"),
            allowed=allowed,
            concurrent=not exact,
            sent_seq=sent_seq,
            done_seq=next(self.clock),
        )
        write.attempts.append(attempt)
        self.counts["sent"] += 1
        if attempt.status >= 500:
            self.fail(f"write {write.number} ({write.kind}): {attempt.status} {response.text}")
        return attempt

    async def flush(
        self,
        device: Device,
        rng: random.Random,
        *,
        shuffle: bool = False,
        chaos: bool = True,
        snapshot: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        pending = list(device.outbox)
        if shuffle:
            rng.shuffle(pending)
        for write in pending:
            attempt = await self.send(device, write, snapshot)
            if chaos and rng.random() < 0.3:
                # The same request again (a retry after a timeout, a double tap).
                self.counts["sent twice"] += 1
                attempt = await self.send(device, write, snapshot)
            if chaos and write.losses < 2 and rng.random() < 0.2:
                # The answer never arrived: the write stays queued, to be sent again.
                write.losses += 1
                self.counts["lost answers"] += 1
                continue
            if attempt.outcome in TRANSIENT:
                self.counts[f"transient {attempt.outcome}"] += 1
                continue
            device.outbox.remove(write)
            if (
                attempt.success
                and write.kind in ("propose", "patch", "agree")
                and attempt.replayed is None
            ):
                device.learn(attempt.json())

    async def sync(self, device: Device, limit: int = 200) -> None:
        pages, device.cursor = await sync_pages(
            self.client, device.member, device.cursor, limit=limit
        )
        device.local = apply(device.local, pages)
        for (entity, _), data in device.local.items():
            if entity == "protocol":
                device.learn(data)

    async def snapshot(self) -> dict[str, dict[str, Any]]:
        page = await ok(
            await self.client.get(
                f"/api/dynamics/{self.dynamic_id}/protocols",
                params={"limit": 100},
                headers=self.members["a"].headers,
            )
        )
        return {p["id"]: p for p in page["items"]}

    # --- the checks ---------------------------------------------------------------------------

    def check_answers(self, final_revision: dict[str, int]) -> None:
        for write in self.writes:
            first: Attempt | None = None
            for attempt in write.attempts:
                where = f"write {write.number} ({write.kind} on {write.device})"
                if first is not None:
                    if (attempt.status, attempt.content) != (first.status, first.content):
                        self.fail(f"{where}: a repeat of a success answered {attempt.outcome}")
                    elif write.method != "PUT" and attempt.replayed != "true":
                        self.fail(f"{where}: a replay without Idempotent-Replayed: true")
                    continue
                if attempt.replayed is not None:
                    self.fail(f"{where}: Idempotent-Replayed on a first answer ({attempt.outcome})")
                if attempt.allowed is not None and attempt.outcome not in attempt.allowed:
                    self.fail(f"{where}: got {attempt.outcome}, expected one of {attempt.allowed}")
                if attempt.success and write.method != "PUT":
                    first = attempt
                if write.kind == "patch" and write.if_match is not None:
                    if attempt.success and attempt.etag != f'"p{revision(write.if_match) + 1}"':
                        self.fail(f"{where}: If-Match {write.if_match} gave {attempt.etag}")
                    if attempt.status == 412:
                        assert write.protocol_id is not None
                        if final_revision[write.protocol_id] <= revision(write.if_match):
                            self.fail(f"{where}: 412 for an ETag that was never superseded")
                if (
                    write.kind == "agree"
                    and attempt.success
                    and attempt.json()["version"] != write.version
                ):
                    self.fail(f"{where}: agreed to version {write.version}, got another")
            if write.attempts and write.successes and not write.attempts[-1].success:
                self.fail(f"write {write.number}: succeeded, then a repeat was refused")
        # Two edits made from the same revision cannot both win: one would overwrite the other.
        won: Counter[tuple[str | None, str | None]] = Counter(
            (w.protocol_id, w.if_match) for w in self.writes if w.kind == "patch" and w.successes
        )
        for (pid, tag), n in won.items():
            if n > 1:
                self.fail(f"{n} edits of protocol {pid} succeeded from the same ETag {tag}")


steps = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.sampled_from(DEVICES), st.sampled_from(KINDS)),
        st.tuples(st.just("write"), st.sampled_from(DEVICES), st.sampled_from(KINDS)),
        st.tuples(st.just("write"), st.sampled_from(DEVICES), st.sampled_from(KINDS)),
        st.tuples(
            st.just("flush"), st.sampled_from(DEVICES), st.sampled_from(["order", "shuffle"])
        ),
        st.tuples(st.just("sync"), st.sampled_from(DEVICES), st.sampled_from(["1", "3", "200"])),
        st.tuples(st.just("together"), st.sampled_from(DEVICES), st.sampled_from(DEVICES)),
    ),
    min_size=15,
    max_size=40,
)


async def start(client: httpx.AsyncClient) -> Run:
    """Fresh partners for each example, so examples never see each other's data."""
    alice = await register(client, "Alice")
    bob = await register(client, "Bob")
    did = await pair(client, alice, bob)
    sessions = {
        "a1": alice,
        "a2": await sign_in(client, alice),
        "b1": bob,
        "b2": await sign_in(client, bob),
    }
    devices = {
        name: Device(name, member, bob.id if name[0] == "a" else alice.id)
        for name, member in sessions.items()
    }
    run = Run(client, did, devices, {"a": alice, "b": bob})
    # One protocol everyone knows, so that edits and agreements have something to aim at.
    seeded = await ok(
        await client.post(
            f"/api/dynamics/{did}/protocols",
            json={"title": "Seed", "kind": "ritual", "performer_ids": [bob.id]},
            headers=alice.idem(),
        ),
        201,
    )
    run.seed_protocol = seeded["id"]
    for device in devices.values():
        await run.sync(device)
    return run


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=steps, seed=st.integers(0, 2**32 - 1))
async def test_the_offline_contract_holds(
    client: httpx.AsyncClient, plan: list[tuple[str, str, str]], seed: int
) -> None:
    rng = random.Random(seed)
    run = await start(client)
    for action, name, arg in plan:
        device = run.devices[name]
        if action == "write":
            run.make_write(device, arg, rng)
        elif action == "flush":
            await run.flush(device, rng, shuffle=arg == "shuffle")
        elif action == "sync":
            await run.sync(device, int(arg))
        else:
            other = run.devices[arg]
            if other is device:
                other = run.devices[DEVICES[(DEVICES.index(name) + 1) % len(DEVICES)]]
            snapshot = await run.snapshot()
            run.counts["together"] += 1
            await asyncio.gather(
                run.flush(device, random.Random(rng.random()), snapshot=snapshot),
                run.flush(other, random.Random(rng.random()), shuffle=True, snapshot=snapshot),
            )

    # Everyone comes online for good: every queue drains, then every device syncs.
    for _ in range(5):
        for device in run.devices.values():
            await run.flush(device, rng, chaos=False)
    for device in run.devices.values():
        assert device.outbox == [], f"{device.name} could not drain its outbox"
        await run.sync(device, rng.choice([2, 200]))

    did = run.dynamic_id
    rest = {who: await rest_state(client, member) for who, member in run.members.items()}
    shared = rest["a"]

    # No duplicate and no lost write: each check-in and each answer exactly once if its write
    # succeeded, not at all otherwise, under the id its first answer gave.
    for entity, kind in (("checkin", "checkin"), ("checkin_response", "respond")):
        found = Counter(d["note"] for (e, _), d in shared.items() if e == entity)
        ids = {d["note"]: i for (e, i), d in shared.items() if e == entity}
        for write in (w for w in run.writes if w.kind == kind):
            wanted = 1 if write.successes else 0
            if found[write.marker] != wanted:
                run.fail(f"{write.marker}: {found[write.marker]} in REST, expected {wanted}")
            elif wanted and ids[write.marker] != write.successes[0].json()["id"]:
                run.fail(f"{write.marker}: stored under another id than its answer said")
            for device in run.devices.values():
                copies = [d for (e, _), d in device.local.items() if e == entity]
                if sum(d["note"] == write.marker for d in copies) != wanted:
                    run.fail(f"{write.marker}: not exactly {wanted} in {device.name}'s copy")
    proposed = [
        w.successes[0].json()["id"] for w in run.writes if w.kind == "propose" and w.successes
    ]
    if len(set(proposed)) != len(proposed):
        run.fail("two proposals share an id")
    protocols = {i for (e, i) in shared if e == "protocol"}
    if protocols != {*proposed, run.seed_protocol}:
        run.fail(f"{len(protocols)} protocols for {len(proposed)} proposals and the seed")
    titles: dict[str, Counter[str]] = {}
    for pid in protocols:
        history = await ok(
            await client.get(f"/api/protocols/{pid}/history", headers=run.members["a"].headers)
        )
        titles[pid] = Counter(v["title"] for v in history["versions"])
    for write in (w for w in run.writes if w.kind == "patch"):
        assert write.protocol_id is not None and write.marker is not None
        wanted = 1 if write.successes else 0
        if titles[write.protocol_id][write.marker] != wanted:
            run.fail(f"{write.marker}: {titles[write.protocol_id][write.marker]} versions")
    # Limits are last-write-wins: the final answers are a PUT that no later PUT followed.
    for who, member in run.members.items():
        puts = [
            (w, a)
            for w in run.writes
            if w.kind == "limits" and w.device[0] == who
            for a in w.attempts
            if a.success
        ]
        mine = {e["item"]: e["answer"] for e in rest[who][("limits", did)]["mine"]}
        last = [w.body for w, a in puts if not any(b.sent_seq > a.done_seq for _, b in puts)]
        expected = [{e["item"]: e["answer"] for e in body["items"]} for body in last] or [{}]
        if mine not in expected:
            run.fail(f"{member.name}'s limits are {mine}, not the last write {expected}")

    # Every answer was the one the contract promises.
    run.check_answers({pid: revision(shared[("protocol", pid)]["etag"]) for pid in protocols})

    # The feed copy of every device is what the REST routes show its member.
    for device in run.devices.values():
        truth = rest[device.name[0]]
        if device.local != truth:
            extra = device.local.keys() ^ truth.keys()
            differ = [k for k in device.local.keys() & truth.keys() if device.local[k] != truth[k]]
            run.fail(f"{device.name}'s feed copy is not REST: extra {extra}, differ {differ}")

    outcomes = Counter(
        f"{w.kind}:{a.status}{'/' + a.code if a.code else ''}{'/replayed' if a.replayed else ''}"
        for w in run.writes
        for a in w.attempts
    )
    for name in sorted({**run.counts, **outcomes}):
        event(name)
    assert not run.violations, "\n".join(run.violations) + f"\n{dict(run.counts)}"
