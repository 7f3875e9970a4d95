use std::sync::Arc;
use std::time::Instant;

use algogate_app::clock::ManualClock;
use algogate_store::OrderMode;
use chrono::{DateTime, Utc};

use crate::helpers::*;

#[tokio::test]
async fn hundred_concurrent_first_requests_with_one_key_cost_one_argon2_run() {
    let app = spawn_app().await;
    let (_, key) = app.create_user("alice").await;
    let before = app.argon2_runs();
    let app = Arc::new(app);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let app = app.clone();
            let key = key.clone();
            tokio::spawn(async move { app.ping(key.expose()).await.0 })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    assert_eq!(app.argon2_runs() - before, 1);
    assert_eq!(app.db_lookups(), 1);
}

const BULK_USER: &str = "INSERT INTO users (username, password_hash) VALUES ($1, 'x') RETURNING id";
const BULK_KEY: &str = "INSERT INTO api_keys (user_id, api_key_hash, api_key_encrypted, key_fingerprint) \
     VALUES ($1, '$argon2id$v=19$m=65536,t=3,p=4$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'x', $2)";

#[tokio::test]
async fn a_cache_miss_costs_one_argon2_run_with_one_user_and_with_ten_thousand() {
    for extra_users in [0usize, 10_000] {
        let app = spawn_app().await;
        // Bulk rows with distinct fingerprints and unverifiable hashes: if verification
        // touched any of them, Argon2 would run more than once (or fail).
        on_test_db!(app.state.store().db(), |p| {
            let mut tx = p.begin().await.unwrap();
            for i in 0..extra_users {
                let id: i64 = sqlx::query_scalar(BULK_USER)
                    .bind(format!("bulk{i}"))
                    .fetch_one(&mut *tx)
                    .await
                    .unwrap();
                sqlx::query(BULK_KEY)
                    .bind(id)
                    .bind(format!("{i:064x}"))
                    .execute(&mut *tx)
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
        });
        let (_, key) = app.create_user("target").await;
        let before = app.argon2_runs();
        assert_eq!(app.ping(key.expose()).await, (200, pong()));
        assert_eq!(
            app.argon2_runs() - before,
            1,
            "with {extra_users} other users"
        );
        assert_eq!(app.db_lookups(), 1);
        assert_eq!(app.ping(key.expose()).await, (200, pong()));
        assert_eq!(
            app.argon2_runs() - before,
            1,
            "second request is a cache hit"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn regenerate_makes_the_old_key_fail_on_the_very_next_request_even_under_load() {
    let app = Arc::new(spawn_app().await);
    let (user, old) = app.create_user("alice").await;
    assert_eq!(app.ping(old.expose()).await.0, 200);

    // Hammer the old key from several tasks while regenerating.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let hammers: Vec<_> = (0..8)
        .map(|_| {
            let (app, old, stop) = (app.clone(), old.clone(), stop.clone());
            tokio::spawn(async move {
                let mut seen = vec![];
                for _ in 0..2_000 {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let started = Instant::now();
                    let status = app.ping(old.expose()).await.0;
                    seen.push((started, status));
                }
                seen
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let (new, _) = app.state.keys().regenerate(user).await.unwrap();
    let regenerated_at = Instant::now();
    // The very next request with the old key fails; the new key works.
    assert_eq!(app.ping(old.expose()).await, (403, invalid_key()));
    assert_eq!(app.ping(new.expose()).await, (200, pong()));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut after = 0;
    for h in hammers {
        for (started, status) in h.await.unwrap() {
            if started > regenerated_at {
                after += 1;
                assert_eq!(status, 403, "old key accepted after regenerate returned");
            }
        }
    }
    assert!(after > 0, "the hammer must overlap the regenerate");
}

#[tokio::test]
async fn changing_the_order_mode_invalidates_that_users_cache_only() {
    let app = spawn_app().await;
    let (alice, ka) = app.create_user("alice").await;
    let (_, kb) = app.create_user("bob").await;
    let keys = app.state.keys();
    assert_eq!(
        keys.verify(ka.expose()).await.unwrap().unwrap().order_mode,
        OrderMode::Auto
    );
    keys.verify(kb.expose()).await.unwrap().unwrap();
    let runs = app.argon2_runs();
    keys.set_order_mode(alice, OrderMode::SemiAuto)
        .await
        .unwrap();
    assert_eq!(
        keys.verify(ka.expose()).await.unwrap().unwrap().order_mode,
        OrderMode::SemiAuto
    );
    keys.verify(kb.expose()).await.unwrap().unwrap();
    assert_eq!(
        app.argon2_runs() - runs,
        1,
        "only alice's entry was reloaded"
    );
}

#[tokio::test]
async fn cached_keys_expire_at_the_0300_ist_session_boundary() {
    let t0: DateTime<Utc> = "2026-03-02T20:00:00Z".parse().unwrap(); // 01:30 IST
    let clock = Arc::new(ManualClock::new(t0));
    let app = spawn_app_with(clock.clone(), |_| {}).await;
    let (_, key) = app.create_user("alice").await;
    let keys = app.state.keys();
    let runs = app.argon2_runs();
    keys.verify(key.expose()).await.unwrap().unwrap();
    clock.advance_ms(89 * 60_000); // 02:59 IST
    keys.verify(key.expose()).await.unwrap().unwrap();
    assert_eq!(app.argon2_runs() - runs, 1);
    clock.advance_ms(2 * 60_000); // 03:01 IST
    keys.verify(key.expose()).await.unwrap().unwrap();
    assert_eq!(
        app.argon2_runs() - runs,
        2,
        "the boundary forces a fresh verification"
    );
}

#[tokio::test]
async fn legacy_plain_text_keys_work_and_are_upgraded_in_place() {
    let app = spawn_app().await;
    let user = app.create_user_with_password("old", "old-password-1").await;
    let plain = "ab12".repeat(16);
    app.state
        .store()
        .insert_imported_key(user, &plain, None, None, OrderMode::Auto, None)
        .await
        .unwrap();
    // The key service learned about legacy rows at start; restart-free path: tell it.
    app.state.keys().invalidate_all().await;
    assert_eq!(app.ping(&plain).await, (200, pong()));
    let row = app.state.store().key_for_user(user).await.unwrap().unwrap();
    assert!(!row.is_legacy());
    assert!(row.api_key_hash.starts_with("$argon2id$"));
    assert_eq!(app.state.keys().reveal(&row).unwrap().expose(), plain);
    assert_eq!(app.state.store().count_legacy_keys().await.unwrap(), 0);
    // Now found by fingerprint like any other key, and a wrong key is still refused.
    assert_eq!(app.ping(&plain).await, (200, pong()));
    assert_eq!(app.ping(&"cd34".repeat(16)).await.0, 403);
}
