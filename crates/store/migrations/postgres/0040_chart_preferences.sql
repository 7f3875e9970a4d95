-- PostgreSQL twin of ../0040_chart_preferences.sql.
CREATE TABLE chart_preferences (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key        TEXT   NOT NULL,
    value      TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
