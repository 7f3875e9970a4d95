//! Invalid-API-key tracking and IP bans (reference/openalgo-rest.md §8). Off by default.
//!
//! Every denied key on `/api/v1` is counted per client IP over 24 hours; the same wrong key
//! counts once per five minutes. With auto-ban on, reaching the threshold bans the IP for
//! the configured duration (permanently for repeat offenders). A banned IP gets 403 before
//! any other work on every path. Loopback addresses are never banned.

use std::net::IpAddr;
use std::sync::Mutex;

use algogate_store::bus::BusEvent;
use algogate_store::{BanRow, Store, StoreError, TrackerRow};
use dashmap::DashMap;
use sha2::{Digest, Sha256};

#[derive(Debug, thiserror::Error)]
pub enum SecurityError {
    #[error("loopback addresses are never banned")]
    Loopback,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub struct SecurityConfig {
    pub auto_ban_enabled: bool,
    /// Denied keys per IP within 24 h that trigger a ban (OpenAlgo: 1–100, default 100).
    pub api_threshold: u32,
    /// Ban length in hours; 0 = permanent.
    pub api_ban_duration_hours: u32,
    /// The n-th ban of an IP with n ≥ this is permanent.
    pub repeat_offender_limit: u32,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            auto_ban_enabled: false,
            api_threshold: 100,
            api_ban_duration_hours: 0,
            repeat_offender_limit: 2,
        }
    }
}

const WINDOW_MS: i64 = 24 * 3_600_000;
const SAME_KEY_MS: i64 = 5 * 60_000;
const RECENT_KEYS: usize = 20;
/// Bound on tracked IPs; past it the oldest entries go first.
const MAX_TRACKED: usize = 100_000;

#[derive(Debug, Clone, serde::Serialize)]
pub struct Attempts {
    pub ip_address: String,
    pub attempt_count: u32,
    pub first_attempt_at: i64,
    pub last_attempt_at: i64,
    #[serde(skip)]
    recent: Vec<(String, i64)>,
}

impl Attempts {
    fn from_row(r: TrackerRow) -> Self {
        Self {
            attempt_count: u32::try_from(r.attempt_count).unwrap_or(u32::MAX),
            first_attempt_at: r.first_attempt_at,
            last_attempt_at: r.last_attempt_at,
            // A row this version cannot read starts its recent keys afresh.
            recent: serde_json::from_str(&r.keys_tried).unwrap_or_default(),
            ip_address: r.ip_address,
        }
    }

    fn to_row(&self) -> TrackerRow {
        TrackerRow {
            ip_address: self.ip_address.clone(),
            attempt_count: i64::from(self.attempt_count),
            first_attempt_at: self.first_attempt_at,
            last_attempt_at: self.last_attempt_at,
            keys_tried: serde_json::to_string(&self.recent).unwrap_or_else(|_| "[]".into()),
        }
    }
}

#[derive(Debug)]
pub struct Security {
    cfg: SecurityConfig,
    /// Take the client IP from proxy headers (config `trust_proxy_headers`).
    trust_proxy_headers: bool,
    store: Store,
    tracker: Mutex<std::collections::HashMap<IpAddr, Attempts>>,
    /// Active bans: IP → expiry (epoch ms; None = permanent). Mirrors `ip_bans`.
    bans: DashMap<IpAddr, Option<i64>>,
}

pub fn is_loopback(ip: IpAddr) -> bool {
    ip.is_loopback() || ip.to_canonical().is_loopback()
}

/// A short, one-way tag of a tried key (never the key).
fn key_tag(key: &str) -> String {
    hex::encode(&Sha256::digest(key.as_bytes())[..8])
}

impl Security {
    pub async fn new(
        cfg: SecurityConfig,
        trust_proxy_headers: bool,
        store: Store,
        now_ms: i64,
    ) -> Result<Self, SecurityError> {
        let s = Self {
            cfg,
            trust_proxy_headers,
            store,
            tracker: Mutex::new(Default::default()),
            bans: DashMap::new(),
        };
        s.reload_bans(now_ms).await?;
        Ok(s)
    }

