"""End-to-end encryption keys: the server keeps public keys, wrapped private keys and sealed pair
keys, and can use none of them (docs/e2ee.md)."""
