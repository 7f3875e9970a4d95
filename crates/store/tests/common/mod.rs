//! Stores on both backends for the integration tests.
#![allow(dead_code)] // each test binary uses its own part

use algogate_store::{Backend, Db, NewUser, Store, UserId};

pub async fn sqlite_store() -> (Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/sub/test.db", dir.path().display());
    (Store::open(&url).await.unwrap(), dir)
}

pub async fn pg_store(hint: &str) -> Store {
    Store::open(&algogate_testpg::fresh_database(hint).await)
        .await
        .unwrap()
}

/// Runs `check` on a fresh SQLite store, then on a fresh PostgreSQL one.
pub async fn on_both(hint: &str, check: impl AsyncFn(Store)) {
    let (s, _dir) = sqlite_store().await;
    assert_eq!(s.backend(), Backend::Sqlite);
    check(s).await;
    let s = pg_store(hint).await;
    assert_eq!(s.backend(), Backend::Postgres);
    check(s).await;
}

/// One statement with one integer parameter, on either backend.
pub async fn exec(store: &Store, sql: &str, arg: i64) -> u64 {
    match store.db() {
        Db::Sqlite(p) => sqlx::query(sql)
            .bind(arg)
            .execute(p)
            .await
            .unwrap()
            .rows_affected(),
        Db::Postgres(p) => sqlx::query(sql)
            .bind(arg)
            .execute(p)
            .await
            .unwrap()
            .rows_affected(),
    }
}

pub fn user(name: &str) -> NewUser<'_> {
    NewUser {
        username: name,
        email: None,
        password_hash: "$argon2id$pw",
        is_admin: false,
    }
}

pub async fn with_user(store: &Store, name: &str) -> UserId {
    store.create_user(&user(name), None).await.unwrap()
}
