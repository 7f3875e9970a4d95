use std::sync::Arc;

use algogate_app::clock::SystemClock;
use algogate_app::import::{Outcome, import};
use algogate_keys::{FernetSalt, Pepper};
use algogate_server::startup::{Server, bootstrap};
use algogate_store::OrderMode;
use serde_json::Value;

use crate::binary::{BIN, Spawned, capture, sigterm_and_wait, wait_for_addr};
use crate::helpers::*;

/// Runs against the OpenAlgo database made by scripts/interop/make_openalgo_db.py.
#[tokio::test]
async fn import_of_an_openalgo_database_keeps_passwords_and_keys_working_and_is_idempotent() {
    let fixture: Value = serde_json::from_str(include_str!("../fixtures/openalgo.json")).unwrap();
    let pepper_s = fixture["pepper"].as_str().unwrap().to_string();
    let salt_s = fixture["fernet_salt_hex"].as_str().unwrap().to_string();
    let env = move |k: &str| match k {
        "API_KEY_PEPPER" => Some(pepper_s.clone()),
        "FERNET_SALT" => Some(salt_s.clone()),
        _ => None,
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("openalgo.db");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openalgo.db"),
        &db,
    )
    .unwrap();
    let rt = bootstrap(test_config(dir.path()), &env, Arc::new(SystemClock))
        .await
        .unwrap();
    let pepper = Pepper::new(fixture["pepper"].as_str().unwrap()).unwrap();
    let path = db.display().to_string();

    let report = import(&rt.store, &rt.keys, &pepper, None, &path)
        .await
        .unwrap();
    let outcome = |what: &str| {
        report
            .iter()
            .find(|r| r.what == what)
            .unwrap_or_else(|| panic!("no row {what}"))
            .outcome
            .clone()
    };
    for u in ["alice", "bob", "carol", "dave"] {
        assert_eq!(outcome(&format!("user {u}")), Outcome::Imported);
    }
    assert_eq!(outcome("api key of alice"), Outcome::Imported);
    assert_eq!(
        outcome("api key of bob"),
        Outcome::Imported,
        "legacy static salt"
    );
    assert_eq!(
        outcome("api key of carol"),
        Outcome::Imported,
        "plain-text legacy row"
    );
    assert!(matches!(outcome("api key of dave"), Outcome::Failed(_)));
    assert!(matches!(outcome("api key of ghost"), Outcome::Skipped(_)));
    // Reports never carry key material.
    let text: String = report.iter().map(|r| format!("{r}\n")).collect();
    for u in fixture["users"].as_object().unwrap().values() {
        assert!(!text.contains(u["key"].as_str().unwrap()));
    }

    // Running it again changes nothing.
    let again = import(&rt.store, &rt.keys, &pepper, None, &path)
        .await
        .unwrap();
    for r in &again {
        assert!(
            matches!(
                r.outcome,
                Outcome::AlreadyImported | Outcome::Skipped(_) | Outcome::Failed(_)
            ),
            "{r}"
        );
    }
    assert_eq!(rt.store.count_users().await.unwrap(), 4);

    // Passwords verify as OpenAlgo hashed them; keys authenticate over HTTP.
    let server = Server::bind(rt).await.unwrap();
    let state = server.state.clone();
    let base = format!("http://{}", server.local_addr());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async move {
        let _ = rx.await;
    }));
    let client = reqwest::Client::new();
    for name in ["alice", "bob", "carol"] {
        let u = &fixture["users"][name];
        let row = state.store().user_by_username(name).await.unwrap().unwrap();
        assert!(
            state
                .keys()
                .crypto()
                .hasher
                .verify(&row.password_hash, u["password"].as_str().unwrap())
                .unwrap(),
            "{name}'s OpenAlgo password"
        );
        let res = client
            .post(format!("{base}/api/v1/ping"))
            .json(&serde_json::json!({"apikey": u["key"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{name}'s OpenAlgo key");
        let key_row = state
            .store()
            .key_for_user(row.user_id())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            state.keys().reveal(&key_row).unwrap().expose(),
            u["key"].as_str().unwrap()
        );
    }
    let alice = state
        .store()
        .user_by_username("alice")
        .await
        .unwrap()
        .unwrap();
    let alice_key = state
        .store()
        .key_for_user(alice.user_id())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alice_key.order_mode, OrderMode::SemiAuto);
    assert!(alice.is_admin);
    let _ = tx.send(());
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn import_with_the_wrong_pepper_reports_failures_and_imports_no_keys() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("openalgo.db");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openalgo.db"),
        &db,
    )
    .unwrap();
    let rt = bootstrap(test_config(dir.path()), &test_env, Arc::new(SystemClock))
        .await
        .unwrap();
    let pepper = Pepper::new(TEST_PEPPER).unwrap();
    let salt = FernetSalt::from_hex(TEST_SALT).unwrap();
    let report = import(
        &rt.store,
        &rt.keys,
        &pepper,
        Some(&salt),
        &db.display().to_string(),
    )
    .await
    .unwrap();
    let failed = report
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Failed(_)))
        .count();
    assert_eq!(failed, 3, "alice, bob and dave cannot decrypt: {report:?}");
}

