-- IP bans (reference/openalgo-rest.md §8). The invalid-key tracker itself is in memory.
CREATE TABLE ip_bans (
    ip_address   TEXT    PRIMARY KEY,
    ban_reason   TEXT    NOT NULL,
    ban_count    INTEGER NOT NULL DEFAULT 1,
    banned_at    INTEGER NOT NULL,          -- epoch ms
    expires_at   INTEGER,                   -- epoch ms; NULL = permanent
    is_permanent INTEGER NOT NULL DEFAULT 0,
    created_by   TEXT    NOT NULL           -- 'manual' | 'api_key_detector'
);
