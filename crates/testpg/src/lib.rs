//! Tests only: a real PostgreSQL server and a fresh database per test.
//!
//! The server is `ALGOGATE_TEST_DATABASE` when set (a base URL such as
//! `postgres://user@127.0.0.1:5432`; `scripts/postgres-tmp.sh run` sets it), else one this
//! test process starts on first use with `scripts/postgres-tmp.sh serve` (a temporary data
//! directory, a free port, an unprivileged user). That script stops its server when its
//! stdin closes; this process holds the other end until it exits, so the server ends with
//! the tests however they end. Without PostgreSQL installed the tests fail and say how to
//! get it (`scripts/ensure-postgres.sh`), rather than pass without running.

use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::Connection;

/// The variable naming an existing server to use (a base URL, without a database).
pub const ENV: &str = "ALGOGATE_TEST_DATABASE";

struct Server {
    base: String,
    /// Held open for the life of the process (see the module docs).
    _child: Option<Child>,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| match std::env::var(ENV) {
        Ok(url) if !url.is_empty() => Server {
            base: base_of(&url),
            _child: None,
        },
        _ => start(),
    })
}

fn start() -> Server {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/postgres-tmp.sh");
    let mut child = Command::new(script)
        .arg("serve")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {script}: {e}"));
    let mut line = String::new();
    let read =
        std::io::BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line);
    let url = line.trim();
    assert!(
        read.is_ok() && url.starts_with("postgres://"),
        "{script} did not start a PostgreSQL server (install one with \
         scripts/ensure-postgres.sh, or set {ENV} to a server's base URL)"
    );
    Server {
        base: url.to_string(),
        _child: Some(child),
    }
}

/// `url` without a database path or parameters.
fn base_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    format!("{scheme}://{authority}")
}

/// The server's base URL (no database).
pub fn base_url() -> &'static str {
    &server().base
}

/// The URL of a database of its own on the server (`hint` goes into its name).
pub async fn fresh_database(hint: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let tag: String = hint
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(20)
        .collect::<String>()
        .to_ascii_lowercase();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "t_{tag}_{}_{}_{nanos}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    );
    let base = base_url();
    let mut admin = sqlx::PgConnection::connect(&format!("{base}/postgres"))
        .await
        .unwrap_or_else(|e| panic!("cannot connect to the test PostgreSQL at {base}: {e}"));
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
    let _ = admin.close().await;
    format!("{base}/{name}")
}

/// [`fresh_database`] for synchronous callers (such as a test's config builder), also from
/// inside an async test: it runs on a thread of its own.
pub fn fresh_database_blocking(hint: &str) -> String {
    let hint = hint.to_string();
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime")
            .block_on(fresh_database(&hint))
    })
    .join()
    .expect("creating the test database")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_base_drops_the_database_and_parameters() {
        for (url, base) in [
            ("postgres://u@127.0.0.1:5432", "postgres://u@127.0.0.1:5432"),
            (
                "postgres://u:p@h:1/db?sslmode=disable",
                "postgres://u:p@h:1",
            ),
            ("postgresql://h/", "postgresql://h"),
        ] {
            assert_eq!(super::base_of(url), base);
        }
    }
}
