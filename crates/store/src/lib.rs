//! The database. Owns the schema (embedded migrations, one set per backend), connection
//! setup and one narrow module of functions per table family (users, api_keys, settings,
//! sessions, ...). Two backends behind one API: SQLite (the default; one file, WAL mode)
//! and PostgreSQL (`postgres://`). Each query is written once in SQL both accept
//! (`$1`-style placeholders, `ON CONFLICT`, `RETURNING`, `FILTER`) and run on whichever
//! pool the store holds ([`on_db!`]); where the dialects differ, [`dialect`] holds the
//! two spellings side by side.
//!
//! Must not know: HTTP, key derivation or hashing (it stores what it is given: hashes,
//! tokens and fingerprints are opaque strings here), configuration files.

/// `on_db!(&db, |p| body)` runs `body` with `p` bound to the concrete pool (`&SqlitePool`
/// or `&PgPool`): the body is compiled once per backend, so binds and row decoding stay
/// statically typed. It only looks like a closure (so rustfmt formats it): `?` and
/// `return` in it act on the enclosing function.
macro_rules! on_db {
    ($db:expr, |$p:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite($p) => $body,
            $crate::Db::Postgres($p) => $body,
        }
    };
}

mod bans;
pub mod bus;
mod chart;
mod counters;
pub mod dialect;
#[macro_use]
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

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use bans::BanRow;
pub use chart::{PrefQuota, QuotaExceeded};
pub use counters::{LoginCounts, LoginPrune, TrackerRow};
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
    #[error("{0} needs a shared (PostgreSQL) database")]
    NotShared(&'static str),
    #[error("could not create the database directory {path}: {source}")]
    Dir {
        path: String,
        source: std::io::Error,
    },
    #[error(
        "{} (the database URL's scheme is `{scheme}:`): algogate keeps its data in SQLite or \
         PostgreSQL. Set DATABASE_URL (or ALGOGATE_DATABASE_URL) to \
         sqlite:///path/to/algogate.db or postgres://user@host:5432/database, or leave it \
         unset for <data_dir>/algogate.db.",
        match scheme.as_str() {
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

/// The connection pool of one backend. [`Store::db`] hands it out for what the store's
/// functions do not cover (tests, and later a `LISTEN` connection on PostgreSQL).
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Which engine a [`Db`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Db {
    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite(_) => Backend::Sqlite,
            Self::Postgres(_) => Backend::Postgres,
        }
    }
}

/// A handle on the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
    /// Stamps this store's bus events, so its own instance skips them.
    origin: u64,
}

/// Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`).
pub fn is_postgres_url(url: &str) -> bool {
    url.split_once(':').is_some_and(|(scheme, _)| {
        scheme.eq_ignore_ascii_case("postgres") || scheme.eq_ignore_ascii_case("postgresql")
    })
}

impl Store {
    /// Opens the database at `url` and applies pending migrations: `sqlite://path` or
    /// `sqlite::memory:` (created if needed, WAL mode), or `postgres://user@host/db` (the
    /// database must exist). Another scheme, or an existing database that is not
    /// algogate's, is refused before anything is created or written.
    pub async fn open(url: &str) -> Result<Self> {
        if is_postgres_url(url) {
            return Self::open_postgres(url).await;
        }
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
        Ok(Self {
            db: Db::Sqlite(pool),
            origin: bus::new_origin(),
        })
    }

    async fn open_postgres(url: &str) -> Result<Self> {
        let opts = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .min_connections(1)
            // An unreachable server fails a request in bounded time, not after sqlx's 30 s.
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        preflight::check_existing_postgres(&pool, &preflight::redact_url(url)).await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(Self {
            db: Db::Postgres(pool),
            origin: bus::new_origin(),
        })
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// Closes every connection (graceful shutdown), checkpointing SQLite's WAL first.
    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(pool) => {
                let _ = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(pool)
                    .await;
                pool.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

/// `Conflict(what)` for a unique violation, else the database error.
fn conflict(e: sqlx::Error, what: &str) -> StoreError {
    if is_unique_violation(&e) {
        StoreError::Conflict(what.into())
    } else {
        e.into()
    }
}