    /// Reads the ban list again (another instance changed it).
    pub async fn reload_bans(&self, now_ms: i64) -> Result<(), SecurityError> {
        let active: Vec<(IpAddr, Option<i64>)> = self
            .store
            .bans()
            .await?
            .into_iter()
            .filter(|b| b.expires_at.is_none_or(|e| e > now_ms))
            .filter_map(|b| Some((b.ip_address.parse::<IpAddr>().ok()?, b.expires_at)))
            .collect();
        self.bans
            .retain(|ip, _| active.iter().any(|(a, _)| a == ip));
        for (ip, exp) in active {
            self.bans.insert(ip, exp);
        }
        Ok(())
    }

    pub fn config(&self) -> &SecurityConfig {
        &self.cfg
    }

    /// The client's IP: the socket peer, or, when proxy headers are trusted, the first of
    /// OpenAlgo's headers present (`header` looks one up by lower-case name). Of
    /// `X-Forwarded-For` the last hop counts: the one our own proxy appended (earlier hops
    /// are whatever the client claimed).
    pub fn client_ip<'h>(&self, peer: IpAddr, header: impl Fn(&str) -> Option<&'h str>) -> IpAddr {
        if !self.trust_proxy_headers {
            return peer;
        }
        let first = |name: &str| {
            header(name)
                .and_then(|v| v.rsplit(',').next())
                .and_then(|v| v.trim().parse::<IpAddr>().ok())
        };
        [
            "cf-connecting-ip",
            "true-client-ip",
            "x-real-ip",
            "x-forwarded-for",
            "x-client-ip",
        ]
        .into_iter()
        .find_map(first)
        .unwrap_or(peer)
    }

    pub fn is_banned(&self, ip: IpAddr, now_ms: i64) -> bool {
        match self.bans.get(&ip).map(|e| *e) {
            Some(None) => true,
            Some(Some(exp)) if exp > now_ms => true,
            Some(Some(_)) => {
                self.bans.remove(&ip);
                false
            }
            None => false,
        }
    }

    /// Counts a denied key from `ip`; bans when auto-ban is on and the threshold is met.
    /// Instances sharing a database count in it (one threshold for all of them).
    pub async fn record_invalid_key(
        &self,
        ip: IpAddr,
        key: &str,
        now_ms: i64,
    ) -> Result<(), SecurityError> {
        if is_loopback(ip) {
            return Ok(());
        }
        let tag = key_tag(key);
        let reached = if self.store.is_shared() {
            self.store
                .update_tracker(&ip.to_string(), now_ms - WINDOW_MS, |row| {
                    let (kept, reached) = self.count(row.map(Attempts::from_row), ip, tag, now_ms);
                    (kept.map(|a| a.to_row()), reached)
                })
                .await?
        } else {
            let mut t = self.tracker.lock().expect("tracker lock");
            if t.len() >= MAX_TRACKED && !t.contains_key(&ip) {
                let oldest = t
                    .iter()
                    .min_by_key(|(_, a)| a.last_attempt_at)
                    .map(|(ip, _)| *ip);
                if let Some(o) = oldest {
                    t.remove(&o);
                }
            }
            let (kept, reached) = self.count(t.remove(&ip), ip, tag, now_ms);
            if let Some(a) = kept {
                t.insert(ip, a);
            }
            reached
        };
        if reached {
            let reason = format!(
                "{} invalid API key attempts within 24 hours",
                self.cfg.api_threshold
            );
            let hours = self.cfg.api_ban_duration_hours;
            self.ban(
                ip,
                &reason,
                (hours > 0).then_some(hours),
                "api_key_detector",
                now_ms,
            )
            .await?;
            tracing::warn!(%ip, "IP banned after repeated invalid API keys");
        }
        Ok(())
    }

    /// One denied key (by its tag) counted into an IP's counter: the counter to keep
    /// (none once it has triggered a ban) and whether the ban threshold is reached. The
    /// same key again within five minutes is not counted twice.
    fn count(
        &self,
        current: Option<Attempts>,
        ip: IpAddr,
        tag: String,
        now_ms: i64,
    ) -> (Option<Attempts>, bool) {
        let fresh = || Attempts {
            ip_address: ip.to_string(),
            attempt_count: 0,
            first_attempt_at: now_ms,
            last_attempt_at: now_ms,
            recent: vec![],
        };
        let mut a = current
            .filter(|a| now_ms - a.first_attempt_at <= WINDOW_MS)
            .unwrap_or_else(fresh);
        let repeat = a
            .recent
            .iter()
            .any(|(k, at)| *k == tag && now_ms - at < SAME_KEY_MS);
        a.last_attempt_at = now_ms;
        a.recent.retain(|(k, _)| *k != tag);
        a.recent.push((tag, now_ms));
        if a.recent.len() > RECENT_KEYS {
            a.recent.remove(0);
        }
        if !repeat {
            a.attempt_count += 1;
        }
        let reached = self.cfg.auto_ban_enabled && a.attempt_count >= self.cfg.api_threshold;
        ((!reached).then_some(a), reached)
    }

    /// Bans `ip` for `hours` (None = permanent). Loopback is refused.
    pub async fn ban(
        &self,
        ip: IpAddr,
        reason: &str,
        hours: Option<u32>,
        by: &str,
        now_ms: i64,
    ) -> Result<BanRow, SecurityError> {
        if is_loopback(ip) {
            return Err(SecurityError::Loopback);
        }
        let previous = self
            .store
            .bans()
            .await?
            .into_iter()
            .find(|b| b.ip_address == ip.to_string())
            .map_or(0, |b| b.ban_count);
        let ban_count = previous + 1;
        let permanent = hours.is_none()
            || (by != "manual" && ban_count >= i64::from(self.cfg.repeat_offender_limit));
        let expires_at = if permanent {
            None
        } else {
            hours.map(|h| now_ms + i64::from(h) * 3_600_000)
        };
        let row = BanRow {
            ip_address: ip.to_string(),
            ban_reason: reason.to_string(),
            ban_count,
            banned_at: now_ms,
            expires_at,
            is_permanent: permanent,
            created_by: by.to_string(),
        };
        self.store.ban(&row).await?;
        self.bans.insert(ip, expires_at);
        self.store.publish(&BusEvent::Bans).await;
        Ok(row)
    }

    pub async fn unban(&self, ip: IpAddr) -> Result<bool, SecurityError> {
        self.bans.remove(&ip);
        if self.store.is_shared() {
            self.store.forget_tracker(&ip.to_string()).await?;
        } else {
            self.tracker.lock().expect("tracker lock").remove(&ip);
        }
        let removed = self.store.unban(&ip.to_string()).await?;
        self.store.publish(&BusEvent::Bans).await;
        Ok(removed)
    }

    /// Current attempt counters (of the last 24 hours), most recent first.
    pub async fn attempts(&self, now_ms: i64) -> Result<Vec<Attempts>, SecurityError> {
        if self.store.is_shared() {
            let rows = self.store.trackers(now_ms - WINDOW_MS).await?;
            return Ok(rows.into_iter().map(Attempts::from_row).collect());
        }
        let mut v: Vec<Attempts> = self
            .tracker
            .lock()
            .expect("tracker lock")
            .values()
            .filter(|a| now_ms - a.last_attempt_at < WINDOW_MS)
            .cloned()
            .collect();
        v.sort_by_key(|a| std::cmp::Reverse(a.last_attempt_at));
        Ok(v)
    }
}
