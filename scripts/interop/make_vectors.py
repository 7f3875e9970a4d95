#!/usr/bin/env python3
"""Writes crates/keys/tests/vectors/python.json: Argon2id hashes and Fernet tokens made by
argon2-cffi and cryptography exactly the way OpenAlgo makes them (database/auth_db.py), so
the Rust side can prove it reads OpenAlgo's data. Re-run only to refresh the vectors."""
import base64, json, os, secrets, sys

from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC


def fernet_for(pepper: str, salt: bytes) -> Fernet:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=100000)
    return Fernet(base64.urlsafe_b64encode(kdf.derive(pepper.encode())))


def main(out: str) -> None:
    ph = PasswordHasher()  # argon2-cffi defaults, as OpenAlgo
    pepper = "test-pepper-" + secrets.token_hex(20)
    salt_hex = secrets.token_hex(16)
    modern = fernet_for(pepper, bytes.fromhex(salt_hex))
    legacy = fernet_for(pepper, b"openalgo_static_salt")
    keys = []
    for _ in range(3):
        key = secrets.token_hex(32)
        keys.append({
            "key": key,
            "argon2": ph.hash(key + pepper),
            "fernet": modern.encrypt(key.encode()).decode(),
            "fernet_legacy": legacy.encrypt(key.encode()).decode(),
        })
    password = "correct horse battery staple"
    doc = {
        "generator": "scripts/interop/make_vectors.py (argon2-cffi, cryptography)",
        "pepper": pepper,
        "fernet_salt_hex": salt_hex,
        "fernet_key": base64.urlsafe_b64encode(
            PBKDF2HMAC(algorithm=hashes.SHA256(), length=32,
                       salt=bytes.fromhex(salt_hex), iterations=100000).derive(pepper.encode())
        ).decode(),
        "keys": keys,
        "password": password,
        "password_argon2": ph.hash(password + pepper),
    }
    with open(out, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "crates/keys/tests/vectors/python.json")
