//! Login throttling: failed attempts counted per client IP and per username in a sliding
//! window on the injected clock. When either count reaches its limit, logins from that IP
//! or for that user wait until the oldest counted failure leaves the window.
//!
//! An attempt is reserved before its password is checked and counts against both limits
//! while it runs, so concurrent attempts cannot all pass the check before any failure is
//! recorded: with a limit of 5, at most 5 password checks are ever in flight or failed.
//!
//! One instance counts in memory. Instances sharing a PostgreSQL database count in it
//! (reservations one at a time under a database lock), so their allowance is one, not
//! one per instance.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use algogate_store::{LoginPrune, Store, StoreError};

use crate::clock::Clock;

#[derive(Debug, Clone, Copy)]
pub struct ThrottleConfig {
    pub max_per_user: u32,
    pub max_per_ip: u32,
    pub window_ms: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ThrottleError {
    /// Wait this many whole seconds (rounded up, at least 1).
    #[error("Too many failed login attempts. Try again in {0} s.")]
    Wait(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Past this many tracked keys, idle ones are dropped (memory stays bounded under a flood
/// of distinct usernames).
const PRUNE_ABOVE: usize = 10_000;

/// How long to wait when only attempts still in flight fill the limit: they settle within
/// one Argon2 run.
const IN_FLIGHT_RETRY_MS: i64 = 1000;

/// A stored reservation older than this belongs to an instance that died mid-check.
const STALE_RESERVATION_MS: i64 = 60_000;

/// Usernames are stored at most this long (no account has a longer one).
const MAX_USERNAME: usize = 256;

/// Milliseconds until a subject may try again, if its failures in the window (oldest
/// first) and its attempts in flight fill `max`.
fn wait_ms(failures: &[i64], in_flight: usize, max: usize, now: i64, window: i64) -> Option<i64> {
    if failures.len() >= max {
        let oldest_counted = failures[failures.len() - max];
        Some(oldest_counted.saturating_add(window).saturating_sub(now))
    } else if failures.len() + in_flight >= max {
        Some(IN_FLIGHT_RETRY_MS)
    } else {
        None
    }
}

fn limit(max: u32) -> usize {
    usize::try_from(max.max(1)).unwrap_or(usize::MAX)
}

#[derive(Debug, Default)]
struct Counts {
    failures: VecDeque<i64>,
    in_flight: usize,
}

#[derive(Debug)]
struct Window<K: Eq + Hash> {
    max: usize,
    counts: HashMap<K, Counts>,
}

impl<K: Eq + Hash + Clone> Window<K> {
    fn new(max: u32) -> Self {
        Self {
            max: limit(max),
            counts: HashMap::new(),
        }
    }

    fn prune(q: &mut VecDeque<i64>, now: i64, window: i64) {
        while q.front().is_some_and(|&t| t <= now - window) {
            q.pop_front();
        }
    }

    fn blocked_for(&mut self, key: &K, now: i64, window: i64) -> Option<i64> {
        let c = self.counts.get_mut(key)?;
        Self::prune(&mut c.failures, now, window);
        wait_ms(
            c.failures.make_contiguous(),
            c.in_flight,
            self.max,
            now,
            window,
        )
    }

    fn begin(&mut self, key: K, now: i64, window: i64) {
        if self.counts.len() > PRUNE_ABOVE {
            self.counts.retain(|_, c| {
                Self::prune(&mut c.failures, now, window);
                !c.failures.is_empty() || c.in_flight > 0
            });
        }
        self.counts.entry(key).or_default().in_flight += 1;
    }

    /// Ends an attempt begun with `begin`, counting it as a failure at `failed_at`.
    fn end(&mut self, key: &K, failed_at: Option<i64>) {
        let Some(c) = self.counts.get_mut(key) else {
            return;
        };
        c.in_flight = c.in_flight.saturating_sub(1);
        if let Some(t) = failed_at {
            c.failures.push_back(t);
            // Only the newest `max` failures matter.
            while c.failures.len() > self.max {
                c.failures.pop_front();
            }
        }
    }
}

#[derive(Debug)]
struct Windows {
    by_ip: Window<IpAddr>,
    by_user: Window<String>,
}

#[derive(Debug)]
enum Counter {
    // One lock for both windows: the check and the reservation are one step.
    Memory(Mutex<Windows>),
    Stored {
        store: Store,
        max_per_ip: usize,
        max_per_user: usize,
    },
}

#[derive(Debug)]
pub struct LoginThrottle {
    clock: Arc<dyn Clock>,
    window_ms: i64,
    counter: Counter,
}

impl LoginThrottle {
    /// Counts in memory (one instance).
    pub fn new(clock: Arc<dyn Clock>, cfg: ThrottleConfig) -> Self {
        Self {
            clock,
            window_ms: cfg.window_ms,
            counter: Counter::Memory(Mutex::new(Windows {
                by_ip: Window::new(cfg.max_per_ip),
                by_user: Window::new(cfg.max_per_user),
            })),
        }
    }

    /// Counts in `store` when other instances may share it, else in memory.
    pub fn for_store(clock: Arc<dyn Clock>, cfg: ThrottleConfig, store: &Store) -> Self {
        if !store.is_shared() {
            return Self::new(clock, cfg);
        }
        Self {
            clock,
            window_ms: cfg.window_ms,
            counter: Counter::Stored {
                store: store.clone(),
                max_per_ip: limit(cfg.max_per_ip),
                max_per_user: limit(cfg.max_per_user),
            },
        }
    }

    fn user_key(username: &str) -> String {
        username
            .trim()
            .chars()
            .take(MAX_USERNAME)
            .collect::<String>()
            .to_lowercase()
    }

    fn lock(windows: &Mutex<Windows>) -> MutexGuard<'_, Windows> {
        // The windows stay consistent even if a holder panicked: every update is one step.
        windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn seconds(ms: i64) -> ThrottleError {
        ThrottleError::Wait(u64::try_from((ms + 999) / 1000).unwrap_or(1).max(1))
    }

    /// Reserves one attempt for this IP and username, or says when to try again. The
    /// reservation counts against both limits until it is settled with
    /// [`Attempt::failed`] or [`Attempt::succeeded`] (or dropped, which releases it
    /// uncounted).
    pub async fn reserve(&self, ip: IpAddr, username: &str) -> Result<Attempt<'_>, ThrottleError> {
        let now = self.clock.now_ms();
        let w = self.window_ms;
        let user = Self::user_key(username);
        let held = match &self.counter {
            Counter::Memory(windows) => {
                let mut g = Self::lock(windows);
                let a = g.by_ip.blocked_for(&ip, now, w);
                let b = g.by_user.blocked_for(&user, now, w);
                if let Some(ms) = a.max(b) {
                    return Err(Self::seconds(ms));
                }
                g.by_ip.begin(ip, now, w);
                g.by_user.begin(user.clone(), now, w);
                Vec::new()
            }
            Counter::Stored {
                store,
                max_per_ip,
                max_per_user,
            } => {
                let subjects = [format!("ip:{ip}"), format!("user:{user}")];
                let prune = LoginPrune {
                    failed_before: now.saturating_sub(w),
                    stale_before: now.saturating_sub(STALE_RESERVATION_MS),
                };
                let admitted = store
                    .reserve_login(&[&subjects[0], &subjects[1]], now, prune, |c| {
                        let a = wait_ms(&c[0].failures, c[0].in_flight, *max_per_ip, now, w);
                        let b = wait_ms(&c[1].failures, c[1].in_flight, *max_per_user, now, w);
                        a.max(b).map_or(Ok(()), Err)
                    })
                    .await?;
                admitted.map_err(Self::seconds)?
            }
        };
        Ok(Attempt {
            throttle: self,
            ip,
            user,
            stored: held,
            settled: false,
        })
    }
}

/// A reserved login attempt; see [`LoginThrottle::reserve`].
#[derive(Debug)]
pub struct Attempt<'a> {
    throttle: &'a LoginThrottle,
    ip: IpAddr,
    user: String,
    /// The reservation's rows when counted in the database.
    stored: Vec<i64>,
    settled: bool,
}

impl Attempt<'_> {
    /// Ends the attempt: counted as a failure at `failed_at`, or not; `clear_user` forgets
    /// the username's failures. A stored count that cannot be written is logged: its
    /// reservation keeps counting until it goes stale.
    async fn settle(mut self, failed_at: Option<i64>, clear_user: bool) {
        self.settled = true;
        match &self.throttle.counter {
            Counter::Memory(windows) => {
                let mut g = LoginThrottle::lock(windows);
                g.by_ip.end(&self.ip, failed_at);
                g.by_user.end(&self.user, failed_at);
                if clear_user && let Some(c) = g.by_user.counts.get_mut(&self.user) {
                    c.failures.clear();
                }
            }
            Counter::Stored { store, .. } => {
                let user = format!("user:{}", self.user);
                let clear = clear_user.then_some(user.as_str());
                if let Err(e) = store.settle_login(&self.stored, failed_at, clear).await {
                    tracing::warn!(error = %e, "could not store a login attempt's outcome");
                }
            }
        }
    }

    /// The password was wrong (or the user unknown): counted against both limits.
    pub async fn failed(self) {
        let now = self.throttle.clock.now_ms();
        self.settle(Some(now), false).await;
    }

    /// A successful login clears that username's failures (not the IP's).
    pub async fn succeeded(self) {
        self.settle(None, true).await;
    }
}

impl Drop for Attempt<'_> {
    /// An attempt that ended without a verdict (a database error) is released uncounted.
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        match &self.throttle.counter {
            Counter::Memory(windows) => {
                let mut g = LoginThrottle::lock(windows);
                g.by_ip.end(&self.ip, None);
                g.by_user.end(&self.user, None);
            }
            Counter::Stored { store, .. } => {
                // Released in the background; if that cannot run, the rows go stale.
                if let Ok(rt) = tokio::runtime::Handle::try_current() {
                    let store = store.clone();
                    let ids = std::mem::take(&mut self.stored);
                    rt.spawn(async move {
                        if let Err(e) = store.settle_login(&ids, None, None).await {
                            tracing::warn!(error = %e, "could not release a login attempt");
                        }
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    fn throttle() -> (Arc<ManualClock>, LoginThrottle) {
        let clock = Arc::new(ManualClock::at_ist(2026, 1, 5, 10, 0, 0));
        let t = LoginThrottle::new(
            clock.clone(),
            ThrottleConfig {
                max_per_user: 3,
                max_per_ip: 5,
                window_ms: 60_000,
            },
        );
        (clock, t)
    }

    async fn fail(t: &LoginThrottle, ip: IpAddr, user: &str) {
        t.reserve(ip, user)
            .await
            .expect("not throttled")
            .failed()
            .await;
    }

    /// The seconds to wait, when refused.
    async fn wait(t: &LoginThrottle, ip: IpAddr, user: &str) -> u64 {
        match t.reserve(ip, user).await {
            Err(ThrottleError::Wait(s)) => s,
            other => panic!("expected a wait, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_username_is_blocked_after_its_limit_until_the_window_moves() {
        let (clock, t) = throttle();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            fail(&t, ip, "admin").await;
            clock.advance_ms(1000);
        }
        // Oldest failure at 0 s, now 3 s: 57 s left; case-insensitive.
        assert_eq!(wait(&t, ip, "ADMIN").await, 57);
        assert!(t.reserve(ip, "other").await.is_ok());
        clock.advance_ms(57_000);
        assert!(t.reserve(ip, "admin").await.is_ok());
    }

    #[tokio::test]
    async fn an_ip_is_blocked_across_usernames_and_success_clears_only_the_user() {
        let (_clock, t) = throttle();
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        for i in 0..5 {
            fail(&t, ip, &format!("u{i}")).await;
        }
        assert_eq!(wait(&t, ip, "fresh").await, 60);
        assert!(
            t.reserve("10.0.0.3".parse().unwrap(), "fresh")
                .await
                .is_ok()
        );
        fail(&t, "10.0.0.3".parse().unwrap(), "bob").await;
        fail(&t, "10.0.0.4".parse().unwrap(), "bob").await;
        t.reserve("10.0.0.5".parse().unwrap(), "bob")
            .await
            .unwrap()
            .succeeded()
            .await;
        fail(&t, "10.0.0.5".parse().unwrap(), "bob").await;
        fail(&t, "10.0.0.5".parse().unwrap(), "bob").await;
        assert!(t.reserve("10.0.0.6".parse().unwrap(), "bob").await.is_ok());
        // Without the success, those failures from three IPs block bob everywhere.
        fail(&t, "10.0.0.6".parse().unwrap(), "bob").await;
        assert_eq!(wait(&t, "10.0.0.9".parse().unwrap(), "bob").await, 60);
    }

    #[tokio::test]
    async fn attempts_in_flight_count_against_the_limit() {
        let (_clock, t) = throttle();
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        let mut held = Vec::new();
        for _ in 0..3 {
            held.push(t.reserve(ip, "carol").await.unwrap());
        }
        // Nothing has failed yet, but three checks are running: the fourth waits.
        assert_eq!(wait(&t, ip, "carol").await, 1);
        let mut held = held.into_iter();
        held.next().unwrap().succeeded().await;
        // One slot is free again; the success also cleared carol's (zero) failures.
        let fourth = t.reserve(ip, "carol").await.unwrap();
        drop(fourth);
        for a in held {
            a.failed().await;
        }
        assert!(t.reserve(ip, "carol").await.is_ok(), "2 failures of 3");
        fail(&t, ip, "carol").await;
        assert_eq!(wait(&t, ip, "carol").await, 60);
    }

    #[tokio::test]
    async fn a_dropped_attempt_is_released_uncounted() {
        let (_clock, t) = throttle();
        let ip: IpAddr = "10.0.0.8".parse().unwrap();
        for _ in 0..10 {
            drop(t.reserve(ip, "dave").await.unwrap());
        }
        assert!(t.reserve(ip, "dave").await.is_ok());
    }
}
