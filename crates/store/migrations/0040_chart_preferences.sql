-- Per-user chart preferences (OpenAlgo's chart_preferences, reference
-- openalgo-options-gtt-calendar.md §13): one row per key per user, the value as text
-- (NULL for JSON null). The limits on keys and sizes are enforced by the application.
CREATE TABLE chart_preferences (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key        TEXT    NOT NULL,
    value      TEXT,
    updated_at INTEGER NOT NULL,               -- epoch ms
    PRIMARY KEY (user_id, key)
);
