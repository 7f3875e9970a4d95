-- Named API keys: any number per user beside the primary `api_keys` row (which stays
-- OpenAlgo's), each with scopes, its own order mode and optional limits.
--
-- key_fingerprint: HMAC fingerprint of the current secret (the O(1) lookup, as api_keys).
-- prev_*:          the secret replaced by a rotation, valid until prev_valid_until (UTC,
--                  RFC 3339); NULL outside a grace period.
-- scopes:          comma-separated (data,account,place,modify,cancel,close).
-- symbols:         comma-separated EXCHANGE:SYMBOL; allow_ips: comma-separated addresses
--                  or CIDRs. NULL means no such limit.
CREATE TABLE named_keys (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id            INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    key_hash           TEXT    NOT NULL,
    key_encrypted      TEXT    NOT NULL,
    key_fingerprint    TEXT    NOT NULL UNIQUE,
    prev_hash          TEXT,
    prev_fingerprint   TEXT    UNIQUE,
    prev_valid_until   TEXT,
    scopes             TEXT    NOT NULL,
    order_mode         TEXT    NOT NULL CHECK (order_mode IN ('auto', 'semi_auto')),
    symbols            TEXT,
    max_qty            INTEGER,
    max_value          REAL,
    max_orders_per_day INTEGER,
    expires_at         TEXT,
    allow_ips          TEXT,
    ip_all_requests    INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')),
    last_used_at       TEXT,
    last_ip            TEXT,
    UNIQUE (user_id, name)
);

-- Orders placed per key per trading session (the max-orders-per-day limit), counted in the
-- same statement that checks the limit.
CREATE TABLE named_key_orders (
    key_id  INTEGER NOT NULL REFERENCES named_keys (id) ON DELETE CASCADE,
    session TEXT    NOT NULL,
    count   INTEGER NOT NULL,
    PRIMARY KEY (key_id, session)
);

-- Per-user audit log of named keys (kept after a key is revoked).
CREATE TABLE key_audit (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key_name TEXT    NOT NULL,
    event    TEXT    NOT NULL,
    detail   TEXT    NOT NULL DEFAULT '',
    at       TEXT    NOT NULL
);
CREATE INDEX key_audit_user ON key_audit (user_id, id);

-- Which named key queued a semi-auto order (NULL: the primary key).
ALTER TABLE pending_orders ADD COLUMN key_name TEXT;
