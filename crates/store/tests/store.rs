mod common;

use algogate_store::{Db, NewKey, OrderMode, Store, StoreError};
use common::{exec, on_both, sqlite_store as store, user};

fn key(n: u8) -> NewKey {
    NewKey {
        hash: format!("$argon2id$hash{n}"),
        encrypted: format!("gAAAAA{n}"),
        fingerprint: format!("{n:064x}"),
    }
}

#[tokio::test]
async fn wal_mode_and_migrations_apply_on_open() {
    let (store, _d) = store().await;
    let Db::Sqlite(pool) = store.db() else {
        panic!("a sqlite: URL opens SQLite")
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(store.count_users().await.unwrap(), 0);
}

#[tokio::test]
async fn user_with_key_is_created_atomically_and_found_by_fingerprint() {
    on_both("user", async |store: Store| {
        let id = store
            .create_user(&user("alice"), Some(&key(1)))
            .await
            .unwrap();
        let row = store
            .key_by_fingerprint(&key(1).fingerprint)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.user_id, id);
        assert_eq!(row.username, "alice");
        assert_eq!(row.order_mode, OrderMode::Auto);
        assert!(!row.is_legacy());
        assert!(
            store
                .key_by_fingerprint(&key(2).fingerprint)
                .await
                .unwrap()
                .is_none()
        );

        // Same username again: conflict, and the failed transaction leaves no key behind.
        let err = store
            .create_user(&user("alice"), Some(&key(3)))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)));
        assert!(
            store
                .key_by_fingerprint(&key(3).fingerprint)
                .await
                .unwrap()
                .is_none()
        );
    })
    .await;
}

#[tokio::test]
async fn replace_key_swaps_fingerprint_and_keeps_mode() {
    on_both("replace", async |store: Store| {
        let id = store
            .create_user(&user("bob"), Some(&key(1)))
            .await
            .unwrap();
        assert!(store.set_order_mode(id, OrderMode::SemiAuto).await.unwrap());
        store.replace_key(id, &key(2)).await.unwrap();
        assert!(
            store
                .key_by_fingerprint(&key(1).fingerprint)
                .await
                .unwrap()
                .is_none()
        );
        let row = store.key_for_user(id).await.unwrap().unwrap();
        assert_eq!(
            row.key_fingerprint.as_deref(),
            Some(key(2).fingerprint.as_str())
        );
        assert_eq!(row.order_mode, OrderMode::SemiAuto);
    })
    .await;
}

#[tokio::test]
async fn legacy_rows_upgrade_once() {
    on_both("legacy", async |store: Store| {
        let id = store.create_user(&user("carol"), None).await.unwrap();
        let plain = "ab".repeat(32);
        let row_id = store
            .insert_imported_key(id, &plain, None, None, OrderMode::Auto, None)
            .await
            .unwrap();
        assert_eq!(store.count_legacy_keys().await.unwrap(), 1);
        assert!(store.legacy_keys().await.unwrap()[0].is_legacy());
        assert!(store.upgrade_legacy_key(row_id, &key(7)).await.unwrap());
        assert!(!store.upgrade_legacy_key(row_id, &key(8)).await.unwrap());
        assert_eq!(store.count_legacy_keys().await.unwrap(), 0);
        let dbg = format!("{:?}", store.key_for_user(id).await.unwrap().unwrap());
        assert!(!dbg.contains("abab"), "{dbg}");
    })
    .await;
}

#[tokio::test]
async fn settings_round_trip() {
    on_both("settings", async |store: Store| {
        assert_eq!(store.setting("x").await.unwrap(), None);
        store.set_setting("x", "1").await.unwrap();
        store.set_setting("x", "2").await.unwrap();
        assert_eq!(store.setting("x").await.unwrap().as_deref(), Some("2"));
    })
    .await;
}

#[tokio::test]
async fn sessions_are_found_by_digest_touched_purged_and_die_with_their_user() {
    on_both("sessions", async |store: Store| {
        let id = store.create_user(&user("alice"), None).await.unwrap();
        store.insert_session("h1", id, 100, 1000).await.unwrap();
        store.insert_session("h2", id, 100, 150).await.unwrap();
        let s = store.session("h1").await.unwrap().unwrap();
        assert_eq!(
            (s.username.as_str(), s.created_at, s.last_seen, s.expires_at),
            ("alice", 100, 100, 1000)
        );
        assert_eq!(s.user(), id);
        assert!(store.session("nope").await.unwrap().is_none());
        store.touch_session("h1", 120).await.unwrap();
        assert_eq!(store.session("h1").await.unwrap().unwrap().last_seen, 120);
        // h2 is past its expiry at 150; h1 was seen at 120, after the idle cut-off of 110.
        assert_eq!(store.purge_sessions(150, 110).await.unwrap(), 1);
        assert!(store.session("h2").await.unwrap().is_none());
        assert!(store.delete_session("h1").await.unwrap());
        assert!(!store.delete_session("h1").await.unwrap());
        store.insert_session("h3", id, 100, 1000).await.unwrap();
        exec(&store, "DELETE FROM users WHERE id = $1", id.0).await;
        assert_eq!(store.count_sessions().await.unwrap(), 0);
    })
    .await;
}

