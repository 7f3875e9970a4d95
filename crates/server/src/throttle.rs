//! Login throttling: failed attempts counted per client IP and per username in a sliding
//! window on the injected clock. When either count reaches its limit, logins from that IP
//! or for that user wait until the oldest counted failure leaves the window.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

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

#[derive(Debug, Default)]
struct Window<K: Eq + Hash> {
    failures: HashMap<K, VecDeque<i64>>,
}

impl<K: Eq + Hash + Clone> Window<K> {
    fn prune(q: &mut VecDeque<i64>, now: i64, window: i64) {
        while q.front().is_some_and(|&t| t <= now - window) {
            q.pop_front();
        }
    }

    /// Milliseconds until `key` may try again, if it is blocked.
    fn blocked_for(&mut self, key: &K, now: i64, window: i64, max: u32) -> Option<i64> {
        let q = self.failures.get_mut(key)?;
        Self::prune(q, now, window);
        let max = usize::try_from(max.max(1)).unwrap_or(usize::MAX);
        if q.len() >= max {
            let oldest_counted = q[q.len() - max];
            Some(oldest_counted + window - now)
        } else {
            None
        }
    }

    fn record(&mut self, key: K, now: i64, window: i64, max: u32) {
        if self.failures.len() > PRUNE_ABOVE {
            self.failures.retain(|_, q| {
                Self::prune(q, now, window);
                !q.is_empty()
            });
        }
        let q = self.failures.entry(key).or_default();
        Self::prune(q, now, window);
        q.push_back(now);
        // Only the newest `max` failures matter.
        while q.len() > usize::try_from(max.max(1)).unwrap_or(usize::MAX) {
            q.pop_front();
        }
    }
}

#[derive(Debug)]
pub struct LoginThrottle {
    clock: Arc<dyn Clock>,
    cfg: ThrottleConfig,
    by_ip: Mutex<Window<IpAddr>>,
    by_user: Mutex<Window<String>>,
}

impl LoginThrottle {
    pub fn new(clock: Arc<dyn Clock>, cfg: ThrottleConfig) -> Self {
        Self {
            clock,
            cfg,
            by_ip: Mutex::new(Window {
                failures: HashMap::new(),
            }),
            by_user: Mutex::new(Window {
                failures: HashMap::new(),
            }),
        }
    }

    fn user_key(username: &str) -> String {
        username.trim().to_lowercase()
    }

    /// Whole seconds (rounded up, at least 1) before this IP or username may try again.
    pub fn retry_after(&self, ip: IpAddr, username: &str) -> Option<u64> {
        let now = self.clock.now_ms();
        let w = self.cfg.window_ms;
        let a =
            self.by_ip
                .lock()
                .expect("throttle lock")
                .blocked_for(&ip, now, w, self.cfg.max_per_ip);
        let b = self.by_user.lock().expect("throttle lock").blocked_for(
            &Self::user_key(username),
            now,
            w,
            self.cfg.max_per_user,
        );
        a.max(b)
            .map(|ms| u64::try_from((ms + 999) / 1000).unwrap_or(1).max(1))
    }

    pub fn record_failure(&self, ip: IpAddr, username: &str) {
        let now = self.clock.now_ms();
        let w = self.cfg.window_ms;
        self.by_ip
            .lock()
            .expect("throttle lock")
            .record(ip, now, w, self.cfg.max_per_ip);
        self.by_user.lock().expect("throttle lock").record(
            Self::user_key(username),
            now,
            w,
            self.cfg.max_per_user,
        );
    }

    /// A successful login clears that username's failures (not the IP's).
    pub fn record_success(&self, username: &str) {
        self.by_user
            .lock()
            .expect("throttle lock")
            .failures
            .remove(&Self::user_key(username));
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

    #[test]
    fn a_username_is_blocked_after_its_limit_until_the_window_moves() {
        let (clock, t) = throttle();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(t.retry_after(ip, "Admin"), None);
            t.record_failure(ip, "admin");
            clock.advance_ms(1000);
        }
        // Oldest failure at 0 s, now 3 s: 57 s left; case-insensitive.
        assert_eq!(t.retry_after(ip, "ADMIN"), Some(57));
        assert_eq!(t.retry_after(ip, "other"), None);
        clock.advance_ms(57_000);
        assert_eq!(t.retry_after(ip, "admin"), None);
    }

    #[test]
    fn an_ip_is_blocked_across_usernames_and_success_clears_only_the_user() {
        let (_clock, t) = throttle();
        let ip: IpAddr = "10.0.0.2".parse().unwrap();
        for i in 0..5 {
            t.record_failure(ip, &format!("u{i}"));
        }
        assert_eq!(t.retry_after(ip, "fresh"), Some(60));
        assert_eq!(t.retry_after("10.0.0.3".parse().unwrap(), "fresh"), None);
        t.record_failure("10.0.0.3".parse().unwrap(), "bob");
        t.record_failure("10.0.0.4".parse().unwrap(), "bob");
        t.record_failure("10.0.0.5".parse().unwrap(), "bob");
        assert!(t.retry_after("10.0.0.6".parse().unwrap(), "bob").is_some());
        t.record_success("bob");
        assert_eq!(t.retry_after("10.0.0.6".parse().unwrap(), "bob"), None);
    }
}