/// An OpenAlgo install that never set FERNET_SALT encrypted its keys under its legacy
/// static salt, and the user has only its API_KEY_PEPPER. The real binary: a fresh install
/// gets a salt of its own in secrets.env (without the pepper, which stays in the
/// environment), the import tries the legacy salt, and the server started later with the
/// same environment accepts the imported keys.
#[tokio::test]
async fn import_with_only_the_openalgo_pepper_generates_a_salt_and_serves_the_keys_later() {
    use std::process::{Command, Stdio};

    let fixture: Value = serde_json::from_str(include_str!("../fixtures/openalgo.json")).unwrap();
    let pepper = fixture["pepper"].as_str().unwrap().to_string();
    note_secret(&pepper);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("openalgo.db");
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/openalgo.db"),
        &db,
    )
    .unwrap();
    let data = dir.path().join("data");
    // In the PostgreSQL run, the command imports into PostgreSQL and the server serves from it.
    let database = on_postgres().then(|| algogate_testpg::fresh_database_blocking("import"));
    let cmd = || {
        let mut c = Command::new(BIN);
        c.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("API_KEY_PEPPER", &pepper)
            .env("ALGOGATE_DATA_DIR", &data)
            .env("ALGOGATE_HTTP_ADDR", "127.0.0.1:0")
            .env("ALGOGATE_WS_ADDR", "127.0.0.1:0")
            .env("ALGOGATE_LOG", "debug");
        if let Some(url) = &database {
            c.env("DATABASE_URL", url);
        }
        c
    };

    let out = cmd()
        .args(["import-openalgo", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("is set but FERNET_SALT is not"),
        "{stderr}"
    );
    assert!(stderr.contains("Generated FERNET_SALT into"), "{stderr}");
    for line in [
        "user alice: imported",
        "user bob: imported",
        "api key of bob: imported",
        "api key of carol: imported",
    ] {
        assert!(stdout.contains(line), "{line}:\n{stdout}\n{stderr}");
    }
    // Alice's token was made under the fixture's own FERNET_SALT, which this user lacks;
    // the command says so and fails.
    assert!(stdout.contains("api key of alice: FAILED"), "{stdout}");
    assert!(!out.status.success());
    for secret in [
        pepper.as_str(),
        fixture["users"]["bob"]["key"].as_str().unwrap(),
    ] {
        assert!(!stdout.contains(secret) && !stderr.contains(secret));
    }

    let secrets = std::fs::read_to_string(data.join("secrets.env")).unwrap();
    assert!(secrets.contains("\nFERNET_SALT="), "{secrets}");
    assert!(!secrets.contains("API_KEY_PEPPER="), "{secrets}");
    assert!(
        !secrets.contains(&pepper),
        "the pepper is not written to disk"
    );

    // Later starts use the same environment (the pepper) and secrets.env (the salt).
    let mut server = cmd()
        .arg("serve")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map(Spawned)
        .unwrap();
    let log = capture(&mut server.0);
    let base = wait_for_addr(&log).await;
    let client = reqwest::Client::new();
    for name in ["bob", "carol"] {
        let res = client
            .post(format!("{base}/api/v1/ping"))
            .json(&serde_json::json!({"apikey": fixture["users"][name]["key"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{name}'s OpenAlgo key");
    }
    sigterm_and_wait(&mut server);
    let log = log.lock().unwrap().clone();
    assert!(!log.contains("Generated"), "nothing generated twice: {log}");
    assert!(!log.contains(&pepper));
}
