"""A device's side of end-to-end encryption, in PyNaCl: what frontend/js/crypto.js does in the
browser, written independently so the two can check each other (docs/e2ee.md)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import nacl.bindings as sodium
import nacl.hash
import nacl.pwhash
import nacl.utils
from nacl.encoding import RawEncoder
from nacl.public import PrivateKey, PublicKey, SealedBox

KDF_CONTEXT = b"accordrk"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def kdf_subkey(master: bytes, subkey_id: int) -> bytes:
    """libsodium's crypto_kdf_derive_from_key, which is BLAKE2b keyed by the master key with the
    subkey id as salt and the context as personalisation."""
    return nacl.hash.blake2b(
        b"",
        digest_size=32,
        key=master,
        salt=subkey_id.to_bytes(8, "little") + bytes(8),
        person=KDF_CONTEXT + bytes(8),
        encoder=RawEncoder,
    )


# A pair key's subkey for the blind indexes of custom limit items (crypto_kdf, id 1).
LIMITS_CONTEXT = b"accordli"


def limit_index(pair_key: bytes, words: str) -> str:
    """A custom limit item's blind index as the phone makes it: BLAKE2b (crypto_generichash) of
    the item's one name (``item_key``), keyed by the pair key's limits subkey."""
    from app.limits.schemas import item_key

    subkey = nacl.hash.blake2b(
        b"",
        digest_size=32,
        key=pair_key,
        salt=(1).to_bytes(8, "little") + bytes(8),
        person=LIMITS_CONTEXT + bytes(8),
        encoder=RawEncoder,
    )
    digest = nacl.hash.blake2b(
        item_key(words).encode(), digest_size=32, key=subkey, encoder=RawEncoder
    )
    return "b:" + b64(digest)


def recovery_proof(recovery_key: bytes) -> str:
    return b64(kdf_subkey(recovery_key, 2))


def aead_seal(key: bytes, plaintext: bytes, ad: str) -> dict[str, Any]:
    nonce = nacl.utils.random(24)
    cipher = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad.encode(), nonce, key)
    return {"v": 1, "n": b64(nonce), "c": b64(cipher)}


def aead_open(key: bytes, envelope: dict[str, Any], ad: str) -> bytes:
    return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
        unb64(envelope["c"]), ad.encode(), unb64(envelope["n"]), key
    )


def password_key(password: str, salt: str, ops_limit: int, mem_limit: int) -> bytes:
    return nacl.pwhash.argon2id.kdf(32, password.encode(), unb64(salt), ops_limit, mem_limit)


def safety_code(a: str, b: str) -> str:
    """Six groups of five digits from BLAKE2b over both public keys in sorted order."""
    digest = nacl.hash.blake2b(
        b"".join(sorted([unb64(a), unb64(b)])), digest_size=30, encoder=RawEncoder
    )
    groups = [int.from_bytes(digest[i : i + 5], "big") % 100000 for i in range(0, 30, 5)]
    return " ".join(f"{g:05d}" for g in groups)


def password_wrap(
    user_id: str, private_key: bytes, password: str, kdf: dict[str, Any]
) -> dict[str, Any]:
    key = password_key(password, kdf["salt"], kdf["ops_limit"], kdf["mem_limit"])
    sealed = aead_seal(key, private_key, f"account:{user_id}:password")
    return {
        "salt": kdf["salt"],
        "ops_limit": kdf["ops_limit"],
        "mem_limit": kdf["mem_limit"],
        "nonce": sealed["n"],
        "ciphertext": sealed["c"],
    }


def recovery_wrap(user_id: str, private_key: bytes, recovery_key: bytes) -> dict[str, Any]:
    sealed = aead_seal(kdf_subkey(recovery_key, 1), private_key, f"account:{user_id}:recovery")
    return {"nonce": sealed["n"], "ciphertext": sealed["c"]}


def open_password_wrap(user_id: str, wrap: dict[str, Any], password: str) -> bytes:
    key = password_key(password, wrap["salt"], wrap["ops_limit"], wrap["mem_limit"])
    envelope = {"n": wrap["nonce"], "c": wrap["ciphertext"]}
    return aead_open(key, envelope, f"account:{user_id}:password")


def open_recovery_wrap(user_id: str, wrap: dict[str, Any], recovery_key: bytes) -> bytes:
    envelope = {"n": wrap["nonce"], "c": wrap["ciphertext"]}
    return aead_open(kdf_subkey(recovery_key, 1), envelope, f"account:{user_id}:recovery")


def seal_to(public_key: str, message: bytes) -> str:
    return b64(SealedBox(PublicKey(unb64(public_key))).encrypt(message))


def open_sealed(private_key: bytes, sealed: str) -> bytes:
    return SealedBox(PrivateKey(private_key)).decrypt(unb64(sealed))


def pair_key_context(dynamic_id: str, key_id: str, sealer_id: str, recipient_id: str) -> str:
    return f"pair-key:{dynamic_id}:{key_id}:{sealer_id}:{recipient_id}"


def seal_pair_key_for(
    pair_key: bytes, sealer_private: bytes, recipient_public: str, context: str
) -> str:
    """A pair key sealed so that its recipient knows who sealed it: the AEAD under the key
    crypto_box_beforenm gives the sealer's private key and the recipient's public key."""
    shared = sodium.crypto_box_beforenm(unb64(recipient_public), sealer_private)
    sealed = aead_seal(shared, pair_key, context)
    return b64(unb64(sealed["n"]) + unb64(sealed["c"]))


def open_pair_key_from(
    sealed: str, recipient_private: bytes, sealer_public: str, context: str
) -> bytes:
    raw = unb64(sealed)
    shared = sodium.crypto_box_beforenm(unb64(sealer_public), recipient_private)
    return aead_open(shared, {"n": b64(raw[:24]), "c": b64(raw[24:])}, context)


@dataclass
class DeviceKeys:
    """One account's keys as its device holds them after key setup."""

    user_id: str
    private_key: bytes
    public_key: str
    recovery_key: bytes

    @classmethod
    def generate(cls, user_id: str) -> DeviceKeys:
        private = PrivateKey.generate()
        return cls(user_id, bytes(private), b64(bytes(private.public_key)), nacl.utils.random(32))

    def create_body(self, password: str, kdf: dict[str, Any]) -> dict[str, Any]:
        return {
            "public_key": self.public_key,
            "password_wrap": password_wrap(self.user_id, self.private_key, password, kdf),
            "recovery_wrap": recovery_wrap(self.user_id, self.private_key, self.recovery_key),
            "recovery_proof": recovery_proof(self.recovery_key),
        }


def new_pair_key() -> tuple[str, bytes]:
    return b64(nacl.utils.random(16)), nacl.utils.random(32)
