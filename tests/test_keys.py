"""Keys for end-to-end encrypted words, through the real app on SQLite and PostgreSQL, with a
device played by PyNaCl (tests/e2ee.py): the server keeps only what it cannot use, hands each
member only their own copy, refuses malformed keys by name, and the recovery kit brings back a
forgotten password without the server ever holding the key."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from pathlib import Path
from typing import Any

import httpx
import nacl.exceptions
import nacl.utils
import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from app.core.config import Settings
from app.core.envelopes import Envelope
from app.keys.models import AccountKeys, SealedPairKey
from tests import e2ee
from tests.conftest import app_on, asgi_client
from tests.helpers import PASSWORD, Member, error_code, pair, register
from tests.helpers.keys import kdf, seal_pair_key, set_up_keys


async def _dynamic_keys(client: httpx.AsyncClient, member: Member, dynamic_id: str) -> Any:
    response = await client.get(f"/api/dynamics/{dynamic_id}/keys", headers=member.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _seal(
    client: httpx.AsyncClient, sealer: Member, dynamic_id: str, to: list[tuple[str, str]]
) -> tuple[httpx.Response, bytes]:
    key_id, pair_key = e2ee.new_pair_key()
    body = {
        "key_id": key_id,
        "sealed": [{"user_id": uid, "sealed_key": e2ee.seal_to(pk, pair_key)} for uid, pk in to],
    }
    response = await client.post(
        f"/api/dynamics/{dynamic_id}/pair-key", json=body, headers=sealer.idem()
    )
    return response, pair_key


async def test_key_setup_keeps_only_wrapped_keys(
    app: Any, client: httpx.AsyncClient, alice: Member
) -> None:
    missing = await client.get("/api/keys/mine", headers=alice.headers)
    assert missing.status_code == 204 and missing.content == b""
    first, second = await kdf(client, alice), await kdf(client, alice)
    assert first["salt"] != second["salt"]  # a fresh salt for every wrap
    # The suite's limits (cheap); the defaults have their own test below.
    assert (first["ops_limit"], first["mem_limit"], first["alg"]) == (1, 8 << 20, "argon2id13")

    keys = await set_up_keys(client, alice)
    mine = (await client.get("/api/keys/mine", headers=alice.headers)).json()
    assert mine["public_key"] == keys.public_key
    # The password unwraps it on the device; nothing else does.
    assert e2ee.open_password_wrap(alice.id, mine["password_wrap"], PASSWORD) == keys.private_key
    assert e2ee.open_recovery_wrap(alice.id, mine["recovery_wrap"], keys.recovery_key) == (
        keys.private_key
    )
    with pytest.raises(nacl.exceptions.CryptoError):
        e2ee.open_password_wrap(alice.id, mine["password_wrap"], PASSWORD + "!")
    # A wrap is bound to its account: under another user id it does not open.
    with pytest.raises(nacl.exceptions.CryptoError):
        e2ee.open_password_wrap(str(uuid.uuid4()), mine["password_wrap"], PASSWORD)
    assert "recovery_proof" not in str(mine)
    # Stored: the proof's hash, never the proof, and no key in clear.
    async with app.state.db.reader() as reader:
        row = (await reader.execute(select(AccountKeys))).scalar_one()
    proof = e2ee.recovery_proof(keys.recovery_key)
    assert row.recovery_proof_hash == hashlib.sha256(e2ee.unb64(proof)).hexdigest()
    stored = " ".join(str(v) for v in row.model_dump().values())
    for secret in (proof, e2ee.b64(keys.private_key), e2ee.b64(keys.recovery_key)):
        assert secret not in stored

    again = await client.post(
        "/api/keys/mine",
        json=e2ee.DeviceKeys.generate(alice.id).create_body(PASSWORD, first),
        headers=alice.idem(),
    )
    assert again.status_code == 409 and error_code(again) == "keys_exist"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b: b.update(public_key=e2ee.b64(bytes(31))), "public_key"),
        (lambda b: b.update(public_key="+" * 43), "public_key"),
        (lambda b: b["password_wrap"].update(ops_limit=0), "ops_limit"),
        (lambda b: b["password_wrap"].update(mem_limit=1 << 20), "mem_limit"),
        (lambda b: b["password_wrap"].update(ops_limit=7), "ops_limit"),
        (lambda b: b["password_wrap"].update(mem_limit=(256 << 20) + 1), "mem_limit"),
        (lambda b: b["password_wrap"].update(salt=e2ee.b64(bytes(8))), "salt"),
        (lambda b: b["recovery_wrap"].update(nonce=e2ee.b64(bytes(12))), "nonce"),
        (lambda b: b["recovery_wrap"].update(ciphertext="A" * 65), "ciphertext"),
        (lambda b: b.update(recovery_proof=None), "recovery_proof"),
        (lambda b: b.update(private_key="x"), "private_key"),
    ],
)
async def test_malformed_keys_are_422_naming_the_field(
    client: httpx.AsyncClient, alice: Member, change: Any, field: str
) -> None:
    body = e2ee.DeviceKeys.generate(alice.id).create_body(PASSWORD, await kdf(client, alice))
    change(body)
    response = await client.post("/api/keys/mine", json=body, headers=alice.idem())
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"][0]["loc"]


def test_envelopes_are_checked_for_shape_and_size() -> None:
    key = bytes(32)
    good = e2ee.aead_seal(key, b"a note", "checkin:1:note")
    assert Envelope.model_validate(good).c == good["c"]
    for bad in (
        {**good, "v": 2},
        {**good, "n": e2ee.b64(bytes(12))},
        {**good, "c": e2ee.b64(bytes(15))},  # shorter than the tag
        {**good, "c": e2ee.b64(bytes(48 * 1024 + 17))},
        {**good, "c": "not base64!"},
        {**good, "extra": 1},
    ):
        with pytest.raises(ValidationError):
            Envelope.model_validate(bad)


async def test_pair_key_is_sealed_to_both_and_read_only_by_members(
    app: Any, client: httpx.AsyncClient, alice: Member, bob: Member, eve: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    assert (await _dynamic_keys(client, alice, dynamic_id))["state"] == "waiting"
    alice_keys = await set_up_keys(client, alice)
    early, _ = await _seal(client, alice, dynamic_id, [(alice.id, alice_keys.public_key)])
    assert early.status_code == 409 and error_code(early) == "partner_without_keys"
    bob_keys = await set_up_keys(client, bob)
    view = await _dynamic_keys(client, bob, dynamic_id)
    assert view["state"] == "ready_to_seal" and view["pair_key"] is None
    assert {m["user_id"]: m["public_key"] for m in view["members"]} == {
        alice.id: alice_keys.public_key,
        bob.id: bob_keys.public_key,
    }

    half, _ = await _seal(client, alice, dynamic_id, [(alice.id, alice_keys.public_key)])
    assert half.status_code == 422 and error_code(half) == "sealed_members"
    to_both = [(alice.id, alice_keys.public_key), (bob.id, bob_keys.public_key)]
    sealed, pair_key = await _seal(client, alice, dynamic_id, to_both)
    assert sealed.status_code == 201, sealed.text
    # Bob's phone, a moment later, is handed the pair key that won (his copy), and its own is
    # not stored.
    late, _ = await _seal(client, bob, dynamic_id, to_both)
    assert late.status_code == 200, late.text
    assert late.json()["pair_key"]["sealed_by"] == alice.id
    assert e2ee.open_sealed(bob_keys.private_key, late.json()["pair_key"]["sealed_key"]) == pair_key

    # Each opens their own copy and gets the same key; a note written by one opens for the other.
    alice_view = await _dynamic_keys(client, alice, dynamic_id)
    bob_view = await _dynamic_keys(client, bob, dynamic_id)
    assert alice_view["state"] == bob_view["state"] == "sealed"
    assert alice_view["pair_key"]["key_id"] == bob_view["pair_key"]["key_id"]
    assert alice_view["pair_key"]["sealed_key"] != bob_view["pair_key"]["sealed_key"]
    assert e2ee.open_sealed(bob_keys.private_key, bob_view["pair_key"]["sealed_key"]) == pair_key
    assert e2ee.open_sealed(alice_keys.private_key, alice_view["pair_key"]["sealed_key"]) == (
        pair_key
    )
    with pytest.raises(nacl.exceptions.CryptoError):
        e2ee.open_sealed(alice_keys.private_key, bob_view["pair_key"]["sealed_key"])
    # Both phones compute the same safety code from the keys they were given.
    assert e2ee.safety_code(alice_keys.public_key, bob_keys.public_key) == e2ee.safety_code(
        bob_keys.public_key, alice_keys.public_key
    )

    # The outsider learns nothing, not even that the dynamic exists.
    for response in (
        await client.get(f"/api/dynamics/{dynamic_id}/keys", headers=eve.headers),
        (await _seal(client, eve, dynamic_id, to_both))[0],
    ):
        assert response.status_code == 404 and error_code(response) == "not_found"

    # The export holds the account's keys as stored (wrapped, sealed) and only its own copy.
    exported = (await client.get("/api/me/export", headers=alice.headers)).json()["keys"]
    assert exported["account"]["public_key"] == alice_keys.public_key
    assert "recovery_proof" not in str(exported)
    assert [(c["dynamic_id"], c["sealed_key"]) for c in exported["pair_keys"]] == [
        (dynamic_id, alice_view["pair_key"]["sealed_key"])
    ]
    assert (await client.get("/api/me/export", headers=eve.headers)).json()["keys"] == {
        "account": None,
        "pair_keys": [],
    }

    # Deleting an account deletes its keys and its copy; the partner's copy stays.
    gone = await client.request(
        "DELETE", "/api/me", json={"password": PASSWORD}, headers=bob.headers
    )
    assert gone.status_code == 204, gone.text
    async with app.state.db.reader() as reader:
        assert await reader.scalar(select(func.count()).select_from(AccountKeys)) == 1
        copies = list((await reader.execute(select(SealedPairKey))).scalars())
    assert [str(c.user_id) for c in copies] == [alice.id]


async def test_a_forgotten_password_comes_back_with_the_kit(
    client: httpx.AsyncClient, alice: Member, eve: Member
) -> None:
    keys = await set_up_keys(client, alice)
    await set_up_keys(client, eve)
    proof = e2ee.recovery_proof(keys.recovery_key)
    wrong = e2ee.recovery_proof(nacl.utils.random(32))
    for email, given in ((alice.email, wrong), ("nobody@example.org", proof), (eve.email, proof)):
        refused = await client.post(
            "/api/keys/recovery-wrap", json={"email": email, "recovery_proof": given}
        )
        assert refused.status_code == 403 and error_code(refused) == "recovery_refused"

    step1 = await client.post(
        "/api/keys/recovery-wrap", json={"email": alice.email.upper(), "recovery_proof": proof}
    )
    assert step1.status_code == 200, step1.text
    assert step1.json()["user_id"] == alice.id
    private = e2ee.open_recovery_wrap(alice.id, step1.json()["recovery_wrap"], keys.recovery_key)
    assert private == keys.private_key

    new_password = "a brand new passphrase"
    wrap = e2ee.password_wrap(alice.id, private, new_password, step1.json()["kdf"])
    body = {
        "email": alice.email,
        "recovery_proof": proof,
        "new_password": new_password,
        "password_wrap": wrap,
    }
    bad = await client.post("/api/keys/recover", json={**body, "recovery_proof": wrong})
    assert bad.status_code == 403 and error_code(bad) == "recovery_refused"
    recovered = await client.post("/api/keys/recover", json=body)
    assert recovered.status_code == 200, recovered.text
    assert recovered.json()["user"]["id"] == alice.id
    assert recovered.json()["keys"]["public_key"] == keys.public_key

    # Every earlier session has ended; the new password signs in and unwraps the same key.
    old_session = await client.get("/api/me", headers=alice.headers)
    assert old_session.status_code == 401
    old_password = await client.post(
        "/api/auth/login", json={"email": alice.email, "password": PASSWORD}
    )
    assert old_password.status_code == 401
    signed_in = await client.post(
        "/api/auth/login", json={"email": alice.email, "password": new_password}
    )
    assert signed_in.status_code == 200
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    mine = (await client.get("/api/keys/mine", headers=headers)).json()
    assert e2ee.open_password_wrap(alice.id, mine["password_wrap"], new_password) == (
        keys.private_key
    )


async def test_wrong_kits_are_throttled_like_passwords(
    client: httpx.AsyncClient, alice: Member
) -> None:
    await set_up_keys(client, alice)
    wrong = {"email": alice.email, "recovery_proof": e2ee.b64(bytes(32))}
    codes = [
        (await client.post("/api/keys/recovery-wrap", json=wrong)).status_code for _ in range(6)
    ]
    assert codes == [403] * 5 + [429]


async def test_a_new_kit_replaces_the_old_and_a_password_change_rewraps(
    client: httpx.AsyncClient, alice: Member
) -> None:
    keys = await set_up_keys(client, alice)
    old_proof = e2ee.recovery_proof(keys.recovery_key)
    new_kit = nacl.utils.random(32)
    replaced = await client.put(
        "/api/keys/mine/recovery",
        json={
            "current_password": PASSWORD,
            "recovery_wrap": e2ee.recovery_wrap(alice.id, keys.private_key, new_kit),
            "recovery_proof": e2ee.recovery_proof(new_kit),
        },
        headers=alice.headers,
    )
    assert replaced.status_code == 200, replaced.text
    for proof, status in ((old_proof, 403), (e2ee.recovery_proof(new_kit), 200)):
        answer = await client.post(
            "/api/keys/recovery-wrap", json={"email": alice.email, "recovery_proof": proof}
        )
        assert answer.status_code == status, answer.text

    new_password = "another good passphrase"
    changed = await client.patch(
        "/api/me",
        json={"current_password": PASSWORD, "new_password": new_password},
        headers=alice.headers,
    )
    assert changed.status_code == 200, changed.text
    wrap = e2ee.password_wrap(alice.id, keys.private_key, new_password, await kdf(client, alice))
    rewrapped = await client.put(
        "/api/keys/mine/password-wrap",
        json={"current_password": new_password, "password_wrap": wrap},
        headers=alice.headers,
    )
    assert rewrapped.status_code == 200, rewrapped.text
    mine = (await client.get("/api/keys/mine", headers=alice.headers)).json()
    assert e2ee.open_password_wrap(alice.id, mine["password_wrap"], new_password) == (
        keys.private_key
    )


async def test_a_stolen_token_cannot_replace_the_kit_or_the_wrap(
    client: httpx.AsyncClient, alice: Member
) -> None:
    """Replacing the kit or the password wrap is a way into the account (the kit then recovers
    it with a new password, ending the owner's sessions): the token alone is not enough."""
    await set_up_keys(client, alice)
    thief_kit = nacl.utils.random(32)
    garbage = {"nonce": e2ee.b64(nacl.utils.random(24)), "ciphertext": e2ee.b64(bytes(48))}
    params = await kdf(client, alice)
    wrap = {k: params[k] for k in ("salt", "ops_limit", "mem_limit")} | garbage
    attempts: dict[str, dict[str, Any]] = {
        "/api/keys/mine/recovery": {
            "recovery_wrap": garbage,
            "recovery_proof": e2ee.recovery_proof(thief_kit),
        },
        "/api/keys/mine/password-wrap": {"password_wrap": wrap},
    }
    for path, body in attempts.items():
        bare = await client.put(path, json=body, headers=alice.headers)
        assert bare.status_code == 422 and "current_password" in bare.text, bare.text
        wrong = await client.put(
            path, json={**body, "current_password": "a guess"}, headers=alice.headers
        )
        assert wrong.status_code == 403 and error_code(wrong) == "wrong_password", wrong.text
    taken = await client.post(
        "/api/keys/recover",
        json={
            "email": alice.email,
            "recovery_proof": e2ee.recovery_proof(thief_kit),
            "new_password": "the thief's own passphrase",
            "password_wrap": wrap,
        },
    )
    assert taken.status_code == 403, taken.text
    assert (await client.get("/api/me", headers=alice.headers)).status_code == 200


async def test_a_copy_sealed_by_a_member_says_who_sealed_it(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    """Authenticated copies (docs/e2ee.md, "Pair key"): the server stores who sealed each copy,
    and the recipient opens it only with that member's public key and this dynamic's names."""
    dynamic_id = await pair(client, alice, bob)
    alice_keys, bob_keys = await set_up_keys(client, alice), await set_up_keys(client, bob)
    key_id, pair_key = e2ee.new_pair_key()

    def copy(user_id: str, public_key: str) -> dict[str, str]:
        context = e2ee.pair_key_context(dynamic_id, key_id, alice.id, user_id)
        sealed = e2ee.seal_pair_key_for(pair_key, alice_keys.private_key, public_key, context)
        return {"user_id": user_id, "sealed_key": sealed}

    copies = [copy(alice.id, alice_keys.public_key), copy(bob.id, bob_keys.public_key)]
    odd = [copies[0], {**copies[1], "sealed_key": e2ee.b64(bytes(73))}]
    refused = await client.post(
        f"/api/dynamics/{dynamic_id}/pair-key",
        json={"key_id": key_id, "sealed": odd},
        headers=alice.idem(),
    )
    assert refused.status_code == 422 and "sealed_key" in refused.text, refused.text
    made = await client.post(
        f"/api/dynamics/{dynamic_id}/pair-key",
        json={"key_id": key_id, "sealed": copies},
        headers=alice.idem(),
    )
    assert made.status_code == 201, made.text
    mine = (await _dynamic_keys(client, bob, dynamic_id))["pair_key"]
    assert mine["sealed_by"] == alice.id
    context = e2ee.pair_key_context(dynamic_id, key_id, alice.id, bob.id)
    opened = e2ee.open_pair_key_from(
        mine["sealed_key"], bob_keys.private_key, alice_keys.public_key, context
    )
    assert opened == pair_key
    # Bob's device, a moment late with a pair key of its own, is handed Alice's and opens it.
    to_both = {alice.id: alice_keys.public_key, bob.id: bob_keys.public_key}
    late = await seal_pair_key(client, bob, dynamic_id, to_both, partner_may_be_first=bob_keys)
    assert late == pair_key
    # A copy an operator sealed with a key of its own does not open as Alice's.
    forged = e2ee.seal_pair_key_for(
        nacl.utils.random(32), nacl.utils.random(32), bob_keys.public_key, context
    )
    with pytest.raises(nacl.exceptions.CryptoError):
        e2ee.open_pair_key_from(forged, bob_keys.private_key, alice_keys.public_key, context)

    # The copy keeps its sealer's public key: once Alice deletes her account (her key set goes
    # with it, and the dynamic ends), Bob's copy still opens, so his words there stay his.
    assert mine["sealer_public_key"] == alice_keys.public_key
    gone = await client.request(
        "DELETE", "/api/me", json={"password": PASSWORD}, headers=alice.headers
    )
    assert gone.status_code == 204, gone.text
    after = await _dynamic_keys(client, bob, dynamic_id)
    assert [m["public_key"] for m in after["members"] if m["user_id"] != bob.id] in ([], [None])
    kept = after["pair_key"]
    assert kept["sealed_by"] is None and kept["sealer_id"] == alice.id
    assert kept["sealer_public_key"] == alice_keys.public_key
    assert (
        e2ee.open_pair_key_from(
            kept["sealed_key"], bob_keys.private_key, kept["sealer_public_key"], context
        )
        == pair_key
    )


async def test_keys_need_a_signed_in_caller(client: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/api/keys/kdf"),
        ("GET", "/api/keys/mine"),
        ("PUT", "/api/keys/mine/password-wrap"),
    ):
        assert (await client.request(method, path)).status_code == 401


async def test_two_phones_sealing_at_once_agree_on_one_pair_key(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    alice_keys, bob_keys = await set_up_keys(client, alice), await set_up_keys(client, bob)
    to_both = [(alice.id, alice_keys.public_key), (bob.id, bob_keys.public_key)]
    (first, first_key), (second, second_key) = await asyncio.gather(
        _seal(client, alice, dynamic_id, to_both), _seal(client, bob, dynamic_id, to_both)
    )
    # One is stored; the other phone is answered with its copy of the one that won.
    assert sorted([first.status_code, second.status_code]) == [200, 201]
    won = first_key if first.status_code == 201 else second_key
    for member, keys, answer in ((alice, alice_keys, first), (bob, bob_keys, second)):
        copy = (await _dynamic_keys(client, member, dynamic_id))["pair_key"]
        assert e2ee.open_sealed(keys.private_key, copy["sealed_key"]) == won
        assert answer.json()["pair_key"] == copy


async def test_a_phone_that_loses_the_race_at_the_insert_gets_the_key_that_won(
    client: httpx.AsyncClient, alice: Member, bob: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The moment the two requests cross: Bob's found no pair key, then Alice's was stored
    before his insert. His copies are refused by the unique pair, only his savepoint is rolled
    back, and he is answered with the key that won (his request's transaction goes on and
    commits: a retry with the same key replays the same answer)."""
    dynamic_id = await pair(client, alice, bob)
    alice_keys, bob_keys = await set_up_keys(client, alice), await set_up_keys(client, bob)
    to_both = [(alice.id, alice_keys.public_key), (bob.id, bob_keys.public_key)]
    stored, won = await _seal(client, alice, dynamic_id, to_both)
    assert stored.status_code == 201, stored.text

    from app.keys import repository

    real = repository.sealed_copies
    looks: list[int] = []

    async def before_alice_stored(session: Any, dynamic: Any) -> Any:
        looks.append(1)
        return [] if len(looks) == 1 else await real(session, dynamic)

    monkeypatch.setattr(repository, "sealed_copies", before_alice_stored)
    key_id, late_key = e2ee.new_pair_key()
    body = {
        "key_id": key_id,
        "sealed": [{"user_id": u, "sealed_key": e2ee.seal_to(pk, late_key)} for u, pk in to_both],
    }
    headers = bob.idem()
    late = await client.post(f"/api/dynamics/{dynamic_id}/pair-key", json=body, headers=headers)
    monkeypatch.undo()
    # The first look missed Alice's key; the insert met it, and the service looked again (and
    # so did the answer it built): without the savepoint branch there would be no third look.
    assert len(looks) == 3
    assert late.status_code == 200, late.text
    assert e2ee.open_sealed(bob_keys.private_key, late.json()["pair_key"]["sealed_key"]) == won
    again = await client.post(f"/api/dynamics/{dynamic_id}/pair-key", json=body, headers=headers)
    assert (again.status_code, again.json()) == (200, late.json())
    assert again.headers.get("Idempotent-Replayed") == "true"


async def test_an_ended_dynamic_gets_no_pair_key(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    dynamic_id = await pair(client, alice, bob)
    alice_keys, bob_keys = await set_up_keys(client, alice), await set_up_keys(client, bob)
    left = await client.post(f"/api/dynamics/{dynamic_id}/leave", json={}, headers=bob.idem())
    assert left.status_code == 200, left.text
    to_both = [(alice.id, alice_keys.public_key), (bob.id, bob_keys.public_key)]
    refused, _ = await _seal(client, alice, dynamic_id, to_both)
    assert refused.status_code == 409 and error_code(refused) == "dynamic_ended"


async def test_the_join_screen_gets_the_inviters_key_as_the_invite_is_seen(
    client: httpx.AsyncClient, alice: Member, bob: Member
) -> None:
    carol = await register(client, "Carol")
    invite = await client.post("/api/invites", json={}, headers=alice.headers)
    code = invite.json()["code"]
    url = f"/api/invites/{code}/key"
    # Before Alice has keys: her id, no key (the join screen then shows no key code).
    before = await client.get(url, headers=bob.headers)
    assert before.json() == {"user_id": alice.id, "public_key": None}, before.text
    alice_keys = await set_up_keys(client, alice)
    seen = await client.get(url, headers=bob.headers)
    assert seen.json() == {"user_id": alice.id, "public_key": alice_keys.public_key}
    # Unknown codes are 404, no caller 401, a spent invite 410 for anyone but its inviter.
    assert (await client.get("/api/invites/ZZZZZZZZ/key", headers=bob.headers)).status_code == 404
    assert (await client.get(url)).status_code == 401
    joined = await client.post(f"/api/invites/{code}/accept", json={}, headers=bob.headers)
    assert joined.status_code == 201, joined.text
    spent = await client.get(url, headers=carol.headers)
    assert spent.status_code == 410 and error_code(spent) == "invite_accepted", spent.text
    assert (await client.get(url, headers=alice.headers)).status_code == 200


async def test_the_server_hands_out_and_takes_no_lighter_wrap_than_its_settings(
    database_url: str, tmp_path: Path, alice: Member
) -> None:
    defaults = Settings(data_dir=tmp_path, database_url="", secret_key="")
    assert (defaults.key_wrap_ops_limit, defaults.key_wrap_memory_kib) == (2, 64 * 1024)
    # An app with the defaults: 2 passes of 64 MiB handed out, and nothing lighter taken.
    async with (
        app_on(database_url, tmp_path, key_wrap_ops_limit=2, key_wrap_memory_kib=65_536) as heavy,
        asgi_client(heavy) as client,
    ):
        params = await kdf(client, alice)
        assert (params["ops_limit"], params["mem_limit"]) == (2, 64 << 20)
        keys = e2ee.DeviceKeys.generate(alice.id)
        for light, field in (
            ({**params, "ops_limit": 1}, "ops_limit"),
            ({**params, "mem_limit": 32 << 20}, "mem_limit"),
        ):
            refused = await client.post(
                "/api/keys/mine", json=keys.create_body(PASSWORD, light), headers=alice.idem()
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["errors"][0]["loc"] == ["body", "password_wrap", field]
            assert refused.json()["errors"][0]["type"] == "weak_wrap"
        made = await client.post(
            "/api/keys/mine", json=keys.create_body(PASSWORD, params), headers=alice.idem()
        )
        assert made.status_code == 201, made.text
        # A re-wrap (a password change) is held to the same floor.
        light = e2ee.password_wrap(alice.id, keys.private_key, PASSWORD, {**params, "ops_limit": 1})
        rewrap = await client.put(
            "/api/keys/mine/password-wrap",
            json={"current_password": PASSWORD, "password_wrap": light},
            headers=alice.headers,
        )
        assert rewrap.status_code == 422 and "ops_limit" in rewrap.json()["errors"][0]["loc"]
