#!/usr/bin/env python3
"""Reads JSON that the Rust `emit_vectors` example printed and checks it with argon2-cffi
and cryptography: Python must accept every hash and token that algogate makes."""
import base64, json, sys

from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC


def fernet_for(pepper: str, salt: bytes) -> Fernet:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=100000)
    return Fernet(base64.urlsafe_b64encode(kdf.derive(pepper.encode())))


def main() -> int:
    doc = json.load(sys.stdin)
    ph = PasswordHasher()
    pepper = doc["pepper"]
    modern = fernet_for(pepper, bytes.fromhex(doc["fernet_salt_hex"]))
    legacy = fernet_for(pepper, b"openalgo_static_salt")
    n = 0
    for item in doc["keys"]:
        key = item["key"]
        assert ph.verify(item["argon2"], key + pepper)
        assert not ph.check_needs_rehash(item["argon2"]), "parameters differ from argon2-cffi's"
        try:
            ph.verify(item["argon2"], key + pepper + "x")
            raise AssertionError("a wrong secret verified")
        except Exception as e:  # VerifyMismatchError
            assert type(e).__name__ == "VerifyMismatchError", e
        assert modern.decrypt(item["fernet"].encode()).decode() == key
        assert legacy.decrypt(item["fernet_legacy"].encode()).decode() == key
        n += 1
    assert n > 0
    print(f"python accepted {n} algogate keys (argon2 + fernet + legacy fernet)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
