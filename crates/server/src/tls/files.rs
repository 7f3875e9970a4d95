//! Certificate files: read at start-up (errors stop it), then polled every couple of
//! seconds. A change that parses and matches replaces the certificate for new handshakes;
//! one that does not (a renewal tool midway through writing the pair, a bad file) keeps
//! the old certificate and logs the reason once.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncReadExt;

use super::cert::Loaded;
use super::resolver::CertResolver;
use super::{MAX_PEM_BYTES, TlsError, cert, shown};

/// How often the files are read again. Two small reads; a renewal shows within seconds.
const POLL: Duration = Duration::from_secs(2);

/// The bytes of the certificate and key files.
#[derive(Debug, PartialEq, Eq)]
pub struct Pair {
    cert: Vec<u8>,
    key: Vec<u8>,
}

pub fn read_pair(cert: &Path, key: &Path) -> Result<Pair, TlsError> {
    Ok(Pair {
        cert: read_bounded(cert)?,
        key: read_bounded(key)?,
    })
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, TlsError> {
    use std::io::Read;
    let err = |source| TlsError::Read {
        path: shown(path),
        source,
    };
    let f = std::fs::File::open(path).map_err(err)?;
    let mut buf = Vec::new();
    f.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut buf)
        .map_err(err)?;
    if buf.len() as u64 > MAX_PEM_BYTES {
        return Err(TlsError::TooLarge { path: shown(path) });
    }
    Ok(buf)
}

async fn read_bounded_async(path: &Path) -> Result<Vec<u8>, TlsError> {
    let err = |source| TlsError::Read {
        path: shown(path),
        source,
    };
    let f = tokio::fs::File::open(path).await.map_err(err)?;
    let mut buf = Vec::new();
    f.take(MAX_PEM_BYTES + 1)
        .read_to_end(&mut buf)
        .await
        .map_err(err)?;
    if buf.len() as u64 > MAX_PEM_BYTES {
        return Err(TlsError::TooLarge { path: shown(path) });
    }
    Ok(buf)
}

pub fn certified(pair: &Pair, cert: &Path, key: &Path) -> Result<Loaded, TlsError> {
    cert::parse(&pair.cert, &pair.key, &shown(cert), &shown(key))
}

/// Polls the files forever; installs each new pair that is good.
pub async fn watch(resolver: Arc<CertResolver>, cert: PathBuf, key: PathBuf) {
    // What start-up loaded; only a change is looked at.
    let mut current = read_pair(&cert, &key).ok();
    let mut last_error: Option<String> = None;
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await;
    loop {
        tick.tick().await;
        let read = async {
            Ok::<_, TlsError>(Pair {
                cert: read_bounded_async(&cert).await?,
                key: read_bounded_async(&key).await?,
            })
        };
        let outcome = match read.await {
            Ok(pair) if current.as_ref() == Some(&pair) => Ok(None),
            Ok(pair) => certified(&pair, &cert, &key).map(|l| Some((pair, l))),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(None) => {}
            Ok(Some((pair, loaded))) => {
                tracing::info!(
                    cert = %cert.display(),
                    names = ?loaded.info.dns_names,
                    not_after = loaded.info.not_after,
                    "TLS certificate reloaded"
                );
                resolver.install(loaded);
                current = Some(pair);
                last_error = None;
            }
            Err(e) => {
                let msg = e.to_string();
                if last_error.as_deref() != Some(&msg) {
                    tracing::error!(
                        error = %msg,
                        "TLS certificate files changed but cannot be used; \
                         still serving the previous certificate"
                    );
                    last_error = Some(msg);
                }
            }
        }
    }
}
