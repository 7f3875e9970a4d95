-- Users and API keys, column-compatible with OpenAlgo's `users` and `api_keys` tables so
-- its data imports as it is. `api_keys.user_id` references our integer user id (OpenAlgo
-- stores the username there; the importer maps it).
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL UNIQUE,
    email         TEXT,
    -- Argon2id PHC string of password + pepper, as OpenAlgo's user_db does.
    password_hash TEXT    NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now'))
);

CREATE TABLE api_keys (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER NOT NULL UNIQUE REFERENCES users (id) ON DELETE CASCADE,
    -- Argon2id PHC string of key + pepper; for legacy rows, the plain key itself.
    api_key_hash      TEXT    NOT NULL,
    -- Fernet token of the key; NULL only for legacy rows.
    api_key_encrypted TEXT,
    created_at        TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    order_mode        TEXT    NOT NULL DEFAULT 'auto' CHECK (order_mode IN ('auto', 'semi_auto')),
    -- HMAC-SHA256 fingerprint (hex) for the O(1) lookup; NULL only for legacy rows.
    key_fingerprint   TEXT    UNIQUE
);

-- Small key/value settings (e.g. the pepper check).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
