//! Automatic certificates end to end: Debian's pebble (a real ACME CA, installed by
//! scripts/ensure-pebble.sh) on 127.0.0.1 with 30-second certificates, and the real binary
//! ordering one over TLS-ALPN-01, serving it, renewing it, and reusing its account and
//! certificate after a restart.

use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::binary::{Spawned, capture, cmd, create_admin, serve_on, sigterm_and_wait};
use crate::browser::Browser;
use crate::tls::{Ca, handshake, https_client, wait_for_line};

const PASSWORD: &str = "acme-test-password-9b3f";
/// Pebble's certificate lifetime here: renewal is due a third of it before the end.
const VALIDITY_SECS: u64 = 30;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Pebble on free loopback ports: (process, directory URL, management address).
async fn start_pebble(dir: &std::path::Path, ca: &Ca, tls_port: u16) -> (Spawned, String, String) {
    let (cert, key) = ca.leaf(&["localhost", "127.0.0.1"]);
    std::fs::write(dir.join("pebble-cert.pem"), cert).unwrap();
    std::fs::write(dir.join("pebble-key.pem"), key).unwrap();
    let (acme, mgmt, http01) = (free_port(), free_port(), free_port());
    let config = json!({"pebble": {
        "listenAddress": format!("127.0.0.1:{acme}"),
        "managementListenAddress": format!("127.0.0.1:{mgmt}"),
        "certificate": dir.join("pebble-cert.pem"),
        "privateKey": dir.join("pebble-key.pem"),
        "httpPort": http01,
        "tlsPort": tls_port,
        "ocspResponderURL": "",
        "externalAccountBindingRequired": false,
        "certificateValidityPeriod": VALIDITY_SECS,
    }});
    std::fs::write(dir.join("pebble.json"), config.to_string()).unwrap();
    let child = Command::new("pebble")
        .arg("-config")
        .arg(dir.join("pebble.json"))
        .current_dir(dir)
        // No random validation delays, no rejected nonces, and a fresh validation for
        // every order (so the renewal really answers a challenge again).
        .env("PEBBLE_VA_NOSLEEP", "1")
        .env("PEBBLE_WFE_NONCEREJECT", "0")
        .env("PEBBLE_AUTHZREUSE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run pebble ({e}): install it with scripts/ensure-pebble.sh")
        });
    let mut pebble = Spawned(child);
    let out = capture(&mut pebble.0);
    wait_for_line(&out, "ACME directory available", 30).await;
    (
        pebble,
        format!("https://127.0.0.1:{acme}/dir"),
        format!("127.0.0.1:{mgmt}"),
    )
}

async fn security_tls(b: &mut Browser) -> Value {
    let r = b.get_json("/security/api/data").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    r.body["tls"].clone()
}

#[tokio::test]
async fn acme_obtains_serves_and_renews_a_certificate_from_pebble() {
    let dir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let ca = Ca::new("pebble listener CA");
    let ca_file = work.path().join("pebble-ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let port = free_port();
    let (mut pebble, directory, mgmt) = start_pebble(work.path(), &ca, port).await;

    create_admin(dir.path(), PASSWORD);

    let start = || {
        serve_on(
            cmd(dir.path())
                .env("ALGOGATE_ACME_DOMAINS", "localhost")
                .env("ALGOGATE_ACME_DIRECTORY", &directory)
                .env("ALGOGATE_ACME_CA_ROOT", &ca_file)
                .env("ALGOGATE_ACME_EMAIL", "ops@example.com"),
            &format!("127.0.0.1:{port}"),
            &[],
        )
    };
    let (mut server, out) = start();
    let line = wait_for_line(&out, "algogate is listening on ", 30).await;
    assert!(
        line.ends_with(&format!("https://localhost:{port}")),
        "{line}"
    );
    wait_for_line(&out, "ACME certificate obtained", 60).await;

    // Verify what we are served against pebble's issuing root.
    let root = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca.pem.as_bytes()).unwrap())
        .build()
        .unwrap()
        .get(format!("https://{mgmt}/roots/0"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(root.contains("BEGIN CERTIFICATE"), "{root}");
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    handshake(addr, "localhost", &root)
        .await
        .expect("the certificate verifies against pebble's root");
    // Not against an unrelated CA: the check above can fail.
    assert!(handshake(addr, "localhost", &ca.pem).await.is_err());

    let client = https_client(&root, "localhost", addr);
    let mut b = Browser::over(format!("https://localhost:{port}"), client);
    assert_eq!(b.login("admin", PASSWORD).await.status, 200);
    let tls = security_tls(&mut b).await;
    assert_eq!(tls["mode"], "acme", "{tls}");
    assert_eq!(tls["acme"]["domains"], json!(["localhost"]));
    assert_eq!(tls["acme"]["directory"], directory.as_str());
    assert!(tls["acme"]["last_error"].is_null(), "{tls}");
    let first_expiry = tls["acme"]["not_after"].as_i64().expect("expiry");
    assert!(tls["acme"]["last_renewal"].is_i64(), "{tls}");
    assert!(tls["acme"]["next_renewal"].as_i64().unwrap() < first_expiry);

    // Renewal: due a third of the lifetime before the end, so within about 20 s.
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    let renewed = loop {
        let n = out
            .lock()
            .unwrap()
            .matches("ACME certificate obtained")
            .count();
        if n >= 2 {
            break security_tls(&mut b).await;
        }
        assert!(std::time::Instant::now() < deadline, "no renewal");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(
        renewed["acme"]["not_after"].as_i64().unwrap() > first_expiry,
        "{renewed}"
    );
    handshake(addr, "localhost", &root)
        .await
        .expect("the renewed certificate verifies");
    sigterm_and_wait(&mut server);

    // A restart reuses the stored account and certificate.
    let (mut server, out2) = start();
    wait_for_line(&out2, "ACME certificate loaded from", 30).await;
    wait_for_line(&out2, "algogate is listening on ", 30).await;
    // Up and serving (the stored certificate, or its renewal when that was due).
    handshake(addr, "localhost", &root)
        .await
        .expect("a verified certificate is served after the restart");
    let created = out.lock().unwrap().matches("ACME account created").count()
        + out2.lock().unwrap().matches("ACME account created").count();
    assert_eq!(created, 1, "one account across restarts");
    sigterm_and_wait(&mut server);

    let _ = Command::new("kill")
        .args(["-TERM", &pebble.0.id().to_string()])
        .status();
    let _ = pebble.0.wait();
}
