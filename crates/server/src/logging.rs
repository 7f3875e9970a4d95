//! The log filter, one construction for the binary and the tests.
//!
//! Our own code never logs a secret, but some dependencies log what passes through them
//! at `trace`: tungstenite every received WebSocket message (an `authenticate` carries the
//! API key), its client handshake request, axum the body of every rejection, sqlx query
//! plans. Those crates are capped at `debug`, whatever the user's filter asks for.
//!
//! The cap is a second filter that must also pass (`EnvFilter` AND `Targets`), not extra
//! directives merged into the user's `EnvFilter`: there the most specific directive wins,
//! so a user's `tungstenite::protocol=trace` would beat an appended `tungstenite=debug`,
//! and a span directive such as `[request]=trace` enables every target inside the span.

use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{FilterExt, LevelFilter, Targets};
use tracing_subscriber::layer::Filter;
use tracing_subscriber::registry::LookupSpan;

/// Crates (and all their modules) that never log above `debug`. Targets match by prefix
/// (`hyper` also covers `hyper_util`), so no name here may be a prefix of one of ours.
pub const CAPPED_CRATES: &[&str] = &[
    "tungstenite",
    "tokio_tungstenite",
    "hyper",
    "hyper_util",
    "h2",
    "reqwest",
    "axum",
    "axum_core",
    "tower",
    "tower_http",
    "sqlx",
    "sqlx_core",
    "sqlx_sqlite",
    "sqlx_postgres",
];

/// The most any capped crate may log.
pub const CAP: LevelFilter = LevelFilter::DEBUG;

/// The filter in effect for `directives` (`ALGOGATE_LOG`'s syntax, `RUST_LOG`'s): the user's
/// directives, with the capped crates held at `debug` at most. Invalid directives fall
/// back to `info`.
pub fn filter<S>(directives: &str) -> impl Filter<S> + Send + Sync + 'static
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let user = EnvFilter::try_new(directives).unwrap_or_else(|_| EnvFilter::new("info"));
    let cap = CAPPED_CRATES
        .iter()
        .fold(Targets::new().with_default(LevelFilter::TRACE), |t, c| {
            t.with_target(*c, CAP)
        });
    user.and(cap)
}

/// A log sink for unit tests: what a `fmt` layer writes into it, as text.
#[cfg(test)]
#[derive(Clone, Default)]
pub(crate) struct LogBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

#[cfg(test)]
impl LogBuf {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("log buffer")).into_owned()
    }
}

#[cfg(test)]
impl std::io::Write for LogBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::{Layer, fmt};

    use super::*;

    /// What a subscriber built with `filter(directives)` writes for a set of events.
    fn logged(directives: &str) -> String {
        let buf = LogBuf::default();
        let writer = buf.clone();
        let layer = fmt::layer()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .with_filter(filter(directives));
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!("request", path = "/ws");
            let _entered = span.enter();
            tracing::trace!(target: "tungstenite::protocol", "tungstenite-trace");
            tracing::debug!(target: "tungstenite::protocol", "tungstenite-debug");
            tracing::trace!(target: "tokio_tungstenite::compat", "tokio-tungstenite-trace");
            tracing::trace!(target: "hyper::proto::h1", "hyper-trace");
            tracing::trace!(target: "axum::rejection", "axum-trace");
            tracing::trace!(target: "sqlx::explain", "sqlx-trace");
            tracing::debug!(target: "sqlx::query", "sqlx-debug");
            tracing::info!(target: "sqlx::query", "sqlx-info");
            tracing::trace!(target: "algogate_server::ws", "ours-trace");
        });
        buf.text()
    }

    const CAPPED_TRACE: [&str; 5] = [
        "tungstenite-trace",
        "tokio-tungstenite-trace",
        "hyper-trace",
        "axum-trace",
        "sqlx-trace",
    ];

    #[test]
    fn trace_everywhere_still_holds_the_capped_crates_at_debug() {
        for directives in [
            "trace",
            "trace,tungstenite=trace,tokio_tungstenite=trace,hyper=trace,axum=trace,sqlx=trace",
            // More specific than a crate-level cap: would win inside one EnvFilter.
            "info,tungstenite::protocol=trace,tokio_tungstenite::compat=trace,\
             hyper::proto=trace,axum::rejection=trace,sqlx::explain=trace",
            // A span directive enables every target inside the span.
            "info,[request]=trace",
            "info,[request{path}]=trace",
        ] {
            let out = logged(directives);
            for line in CAPPED_TRACE {
                assert!(
                    !out.contains(line),
                    "{directives}: {line} was logged:\n{out}"
                );
            }
            // Capped, not silenced.
            assert!(out.contains("tungstenite-debug"), "{directives}:\n{out}");
        }
        let out = logged("trace");
        assert!(
            out.contains("ours-trace") && out.contains("sqlx-debug"),
            "{out}"
        );
    }

    #[test]
    fn a_lower_user_level_still_applies_to_the_capped_crates() {
        let out = logged("info");
        assert!(!out.contains("sqlx-debug") && !out.contains("tungstenite-debug"));
        assert!(out.contains("sqlx-info"), "{out}");
        let out = logged("debug,sqlx=warn");
        assert!(!out.contains("sqlx-info") && out.contains("tungstenite-debug"));
    }

    #[test]
    fn invalid_directives_fall_back_to_info() {
        let out = logged("no=such=level");
        assert!(
            out.contains("sqlx-info") && !out.contains("sqlx-debug"),
            "{out}"
        );
    }
}
