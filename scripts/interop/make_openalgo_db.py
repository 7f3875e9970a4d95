#!/usr/bin/env python3
"""Builds crates/server/tests/fixtures/openalgo.db: an OpenAlgo database (its `users` and
`api_keys` tables, as OpenAlgo's SQLAlchemy models create them) filled by argon2-cffi and
cryptography exactly as OpenAlgo fills it, plus openalgo.json describing what is inside
(pepper, salts, plain keys, passwords) for the import test. Re-run only to refresh."""
import base64, json, os, secrets, sqlite3, sys

from argon2 import PasswordHasher
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

OUT = sys.argv[1] if len(sys.argv) > 1 else "crates/server/tests/fixtures"
PEPPER = "openalgo-fixture-pepper-" + secrets.token_hex(16)
SALT_HEX = secrets.token_hex(16)


def fernet_for(salt: bytes) -> Fernet:
    kdf = PBKDF2HMAC(algorithm=hashes.SHA256(), length=32, salt=salt, iterations=100000)
    return Fernet(base64.urlsafe_b64encode(kdf.derive(PEPPER.encode())))


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    db = os.path.join(OUT, "openalgo.db")
    if os.path.exists(db):
        os.remove(db)
    ph = PasswordHasher()
    modern, legacy = fernet_for(bytes.fromhex(SALT_HEX)), fernet_for(b"openalgo_static_salt")
    con = sqlite3.connect(db)
    con.executescript("""
        CREATE TABLE users (
            id INTEGER NOT NULL PRIMARY KEY, username VARCHAR(80) NOT NULL UNIQUE,
            email VARCHAR(120) NOT NULL UNIQUE, password_hash VARCHAR(255) NOT NULL,
            mobile_number VARCHAR(20), is_admin BOOLEAN, totp_secret VARCHAR(32));
        CREATE TABLE api_keys (
            id INTEGER NOT NULL PRIMARY KEY, user_id VARCHAR NOT NULL UNIQUE,
            api_key_hash TEXT NOT NULL, api_key_encrypted TEXT NOT NULL,
            created_at DATETIME, order_mode VARCHAR(20) DEFAULT 'auto');
    """)
    doc = {"pepper": PEPPER, "fernet_salt_hex": SALT_HEX, "users": {}}
    # alice: modern salt, semi_auto; bob: legacy static salt; carol: plain-text legacy row;
    # dave: a token nobody can decrypt; ghost: a key row without a user.
    plan = [("alice", True, "modern", "semi_auto"), ("bob", False, "legacy", "auto"),
            ("carol", False, "plain", "auto"), ("dave", False, "broken", "auto")]
    for i, (name, admin, kind, mode) in enumerate(plan, start=1):
        password = f"{name}-password-{secrets.token_hex(4)}"
        key = secrets.token_hex(32)
        con.execute("INSERT INTO users VALUES (?,?,?,?,?,?,?)",
                    (i, name, f"{name}@example.com", ph.hash(password + PEPPER), None, admin, None))
        if kind == "plain":
            h, enc = key, ""
        else:
            h = ph.hash(key + PEPPER)
            enc = {"modern": modern, "legacy": legacy,
                   "broken": fernet_for(b"some-other-salt")}[kind].encrypt(key.encode()).decode()
        con.execute("INSERT INTO api_keys (user_id, api_key_hash, api_key_encrypted, created_at, order_mode)"
                    " VALUES (?,?,?,?,?)", (name, h, enc, "2025-08-01 10:00:00.000000", mode))
        doc["users"][name] = {"password": password, "key": key, "kind": kind, "order_mode": mode}
    con.execute("INSERT INTO api_keys (user_id, api_key_hash, api_key_encrypted) VALUES (?,?,?)",
                ("ghost", ph.hash("x" + PEPPER), modern.encrypt(b"x").decode()))
    con.commit()
    con.execute("VACUUM")
    con.close()
    with open(os.path.join(OUT, "openalgo.json"), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
