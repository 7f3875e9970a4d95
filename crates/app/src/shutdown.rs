//! The one shutdown signal: set once when the server starts to stop, watched by everything
//! long-lived (listeners, WebSockets, event streams), so graceful shutdown waits on nothing
//! that would never end.

use std::sync::Arc;

use tokio::sync::watch;

#[derive(Debug, Clone)]
pub struct Shutdown(Arc<watch::Sender<bool>>);

impl Default for Shutdown {
    fn default() -> Self {
        Self(Arc::new(watch::channel(false).0))
    }
}

impl Shutdown {
    /// Starts the shutdown (idempotent).
    pub fn begin(&self) {
        self.0.send_replace(true);
    }

    pub fn has_begun(&self) -> bool {
        *self.0.borrow()
    }

    /// A receiver that sees `true` once shutdown has begun.
    pub fn watch(&self) -> watch::Receiver<bool> {
        self.0.subscribe()
    }

    /// Resolves once shutdown has begun.
    pub async fn begun(&self) {
        let mut rx = self.0.subscribe();
        // The sender lives as long as `self`, so this only returns on `true`.
        let _ = rx.wait_for(|s| *s).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_watcher_sees_the_one_signal() {
        let s = Shutdown::default();
        let mut rx = s.watch();
        assert!(!s.has_begun() && !*rx.borrow());
        let waiter = tokio::spawn({
            let s = s.clone();
            async move { s.begun().await }
        });
        s.clone().begin();
        waiter.await.unwrap();
        rx.changed().await.unwrap();
        assert!(*rx.borrow() && s.has_begun());
        s.begin();
    }
}
