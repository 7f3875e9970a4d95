-- Web UI login sessions. The session id itself is never stored: `id_hash` is the hex
-- SHA-256 of the id the browser holds in its cookie. Times are Unix seconds from the
-- server's (injected) clock.
CREATE TABLE sessions (
    id_hash    TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    last_seen  INTEGER NOT NULL,
    -- The earlier of the absolute lifetime and the next daily session boundary.
    expires_at INTEGER NOT NULL
);

CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);