/// Every file in `dir` with its bytes.
fn snapshot(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn a_database_of_someone_else_is_refused_without_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    {
        use sqlx::{ConnectOptions, Connection};
        let mut c = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .connect()
            .await
            .unwrap();
        for t in ["notes", "tags"] {
            sqlx::query(&format!("CREATE TABLE {t} (id INTEGER PRIMARY KEY)"))
                .execute(&mut c)
                .await
                .unwrap();
        }
        c.close().await.unwrap();
    }
    let before = snapshot(dir.path());
    let url = format!("sqlite://{}", path.display());
    let err = Store::open(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("not an algogate database") && msg.contains("notes, tags"));
    assert_eq!(snapshot(dir.path()), before, "nothing written or created");

    std::fs::write(&path, "not a database at all, just text").unwrap();
    let before = snapshot(dir.path());
    let err = Store::open(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::NotSqlite { .. }), "{err}");
    assert_eq!(snapshot(dir.path()), before);
}

#[tokio::test]
async fn unsupported_url_schemes_are_refused_before_any_file_is_created() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        format!("mysql://user:pw@{}/db", dir.path().display()),
        format!("file:{}/db", dir.path().display()),
    ] {
        let err = Store::open(&url).await.unwrap_err();
        assert!(matches!(err, StoreError::UnsupportedScheme { .. }), "{err}");
        assert!(!err.to_string().contains("pw@"), "{err}");
        assert!(err.to_string().contains("SQLite or PostgreSQL"), "{err}");
    }
    assert!(snapshot(dir.path()).is_empty());
    assert!(!std::path::Path::new("mysql:").exists());
}

/// A start that stopped before any checkpoint leaves the schema in the write-ahead log only;
/// that database is still recognised as algogate's.
#[tokio::test]
async fn an_algogate_database_with_its_schema_still_in_the_wal_opens() {
    let (store, dir) = store().await;
    store.create_user(&user("alice"), None).await.unwrap();
    let copy = tempfile::tempdir().unwrap();
    // Copied while open: what a crash would leave (no checkpoint has run).
    for name in ["test.db", "test.db-wal"] {
        std::fs::copy(dir.path().join("sub").join(name), copy.path().join(name)).unwrap();
    }
    let url = format!("sqlite://{}/test.db", copy.path().display());
    let reopened = Store::open(&url).await.unwrap();
    assert!(reopened.user_by_username("alice").await.unwrap().is_some());
    reopened.close().await;
    store.close().await;
    // And once closed (checkpointed), again.
    let url = format!("sqlite://{}/sub/test.db", dir.path().display());
    let again = Store::open(&url).await.unwrap();
    assert_eq!(again.count_users().await.unwrap(), 1);
}

/// Someone else's database whose tables are still in its write-ahead log only.
#[tokio::test]
async fn a_foreign_database_with_its_tables_still_in_the_wal_is_refused() {
    use sqlx::{ConnectOptions, Connection};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    let mut c = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .connect()
        .await
        .unwrap();
    sqlx::query("CREATE TABLE users (id INTEGER PRIMARY KEY)")
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::query("CREATE TABLE api_keys (id INTEGER PRIMARY KEY)")
        .execute(&mut c)
        .await
        .unwrap();
    let copy = tempfile::tempdir().unwrap();
    for name in ["other.db", "other.db-wal"] {
        std::fs::copy(dir.path().join(name), copy.path().join(name)).unwrap();
    }
    c.close().await.unwrap();
    let main = std::fs::read(copy.path().join("other.db")).unwrap();
    let wal = std::fs::read(copy.path().join("other.db-wal")).unwrap();
    let url = format!("sqlite://{}/other.db", copy.path().display());
    let err = Store::open(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::OpenAlgoDatabase { .. }), "{err}");
    assert_eq!(std::fs::read(copy.path().join("other.db")).unwrap(), main);
    assert_eq!(
        std::fs::read(copy.path().join("other.db-wal")).unwrap(),
        wal
    );
}

#[tokio::test]
async fn a_postgres_database_of_someone_else_is_refused_without_a_write() {
    use sqlx::Connection;
    let url = algogate_testpg::fresh_database("foreign").await;
    let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("CREATE TABLE notes (id BIGINT PRIMARY KEY)")
        .execute(&mut c)
        .await
        .unwrap();
    let err = Store::open(&url).await.unwrap_err();
    assert!(matches!(err, StoreError::ForeignDatabase { .. }), "{err}");
    assert!(err.to_string().contains("notes"), "{err}");
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema()",
    )
    .fetch_all(&mut c)
    .await
    .unwrap();
    assert_eq!(tables, vec!["notes".to_string()], "nothing written");
    // And an algogate database opens again, with its data.
    let own = algogate_testpg::fresh_database("reopen").await;
    let s = Store::open(&own).await.unwrap();
    s.create_user(&user("alice"), None).await.unwrap();
    s.close().await;
    let s = Store::open(&own).await.unwrap();
    assert_eq!(s.count_users().await.unwrap(), 1);
}

#[tokio::test]
async fn an_unreachable_postgres_fails_in_bounded_time_without_its_password() {
    // Port 1 on the loopback: nothing listens there.
    let t = std::time::Instant::now();
    let err = Store::open("postgres://trader:pg-s3cret-pw@127.0.0.1:1/algogate")
        .await
        .unwrap_err();
    assert!(t.elapsed() < std::time::Duration::from_secs(15));
    assert!(
        !format!("{err} {err:?}").contains("pg-s3cret-pw"),
        "{err:?}"
    );
}
