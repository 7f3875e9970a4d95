//! Per-IP, per-route rate limits on `/api/v1`, with OpenAlgo's defaults and semantics:
//! Flask-Limiter's moving window (a request is allowed when fewer than N requests were
//! accepted in the last window; rejected requests do not use up slots), one counter per
//! (client IP, route). Time comes from the injected clock, so tests are deterministic.
//! The HTTP middleware that applies them is the server's.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::Mutex;

use dashmap::DashMap;

/// "N per [M] second|minute|hour|day" (or "N/second"); several joined by ';'.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub count: u32,
    pub window_ms: i64,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (n, unit) = match self.window_ms {
            w if w % 86_400_000 == 0 => (w / 86_400_000, "day"),
            w if w % 3_600_000 == 0 => (w / 3_600_000, "hour"),
            w if w % 60_000 == 0 => (w / 60_000, "minute"),
            w => (w / 1000, "second"),
        };
        write!(f, "{} per {n} {unit}", self.count)
    }
}

pub fn parse_limits(s: &str) -> Result<Vec<Limit>, String> {
    let parse_one = |part: &str| -> Result<Limit, String> {
        let norm = part.trim().to_ascii_lowercase().replace('/', " per ");
        let words: Vec<&str> = norm.split_whitespace().collect();
        let (count, rest) = match words.as_slice() {
            [n, "per", rest @ ..] => (n, rest),
            _ => {
                return Err(format!(
                    "{part:?}: expected \"N per second|minute|hour|day\""
                ));
            }
        };
        let count: u32 = count
            .parse()
            .map_err(|_| format!("{part:?}: {count:?} is not a count"))?;
        let (mult, unit) = match rest {
            [unit] => (1, *unit),
            [m, unit] => (
                m.parse::<i64>()
                    .map_err(|_| format!("{part:?}: bad multiplier"))?,
                *unit,
            ),
            _ => {
                return Err(format!(
                    "{part:?}: expected \"N per second|minute|hour|day\""
                ));
            }
        };
        let unit_ms = match unit.trim_end_matches('s') {
            "second" => 1000,
            "minute" => 60_000,
            "hour" => 3_600_000,
            "day" => 86_400_000,
            other => return Err(format!("{part:?}: unknown unit {other:?}")),
        };
        if count == 0 || mult <= 0 {
            return Err(format!("{part:?}: count and window must be positive"));
        }
        Ok(Limit {
            count,
            window_ms: mult * unit_ms,
        })
    };
    s.split(';')
        .filter(|p| !p.trim().is_empty())
        .map(parse_one)
        .collect()
}

/// Which OpenAlgo setting governs a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RouteClass {
    Order,
    SmartOrder,
    Api,
    /// The strategy and Chartink webhooks (each its own counter).
    Webhook,
}

/// `ORDER_RATE_LIMIT`, `SMART_ORDER_RATE_LIMIT`, `API_RATE_LIMIT`, `WEBHOOK_RATE_LIMIT`.
#[derive(Debug, Clone)]
pub struct RateLimits {
    pub order: Vec<Limit>,
    pub smart_order: Vec<Limit>,
    pub api: Vec<Limit>,
    pub webhook: Vec<Limit>,
}

impl Default for RateLimits {
    fn default() -> Self {
        let per_second = |count| {
            vec![Limit {
                count,
                window_ms: 1000,
            }]
        };
        Self {
            order: per_second(10),
            smart_order: per_second(10),
            api: per_second(50),
            webhook: vec![Limit {
                count: 100,
                window_ms: 60_000,
            }],
        }
    }
}

impl RateLimits {
    /// The limits of a route class.
    pub fn for_class(&self, c: RouteClass) -> &[Limit] {
        match c {
            RouteClass::Order => &self.order,
            RouteClass::SmartOrder => &self.smart_order,
            RouteClass::Api => &self.api,
            RouteClass::Webhook => &self.webhook,
        }
    }
}

/// OpenAlgo's `/api/v1` endpoint names. Counters exist only for these (and one shared
/// bucket for anything else), so random paths cannot grow the table.
const ROUTES: &[&str] = &[
    "ping",
    "funds",
    "orderbook",
    "tradebook",
    "positionbook",
    "holdings",
    "placeorder",
    "placesmartorder",
    "modifyorder",
    "cancelorder",
    "cancelallorder",
    "closeposition",
    "basketorder",
    "splitorder",
    "orderstatus",
    "openposition",
    "quotes",
    "multiquotes",
    "depth",
    "history",
    "intervals",
    "ticker",
    "symbol",
    "search",
    "expiry",
    "instruments",
    "margin",
    "analyzer",
    "optionsorder",
    "optionsmultiorder",
    "optionsymbol",
    "optionchain",
    "syntheticfuture",
    "optiongreeks",
    "multioptiongreeks",
    "placegttorder",
    "modifygttorder",
    "cancelgttorder",
    "gttorderbook",
    "market",
    "chart",
    "pnl",
];

pub fn route_of(path: &str) -> (&'static str, RouteClass) {
    let seg = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let name = ROUTES
        .iter()
        .find(|r| **r == seg)
        .copied()
        .unwrap_or("_other");
    let class = match name {
        "placeorder" | "modifyorder" | "cancelorder" | "optionsorder" | "optionsmultiorder"
        | "placegttorder" | "modifygttorder" | "cancelgttorder" => RouteClass::Order,
        "placesmartorder" => RouteClass::SmartOrder,
        _ => RouteClass::Api,
    };
    (name, class)
}

