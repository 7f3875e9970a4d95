-- PostgreSQL twin of ../0010_ip_bans.sql.
CREATE TABLE ip_bans (
    ip_address   TEXT    PRIMARY KEY,
    ban_reason   TEXT    NOT NULL,
    ban_count    BIGINT  NOT NULL DEFAULT 1,
    banned_at    BIGINT  NOT NULL,
    expires_at   BIGINT,
    is_permanent BOOLEAN NOT NULL DEFAULT FALSE,
    created_by   TEXT    NOT NULL
);
