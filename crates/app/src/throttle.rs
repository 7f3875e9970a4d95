//! Login throttling: failed attempts counted per client IP and per username in a sliding
//! window on the injected clock. When either count reaches its limit, logins from that IP
//! or for that user wait until the oldest counted failure leaves the window.
//!
//! An attempt is reserved before its password is checked and counts against both limits
//! while it runs, so concurrent attempts cannot all pass the check before any failure is
//! recorded: with a limit of 5, at most 5 password checks are ever in flight or failed.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::clock::Clock;

#[derive(Debug, Clone, Copy)]
pub struct ThrottleConfig {
    pub max_per_user: u32,
    pub max_per_ip: u32,
    pub window_ms: i64,
}

/// Past this many tracked keys, idle ones are dropped (memory stays bounded under a flood
/// of distinct usernames).
const PRUNE_ABOVE: usize = 10_000;

/// How long to wait when only attempts still in flight fill the limit: they settle within
/// one Argon2 run.
const IN_FLIGHT_RETRY_MS: i64 = 1000;

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
            max: usize::try_from(max.max(1)).unwrap_or(usize::MAX),
            counts: HashMap::new(),
        }
    }

    fn prune(q: &mut VecDeque<i64>, now: i64, window: i64) {
        while q.front().is_some_and(|&t| t <= now - window) {
            q.pop_front();
        }
    }

    /// Milliseconds until `key` may try again, if failures and attempts in flight fill
    /// its limit.
    fn blocked_for(&mut self, key: &K, now: i64, window: i64) -> Option<i64> {
        let c = self.counts.get_mut(key)?;
        Self::prune(&mut c.failures, now, window);
        if c.failures.len() >= self.max {
            let oldest_counted = c.failures[c.failures.len() - self.max];
            Some(oldest_counted + window - now)
        } else if c.failures.len() + c.in_flight >= self.max {
            Some(IN_FLIGHT_RETRY_MS)
        } else {
            None
        }
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
pub struct LoginThrottle {
    clock: Arc<dyn Clock>,
    window_ms: i64,
    // One lock for both windows: the check and the reservation are one step.
    windows: Mutex<Windows>,
}

impl LoginThrottle {
    pub fn new(clock: Arc<dyn Clock>, cfg: ThrottleConfig) -> Self {
        Self {
            clock,
            window_ms: cfg.window_ms,
            windows: Mutex::new(Windows {
                by_ip: Window::new(cfg.max_per_ip),
                by_user: Window::new(cfg.max_per_user),
            }),
        }
    }

    fn user_key(username: &str) -> String {
        username.trim().to_lowercase()
    }

    fn lock(&self) -> MutexGuard<'_, Windows> {
        // The windows stay consistent even if a holder panicked: every update is one step.
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reserves one attempt for this IP and username, or says in whole seconds (rounded
    /// up, at least 1) when to try again. The reservation counts against both limits
    /// until it is settled with [`Attempt::failed`] or [`Attempt::succeeded`] (or dropped,
    /// which releases it uncounted).
    pub fn reserve(&self, ip: IpAddr, username: &str) -> Result<Attempt<'_>, u64> {
        let now = self.clock.now_ms();
        let w = self.window_ms;
        let user = Self::user_key(username);
        let mut g = self.lock();
        let a = g.by_ip.blocked_for(&ip, now, w);
        let b = g.by_user.blocked_for(&user, now, w);
        if let Some(ms) = a.max(b) {
            return Err(u64::try_from((ms + 999) / 1000).unwrap_or(1).max(1));
        }
        g.by_ip.begin(ip, now, w);
        g.by_user.begin(user.clone(), now, w);
        Ok(Attempt {
            throttle: self,
            ip,
            user,
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
    settled: bool,
}

impl Attempt<'_> {
    /// The password was wrong (or the user unknown): counted against both limits.
    pub fn failed(mut self) {
        self.settled = true;
        let now = self.throttle.clock.now_ms();
        let mut g = self.throttle.lock();
        g.by_ip.end(&self.ip, Some(now));
        g.by_user.end(&self.user, Some(now));
    }

    /// A successful login clears that username's failures (not the IP's).
    pub fn succeeded(mut self) {
        self.settled = true;
        let mut g = self.throttle.lock();
        g.by_ip.end(&self.ip, None);
        g.by_user.end(&self.user, None);
        if let Some(c) = g.by_user.counts.get_mut(&self.user) {
            c.failures.clear();
        }
    }
}

impl Drop for Attempt<'_> {
    /// An attempt that ended without a verdict (a database error) is released uncounted.
    fn drop(&mut self) {
        if !self.settled {
            let mut g = self.throttle.lock();
            g.by_ip.end(&self.ip, None);
            g.by_user.end(&self.user, None);
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

    fn fail(t: &LoginThrottle, ip: IpAddr, user: &str) {
        t.reserve(ip, user).expect("not throttled").failed();
    }

    #[test]
    fn a_username_is_blocked_after_its_limit_until_the_window_moves() {
        let (clock, t) = throttle();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            fail(&t, ip, "admin");
            clock.advance_ms(1000);
        }
        // Oldest failure at 0 s, now 3 s: 57 s left; case-insensitive.
        assert_eq!(t.reserve(ip, "ADMIN").unwrap_err(), 57);
        assert!(t.reserve(ip, "other").is_ok());
        clock.advance_ms(57_000);
        assert!(t.reserve(ip, "admin").is_ok());
    }

    #[test]
    fn an_ip_is_blocked_across_usernames_and_success_clears_only_the_user() {
        let (_clock, t) = throttle();
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        for i in 0..5 {
            fail(&t, ip, &format!("u{i}"));
        }
        assert_eq!(t.reserve(ip, "fresh").unwrap_err(), 60);
        assert!(t.reserve("10.0.0.3".parse().unwrap(), "fresh").is_ok());
        fail(&t, "10.0.0.3".parse().unwrap(), "bob");
        fail(&t, "10.0.0.4".parse().unwrap(), "bob");
        t.reserve("10.0.0.5".parse().unwrap(), "bob")
            .unwrap()
            .succeeded();
        fail(&t, "10.0.0.5".parse().unwrap(), "bob");
        fail(&t, "10.0.0.5".parse().unwrap(), "bob");
        assert!(t.reserve("10.0.0.6".parse().unwrap(), "bob").is_ok());
        // Without the success, those failures from three IPs block bob everywhere.
        fail(&t, "10.0.0.6".parse().unwrap(), "bob");
        assert_eq!(
            t.reserve("10.0.0.9".parse().unwrap(), "bob").unwrap_err(),
            60
        );
    }

    #[test]
    fn attempts_in_flight_count_against_the_limit() {
        let (_clock, t) = throttle();
        let ip: IpAddr = "10.0.0.7".parse().unwrap();
        let held: Vec<_> = (0..3).map(|_| t.reserve(ip, "carol").unwrap()).collect();
        // Nothing has failed yet, but three checks are running: the fourth waits.
        assert_eq!(t.reserve(ip, "carol").unwrap_err(), 1);
        let mut held = held.into_iter();
        held.next().unwrap().succeeded();
        // One slot is free again; the success also cleared carol's (zero) failures.
        let fourth = t.reserve(ip, "carol").unwrap();
        drop(fourth);
        for a in held {
            a.failed();
        }
        assert!(t.reserve(ip, "carol").is_ok(), "2 failures of 3");
        fail(&t, ip, "carol");
        assert_eq!(t.reserve(ip, "carol").unwrap_err(), 60);
    }

    #[test]
    fn a_dropped_attempt_is_released_uncounted() {
        let (_clock, t) = throttle();
        let ip: IpAddr = "10.0.0.8".parse().unwrap();
        for _ in 0..10 {
            drop(t.reserve(ip, "dave").unwrap());
        }
        assert!(t.reserve(ip, "dave").is_ok());
    }
}
