//! HTTPS from certificate files, against the real binary: REST, the web login and the
//! WebSocket feed over TLS, the certificate reloaded when the files change (open
//! connections kept), a bad reload ignored, plain HTTP on the TLS port answered, and bad
//! files stopping start-up with a message naming them.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::binary::{cmd, create_admin, serve, serve_on, sigterm_and_wait};
use crate::browser::Browser;

const PASSWORD: &str = "tls-test-password-5c2a";

/// A test CA: its issuer (to sign leaves) and its PEM certificate (to trust).
pub(crate) struct Ca {
    issuer: Issuer<'static, KeyPair>,
    pub(crate) pem: String,
}

impl Ca {
    pub(crate) fn new(name: &str) -> Self {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let pem = p.self_signed(&key).unwrap().pem();
        Self {
            issuer: Issuer::new(p, key),
            pem,
        }
    }

    /// A leaf for `names` (DNS names or IP addresses): (certificate PEM, key PEM).
    pub(crate) fn leaf(&self, names: &[&str]) -> (String, String) {
        let p = CertificateParams::new(names.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// rustls client trusting only `ca_pem`.
pub(crate) fn client_config(ca_pem: &str) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth(),
    )
}

/// A TLS connection to `addr` for the name `host`, verified against `ca_pem`.
pub(crate) async fn handshake(
    addr: SocketAddr,
    host: &str,
    ca_pem: &str,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let tcp = TcpStream::connect(addr).await?;
    let name = rustls::pki_types::ServerName::try_from(host.to_owned()).unwrap();
    tokio_rustls::TlsConnector::from(client_config(ca_pem))
        .connect(name, tcp)
        .await
}

/// reqwest trusting only `ca_pem`, with `host` resolving to `addr`.
pub(crate) fn https_client(ca_pem: &str, host: &str, addr: SocketAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .resolve(host, addr)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Waits (bounded) for a line of the server's output containing `needle`.
pub(crate) async fn wait_for_line(out: &Arc<Mutex<String>>, needle: &str, secs: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(l) = out.lock().unwrap().lines().find(|l| l.contains(needle)) {
            return l.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no {needle:?} in: {}",
            out.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn port_of(url: &str) -> u16 {
    url.rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .parse()
        .unwrap()
}

async fn ws_ask(
    ws: &mut tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<TcpStream>>,
    v: Value,
) -> Value {
    ws.send(Message::text(v.to_string())).await.unwrap();
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return serde_json::from_str(&t).unwrap(),
            Ok(Some(Ok(_))) => {}
            other => panic!("no answer: {other:?}"),
        }
    }
}

/// WSS to `url` (`wss://localhost:port[/ws]`), verified against `ca_pem`.
async fn wss(
    url: &str,
    ca_pem: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_rustls::client::TlsStream<TcpStream>> {
    let port = port_of(url.trim_end_matches("/ws"));
    let tls = handshake(([127, 0, 0, 1], port).into(), "localhost", ca_pem)
        .await
        .unwrap();
    let (ws, _) = tokio_tungstenite::client_async(url, tls).await.unwrap();
    ws
}

/// Plain HTTP to the TLS port: the answer, read to the close (bounded).
async fn plain_http(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /api/v1/ping HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), s.read_to_end(&mut out))
        .await
        .expect("the server answers and closes, it does not hang")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

fn write_pair(dir: &Path, (cert, key): &(String, String)) {
    // Key then certificate, each replaced whole, as a renewal tool would.
    for (name, text) in [("key.pem", key), ("cert.pem", cert)] {
        let tmp = dir.join(format!("{name}.new"));
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, dir.join(name)).unwrap();
    }
}

#[tokio::test]
async fn https_from_files_serves_rest_login_and_feed_and_reloads_without_dropping() {
    let dir = tempfile::tempdir().unwrap();
    let certs = tempfile::tempdir().unwrap();
    let (ca1, ca2) = (Ca::new("first test CA"), Ca::new("second test CA"));
    write_pair(certs.path(), &ca1.leaf(&["localhost"]));
    let key = create_admin(dir.path(), PASSWORD);

    let (mut server, out) = serve(
        cmd(dir.path())
            .env("ALGOGATE_TLS_CERT", certs.path().join("cert.pem"))
            .env("ALGOGATE_TLS_KEY", certs.path().join("key.pem")),
    );
    let line = wait_for_line(&out, "algogate is listening on ", 30).await;
    let base = line.split_whitespace().last().unwrap().to_owned();
    assert!(base.starts_with("https://localhost:"), "{line}");
    let addr: SocketAddr = ([127, 0, 0, 1], port_of(&base)).into();
    let feed = wait_for_line(&out, "WebSocket feed on ", 10).await;
    let feed_url = feed.split_whitespace().nth(3).unwrap().to_owned();
    assert!(feed_url.starts_with("wss://localhost:"), "{feed}");
    assert!(
        feed.contains(&format!("wss://localhost:{}/ws", addr.port())),
        "{feed}"
    );

    // REST over HTTPS, with HSTS.
    let client = https_client(&ca1.pem, "localhost", addr);
    let res = client
        .post(format!("{base}/api/v1/ping"))
        .body(json!({ "apikey": key }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "success", "{body}");

    // The web login: the session cookie is Secure without any setting.
    let mut b = Browser::over(base.clone(), client.clone());
    let r = b.login("admin", PASSWORD).await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let cookie = r
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("algogate_session="))
        .expect("session cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
    let r = b.get_json("/playground/websocket").await;
    assert_eq!(
        r.body["websocket_url"],
        format!("wss://localhost:{}/ws", addr.port())
    );
    let r = b.get_json("/security/api/data").await;
    assert_eq!(r.body["tls"]["mode"], "files", "{:?}", r.body);
    assert_eq!(r.body["tls"]["names"], json!(["localhost"]));

    // The feed over WSS, on its own port and at /ws.
    let mut ws = wss(&feed_url, &ca1.pem).await;
    let r = ws_ask(&mut ws, json!({"action": "authenticate", "api_key": key})).await;
    assert_eq!(r["status"], "success", "{r}");
    let mut ws2 = wss(&format!("wss://localhost:{}/ws", addr.port()), &ca1.pem).await;
    let r = ws_ask(&mut ws2, json!({"action": "ping"})).await;
    assert_eq!(r["type"], "pong", "{r}");

    // Plain HTTP on either TLS port gets a clear answer and a close, not a hang.
    for port in [addr.port(), port_of(&feed_url)] {
        let answer = plain_http(([127, 0, 0, 1], port).into()).await;
        assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
        assert!(answer.contains("This port speaks HTTPS"), "{answer}");
    }

    // Reload: the second CA's certificate is refused until the files change.
    assert!(handshake(addr, "localhost", &ca2.pem).await.is_err());
    write_pair(certs.path(), &ca2.leaf(&["localhost"]));
    let deadline = Instant::now() + Duration::from_secs(30);
    while handshake(addr, "localhost", &ca2.pem).await.is_err() {
        assert!(Instant::now() < deadline, "certificate not reloaded");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_for_line(&out, "TLS certificate reloaded", 10).await;
    // New handshakes get the new certificate...
    assert!(handshake(addr, "localhost", &ca1.pem).await.is_err());
    // ...while connections opened before it go on: the pooled HTTPS connection (a new
    // one could not be made with the first CA any more) and both sockets.
    let res = client
        .post(format!("{base}/api/v1/ping"))
        .body(json!({ "apikey": key }).to_string())
        .send()
        .await
        .expect("the keep-alive connection survives the reload");
    assert_eq!(res.status(), 200);
    let r = ws_ask(&mut ws, json!({"action": "ping"})).await;
    assert_eq!(r["type"], "pong", "{r}");
    let r = ws_ask(&mut ws2, json!({"action": "ping"})).await;
    assert_eq!(r["type"], "pong", "{r}");

    // A bad change (a key of another certificate) keeps the current certificate.
    let stray = ca1.leaf(&["localhost"]).1;
    std::fs::write(certs.path().join("key.pem"), stray).unwrap();
    wait_for_line(&out, "cannot be used", 30).await;
    assert!(
        out.lock()
            .unwrap()
            .contains("does not belong to the certificate in"),
        "the reason is logged"
    );
    assert!(handshake(addr, "localhost", &ca2.pem).await.is_ok());

    drop(ws);
    drop(ws2);
    sigterm_and_wait(&mut server);
}

/// Starts `serve` with `env` and returns its exit status and output; kills it (and
/// fails) if it is still running after 30 s.
fn start_fails(dir: &Path, env: &[(&str, &str)]) -> String {
    let mut c = cmd(dir);
    for (k, v) in env {
        c.env(k, v);
    }
    let (mut server, out) = serve(&mut c);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = server.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "still running: {}",
            out.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    std::thread::sleep(Duration::from_millis(100));
    let text = out.lock().unwrap().clone();
    assert!(!status.success(), "started: {text}");
    assert!(!text.contains("algogate is listening"), "{text}");
    text
}

#[tokio::test]
async fn bad_certificate_files_stop_start_up_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let certs = tempfile::tempdir().unwrap();
    let ca = Ca::new("test CA");
    write_pair(certs.path(), &ca.leaf(&["localhost"]));
    let cert = certs.path().join("cert.pem");
    let key = certs.path().join("key.pem");
    let other_key = certs.path().join("other-key.pem");
    std::fs::write(&other_key, ca.leaf(&["localhost"]).1).unwrap();
    let missing = certs.path().join("missing.pem");
    let (cert, key, other_key, missing) = (
        cert.to_str().unwrap(),
        key.to_str().unwrap(),
        other_key.to_str().unwrap(),
        missing.to_str().unwrap(),
    );

    let text = start_fails(
        dir.path(),
        &[("ALGOGATE_TLS_CERT", missing), ("ALGOGATE_TLS_KEY", key)],
    );
    assert!(text.contains(&format!("cannot read {missing}")), "{text}");

    let text = start_fails(
        dir.path(),
        &[("ALGOGATE_TLS_CERT", cert), ("ALGOGATE_TLS_KEY", other_key)],
    );
    assert!(
        text.contains(&format!(
            "the private key in {other_key} does not belong to the certificate in {cert}"
        )),
        "{text}"
    );

    // A key file as the certificate: no certificate in it.
    let text = start_fails(
        dir.path(),
        &[("ALGOGATE_TLS_CERT", key), ("ALGOGATE_TLS_KEY", key)],
    );
    assert!(
        text.contains(&format!("{key}: no PEM certificate")),
        "{text}"
    );

    let text = start_fails(dir.path(), &[("ALGOGATE_TLS_CERT", cert)]);
    assert!(
        text.contains("tls_cert is set but tls_key is not"),
        "{text}"
    );
}

#[tokio::test]
async fn a_silent_tls_client_is_closed_at_the_header_timeout_and_http_redirects() {
    let dir = tempfile::tempdir().unwrap();
    let certs = tempfile::tempdir().unwrap();
    let ca = Ca::new("test CA");
    write_pair(certs.path(), &ca.leaf(&["localhost", "127.0.0.1"]));
    let (mut server, out) = serve_on(
        cmd(dir.path())
            .env("ALGOGATE_TLS_CERT", certs.path().join("cert.pem"))
            .env("ALGOGATE_TLS_KEY", certs.path().join("key.pem"))
            .env("ALGOGATE_HTTP_HEADER_TIMEOUT_SECS", "1")
            .env("ALGOGATE_HSTS_MAX_AGE_SECS", "600"),
        "127.0.0.1:0",
        &["--http-redirect-addr", "127.0.0.1:0"],
    );
    let line = wait_for_line(&out, "algogate is listening on ", 30).await;
    let port = port_of(line.split_whitespace().last().unwrap());
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();

    // Silent, and a ClientHello cut short: both closed by the server (bounded wait).
    for opening in [&b""[..], &[0x16, 0x03, 0x01, 0x00, 0x80][..]] {
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(opening).await.unwrap();
        let mut buf = Vec::new();
        let r = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut buf)).await;
        assert!(r.is_ok(), "the server closed the connection");
    }
    // The server still serves.
    let client = https_client(&ca.pem, "localhost", addr);
    let res = client
        .get(format!("https://localhost:{port}/api/v1/ping"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["strict-transport-security"], "max-age=600");

    // The redirect listener sends to HTTPS on a served name, whatever the Host says.
    let r = wait_for_line(&out, "Plain HTTP on ", 10).await;
    let raddr: SocketAddr = r.split_whitespace().nth(3).unwrap().parse().unwrap();
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (host, location) in [
        (
            "localhost",
            format!("https://localhost:{port}/login?next=/x"),
        ),
        (
            "evil.example",
            format!("https://localhost:{port}/login?next=/x"),
        ),
    ] {
        let res = plain
            .get(format!("http://{raddr}/login?next=/x"))
            .header("host", host)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 308);
        assert_eq!(res.headers()["location"], location.as_str());
    }
    sigterm_and_wait(&mut server);
}
