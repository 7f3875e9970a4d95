//! The database. Owns the schema (embedded migrations), connection setup (SQLite in WAL
//! mode now, PostgreSQL later) and one narrow module of functions per table family
//! (users, api_keys, settings, sessions).
//!
//! Must not know: HTTP, key derivation or hashing (it stores what it is given: hashes,
//! tokens and fingerprints are opaque strings here), configuration files.

mod bans;
mod chart;
mod keys;
mod named_keys;
mod openalgo;
mod pending;
mod preflight;
mod sandbox;
mod sessions;
mod settings;
mod strategies;
mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

pub use bans::BanRow;
pub use chart::{PrefQuota, QuotaExceeded};
pub use keys::{KeyRow, NewKey};
pub use named_keys::{AuditRow, FoundKey, KeyUse, NamedKeyRow, StoredPolicy};
pub use openalgo::{OpenAlgoKey, OpenAlgoUser, read_openalgo};
pub use pending::{Outcome, PendingRow, PendingStats, Stamp};
pub use preflight::redact_url;
pub use sessions::SessionRow;
pub use strategies::{AlertRow, MappingRow, NewAlert, NewMapping, StrategyFields, StrategyRow};
pub use users::{NewUser, UserRow};

/// A user's id (`users.id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// `api_keys.order_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderMode {
    Auto,
    SemiAuto,
}

impl OrderMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::SemiAuto => "semi_auto",
        }
    }
}

impl FromStr for OrderMode {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "auto" => Ok(Self::Auto),
            "semi_auto" => Ok(Self::SemiAuto),
            _ => Err(()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0} already exists")]
    Conflict(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("could not create the database directory {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{} (the database URL's scheme is `{scheme}:`): algogate keeps its data in SQLite. \
         Set DATABASE_URL (or ALGOGATE_DATABASE_URL) to sqlite:///path/to/algogate.db, or \
         leave it unset for <data_dir>/algogate.db.",
        match scheme.as_str() {
            "postgres" | "postgresql" => "PostgreSQL is not supported yet",
            "mysql" | "mariadb" => "MySQL is not supported",
            "file" => "file: URIs are not accepted here",
            _ => "this kind of database is not supported",
        }
    )]
    UnsupportedScheme { scheme: String },
    #[error("{path} is not a SQLite database")]
    NotSqlite { path: String },
    #[error(
        "{path} is an OpenAlgo database, not algogate's (an OpenAlgo .env sets DATABASE_URL to \
         it). Nothing was written to it. Import its users and API keys with `algogate \
         import-openalgo --db {path}`, and leave DATABASE_URL unset (algogate keeps its own \
         database in <data_dir>/algogate.db) or point it at a new file."
    )]
    OpenAlgoDatabase { path: String },
    #[error(
        "{path} is not an algogate database (it holds other tables: {tables}). Nothing was \
         written to it. Point DATABASE_URL at algogate's database or at a new file, or leave \
         it unset for <data_dir>/algogate.db."
    )]
    ForeignDatabase { path: String, tables: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database at `url` (`sqlite://path` or
    /// `sqlite::memory:`), in WAL mode, and applies pending migrations. Another scheme, or
    /// an existing database that is not algogate's, is refused before anything is created
    /// or written.
    pub async fn open(url: &str) -> Result<Self> {
        if let Some(scheme) = preflight::foreign_scheme(url) {
            return Err(StoreError::UnsupportedScheme { scheme });
        }
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let file = opts.get_filename();
        preflight::check_existing(file).await?;
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty())
            && file.as_os_str() != ":memory:"
        {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Dir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let in_memory = url.contains(":memory:");
        let pool = SqlitePoolOptions::new()
            // One connection for in-memory databases: each connection would get its own.
            .max_connections(if in_memory { 1 } else { 8 })
            .min_connections(1)
            .connect_with(opts)
            .await?;
        sqlx::migrate!("./migrations").run(&pool).await?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Checkpoints the WAL and closes every connection (graceful shutdown).
    pub async fn close(&self) {
        let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.pool)
            .await;
        self.pool.close().await;
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}