/// Moving-window counters keyed by (client IP, route).
#[derive(Debug, Default)]
pub struct RateLimiter {
    hits: DashMap<(IpAddr, &'static str), Mutex<VecDeque<i64>>>,
}

impl RateLimiter {
    /// Records a hit at `now_ms` if every limit allows it; otherwise returns how long until
    /// the earliest one would (ms) and the limit that refused.
    pub fn check(
        &self,
        ip: IpAddr,
        route: &'static str,
        limits: &[Limit],
        now_ms: i64,
    ) -> Result<(), (i64, Limit)> {
        let Some(longest) = limits.iter().map(|l| l.window_ms).max() else {
            return Ok(());
        };
        // A shard read lock for known clients; the write lock only for a new one.
        let key = (ip, route);
        let entry = match self.hits.get(&key) {
            Some(e) => e,
            None => self.hits.entry(key).or_default().downgrade(),
        };
        let mut q = entry.lock().expect("rate limit lock");
        while q.front().is_some_and(|t| *t <= now_ms - longest) {
            q.pop_front();
        }
        for l in limits {
            // Timestamps are in order: the window's start is found by binary search, so a
            // check costs O(log n) however busy the client is.
            let start = q.partition_point(|t| *t <= now_ms - l.window_ms);
            let in_window = q.len() - start;
            if in_window >= l.count as usize {
                // The oldest accepted hit still inside this window frees a slot on expiry.
                let oldest = q[start];
                return Err(((oldest + l.window_ms - now_ms).max(1), *l));
            }
        }
        q.push_back(now_ms);
        // Only the `count` most recent hits can ever decide a limit.
        let keep = limits.iter().map(|l| l.count as usize).max().unwrap_or(0);
        while q.len() > keep {
            q.pop_front();
        }
        Ok(())
    }

    /// Drops counters with no hit inside `window_ms` (run periodically).
    pub fn prune(&self, now_ms: i64, window_ms: i64) {
        self.hits.retain(|_, q| {
            q.get_mut()
                .expect("rate limit lock")
                .back()
                .is_some_and(|t| *t > now_ms - window_ms)
        });
    }

    pub fn len(&self) -> usize {
        self.hits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.hits.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_openalgo_limit_strings() {
        assert_eq!(
            parse_limits("10 per second").unwrap(),
            vec![Limit {
                count: 10,
                window_ms: 1000
            }]
        );
        assert_eq!(
            parse_limits("10 per second;40 per minute").unwrap(),
            vec![
                Limit {
                    count: 10,
                    window_ms: 1000
                },
                Limit {
                    count: 40,
                    window_ms: 60_000
                }
            ]
        );
        assert_eq!(
            parse_limits("100/minute").unwrap()[0],
            Limit {
                count: 100,
                window_ms: 60_000
            }
        );
        assert_eq!(
            parse_limits("5 per 2 hours").unwrap()[0],
            Limit {
                count: 5,
                window_ms: 7_200_000
            }
        );
        for bad in [
            "",
            "ten per second",
            "10 per fortnight",
            "0 per second",
            "10 second",
        ] {
            assert!(
                parse_limits(bad).map(|v| v.is_empty()).unwrap_or(true),
                "{bad:?}"
            );
        }
        assert_eq!(
            Limit {
                count: 10,
                window_ms: 1000
            }
            .to_string(),
            "10 per 1 second"
        );
    }

    #[test]
    fn moving_window_refuses_the_eleventh_and_frees_a_slot_a_window_later() {
        let rl = RateLimiter::default();
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        let l = [Limit {
            count: 10,
            window_ms: 1000,
        }];
        for i in 0..10 {
            assert!(rl.check(ip, "placeorder", &l, i * 10).is_ok());
        }
        let (wait, _) = rl.check(ip, "placeorder", &l, 100).unwrap_err();
        assert_eq!(wait, 900, "first hit at 0 expires at 1000");
        // Refused hits do not use slots; other routes and IPs have their own counters.
        assert!(rl.check(ip, "placeorder", &l, 999).is_err());
        assert!(rl.check(ip, "cancelorder", &l, 999).is_ok());
        assert!(
            rl.check("10.0.0.2".parse().unwrap(), "placeorder", &l, 999)
                .is_ok()
        );
        assert!(rl.check(ip, "placeorder", &l, 1000).is_ok());
        assert!(rl.check(ip, "placeorder", &l, 1001).is_err());
        rl.prune(10_000, 1000);
        assert!(rl.is_empty());
    }

    #[test]
    fn routes_map_to_openalgo_classes_and_unknown_paths_share_a_bucket() {
        assert_eq!(route_of("/placeorder"), ("placeorder", RouteClass::Order));
        assert_eq!(route_of("/placeorder/"), ("placeorder", RouteClass::Order));
        assert_eq!(
            route_of("/placesmartorder"),
            ("placesmartorder", RouteClass::SmartOrder)
        );
        assert_eq!(route_of("/basketorder"), ("basketorder", RouteClass::Api));
        assert_eq!(route_of("/ticker/NSE:SBIN"), ("ticker", RouteClass::Api));
        assert_eq!(route_of("/random-xyz"), ("_other", RouteClass::Api));
    }
}
