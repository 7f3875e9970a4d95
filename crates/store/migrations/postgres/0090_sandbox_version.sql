-- Commits so far per paper account: a commit from a stale copy (another instance wrote
-- since it was loaded) is refused.
ALTER TABLE sandbox_funds ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
