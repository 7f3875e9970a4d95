//! Start-up cost of the instrument master (docs/PERFORMANCE.md): the builtin master's rows,
//! its build time, the resident memory it adds, a search over every row, and `PaperMarket::with_builtin` (spots
//! first, then every chain laid around them), as the server starts.
use std::sync::Arc;
use std::time::Instant;

use algogate_broker::{Holidays, InstrumentMaster, ManualClock, MarketConfig, PaperMarket};
use chrono::NaiveDate;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 2).expect("date");
    let h = Holidays::builtin();
    let runs = 5;
    let mut best = f64::INFINITY;
    let before = rss_kib();
    let mut kept = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let m = InstrumentMaster::builtin(today, &h);
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
        kept.push(m);
    }
    let per_master = (rss_kib() - before) / runs as u64;
    let rows = kept[0].len();
    println!(
        "builtin master: {rows} rows, best of {runs}: {best:.1} ms, ~{per_master} KiB resident"
    );
    // Search ranks every row, generated ones from their symbols: its worst case is a query
    // over all exchanges.
    for q in ["NIFTY 26000 DEC CE", "RELIANCE"] {
        let mut best = f64::INFINITY;
        for _ in 0..runs {
            let t = Instant::now();
            let hits = kept[0].search(q, None).expect("query").len();
            best = best.min(t.elapsed().as_secs_f64() * 1e3);
            assert!(hits > 0);
        }
        println!("search {q:?} over all exchanges: best of {runs}: {best:.1} ms");
    }
    drop(kept);
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let clock = Arc::new(ManualClock::at_ist(2026, 12, 2, 10, 0, 0));
        let t = Instant::now();
        let m = PaperMarket::with_builtin(clock, MarketConfig::default());
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
        drop(m);
    }
    println!("PaperMarket::with_builtin (chains around the spots): best of {runs}: {best:.1} ms");
}
