-- Failed-login and invalid-key counters kept in the database. Used only when several
-- instances share a PostgreSQL database (one allowance for all of them); a single SQLite
-- instance counts in memory. Kept here so both schemas stay the same.
CREATE TABLE login_attempts (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT    NOT NULL,               -- 'ip:<address>' | 'user:<lower-case name>'
    at      INTEGER NOT NULL,               -- epoch ms: reserved at, or failed at
    failed  INTEGER NOT NULL DEFAULT 0      -- 0: password check still running
);
CREATE INDEX login_attempts_subject ON login_attempts (subject, at);
CREATE INDEX login_attempts_at ON login_attempts (at);

-- One row per client IP, as OpenAlgo's invalid_api_key_tracker.
CREATE TABLE invalid_key_tracker (
    ip_address       TEXT    PRIMARY KEY,
    attempt_count    INTEGER NOT NULL,
    first_attempt_at INTEGER NOT NULL,      -- epoch ms
    last_attempt_at  INTEGER NOT NULL,      -- epoch ms
    keys_tried       TEXT    NOT NULL       -- JSON [[tag, epoch ms], ...], newest last
);
CREATE INDEX invalid_key_tracker_last ON invalid_key_tracker (last_attempt_at);
