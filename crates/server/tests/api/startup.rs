use std::sync::Arc;

use algogate_app::clock::SystemClock;
use algogate_server::secrets::Generated;
use algogate_server::startup::bootstrap;

use crate::helpers::*;

#[tokio::test]
async fn first_start_generates_secrets_and_later_starts_reuse_them() {
    let dir = tempfile::tempdir().unwrap();
    let none = |_: &str| None;
    let rt = bootstrap(test_config(dir.path()), &none, Arc::new(SystemClock))
        .await
        .unwrap();
    assert_eq!(rt.secrets_generated, Generated::Both);
    let path = dir.path().join("secrets.env");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("API_KEY_PEPPER=") && text.contains("FERNET_SALT="));
    rt.store.close().await;
    let rt = bootstrap(test_config(dir.path()), &none, Arc::new(SystemClock))
        .await
        .unwrap();
    assert_eq!(rt.secrets_generated, Generated::Nothing);
}

#[tokio::test]
async fn a_changed_pepper_refuses_to_start_with_a_recovery_hint() {
    let dir = tempfile::tempdir().unwrap();
    let rt = bootstrap(test_config(dir.path()), &test_env, Arc::new(SystemClock))
        .await
        .unwrap();
    rt.store.close().await;
    let other = |k: &str| match k {
        "API_KEY_PEPPER" => Some("a-completely-different-pepper-value-0000".to_string()),
        "FERNET_SALT" => Some(TEST_SALT.to_string()),
        _ => None,
    };
    let err = bootstrap(test_config(dir.path()), &other, Arc::new(SystemClock))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("does not match"), "{err}");
    assert!(err.contains("Restore the original"), "{err}");
    assert!(!err.contains("a-completely-different"), "{err}");
    assert!(!err.contains(TEST_PEPPER), "{err}");
}

#[tokio::test]
async fn an_existing_database_without_its_secrets_is_not_given_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(Arc::new(SystemClock), |c| {
        c.data_dir = dir.path().to_path_buf();
        c.database_url = format!("sqlite://{}/algogate.db", dir.path().display());
    })
    .await;
    app.create_user("alice").await;
    app.stop().await;
    let err = bootstrap(test_config(dir.path()), &|_| None, Arc::new(SystemClock))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("API_KEY_PEPPER is not set"), "{err}");
    assert!(!dir.path().join("secrets.env").exists());
}

/// The PostgreSQL run of this suite really runs on PostgreSQL (and the default one on
/// SQLite), so the two runs cannot quietly test the same backend twice.
#[tokio::test]
async fn apps_under_test_run_on_the_backend_the_run_asked_for() {
    let app = spawn_app().await;
    let want = if on_postgres() {
        algogate_store::Backend::Postgres
    } else {
        algogate_store::Backend::Sqlite
    };
    assert_eq!(app.state.store().backend(), want);
    let (_, key) = app.create_user("backend").await;
    assert_eq!(app.ping(key.expose()).await.0, 200);
    app.stop().await;
}
