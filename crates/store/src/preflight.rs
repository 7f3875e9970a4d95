//! What `Store::open` checks before it creates or writes anything: that the URL names a
//! database kind algogate runs on, and that an existing database is algogate's (or empty). Migrating someone
//! else's database would write `_sqlx_migrations` into it before failing on a clash.

use std::path::Path;

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::{Result, StoreError};

/// The URL's scheme when it is not SQLite's (`sqlite:`), lowercased. A path without a
/// scheme is a SQLite file; so is a Windows drive letter (`C:\…`).
pub(crate) fn foreign_scheme(url: &str) -> Option<String> {
    let (scheme, _) = url.split_once(':')?;
    let valid = scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let scheme = scheme.to_ascii_lowercase();
    (valid && scheme != "sqlite").then_some(scheme)
}

/// `url` without its user information (`postgres://user:password@host` keeps only the
/// host), for messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://…@{}", &rest[at + 1..]),
        None => url.to_string(),
    }
}

/// Refuses an existing, non-empty file that is not algogate's database, reading it only.
pub(crate) async fn check_existing(file: &Path) -> Result<()> {
    let shown = || file.display().to_string();
    let len = match std::fs::metadata(file) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(StoreError::Dir {
                path: shown(),
                source,
            });
        }
    };
    let wal = file.with_file_name(format!(
        "{}-wal",
        file.file_name().unwrap_or_default().to_string_lossy()
    ));
    let wal_has_frames = std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
    let tables = if len == 0 {
        // SQLite takes an empty file for an empty database, unless a log holds pages.
        if !wal_has_frames {
            return Ok(());
        }
        table_names(file, false).await?
    } else {
        let mut header = [0u8; 16];
        let is_sqlite = std::fs::File::open(file)
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut header))
            .is_ok()
            && &header == b"SQLite format 3\0";
        if !is_sqlite {
            return Err(StoreError::NotSqlite { path: shown() });
        }
        // Immutable: no lock, no -wal or -shm file created next to someone else's database.
        // Taking no lock, it can fail while another process checkpoints into the file (a
        // CLI command next to a running server); the locking read is right then.
        let tables = match table_names(file, true).await {
            Ok(t) => t,
            Err(_) => table_names(file, false).await?,
        };
        // That view misses what is still in the write-ahead log only (a first start that
        // stopped before any checkpoint); read through the log then.
        if tables.is_empty() && wal_has_frames {
            table_names(file, false).await?
        } else {
            tables
        }
    };
    if tables.is_empty() || tables.iter().any(|t| t == "_sqlx_migrations") {
        return Ok(());
    }
    if ["users", "api_keys"]
        .iter()
        .all(|t| tables.iter().any(|have| have == t))
    {
        return Err(StoreError::OpenAlgoDatabase { path: shown() });
    }
    refuse_foreign(&tables, &shown())
}

/// Refuses a PostgreSQL database (its current schema) that holds tables but is not
/// algogate's; `shown` is the URL without its password.
pub(crate) async fn check_existing_postgres(pool: &sqlx::PgPool, shown: &str) -> Result<()> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() ORDER BY table_name",
    )
    .fetch_all(pool)
    .await?;
    refuse_foreign(&tables, shown)
}

fn refuse_foreign(tables: &[String], shown: &str) -> Result<()> {
    if tables.is_empty() || tables.iter().any(|t| t == "_sqlx_migrations") {
        return Ok(());
    }
    let mut listed: Vec<&str> = tables.iter().map(String::as_str).take(5).collect();
    if tables.len() > listed.len() {
        listed.push("…");
    }
    Err(StoreError::ForeignDatabase {
        path: shown.to_string(),
        tables: listed.join(", "),
    })
}

async fn table_names(file: &Path, immutable: bool) -> Result<Vec<String>> {
    let mut conn = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .immutable(immutable)
        .connect()
        .await?;
    let names = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         ORDER BY name",
    )
    .fetch_all(&mut conn)
    .await;
    conn.close().await?;
    Ok(names?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_sqlite_urls_and_plain_paths_are_sqlite() {
        for url in [
            "sqlite://data/algogate.db",
            "sqlite:///abs/algogate.db",
            "sqlite:data.db",
            "sqlite::memory:",
            "SQLite://x.db",
            "data/algogate.db",
            "/abs/algogate.db",
            "C:\\data\\algogate.db",
            ":memory:",
        ] {
            assert_eq!(foreign_scheme(url), None, "{url}");
        }
        for (url, scheme) in [
            ("postgres://user@host:5432/db", "postgres"),
            ("postgresql://u:p@h/db", "postgresql"),
            ("mysql://h/db", "mysql"),
            ("file:x.db", "file"),
        ] {
            assert_eq!(foreign_scheme(url).as_deref(), Some(scheme), "{url}");
        }
    }

    #[test]
    fn redaction_drops_user_information_only() {
        assert_eq!(
            redact_url("postgres://user:s3cret@host:5432/db?x=1"),
            "postgres://…@host:5432/db?x=1"
        );
        assert_eq!(
            redact_url("sqlite:///srv/a@b/algogate.db"),
            "sqlite:///srv/a@b/algogate.db"
        );
        assert_eq!(redact_url("data/algogate.db"), "data/algogate.db");
    }
}
