//! Times building the builtin instrument master and counts its rows (docs/PERFORMANCE.md).
use std::time::Instant;

use algogate_broker::{Holidays, InstrumentMaster};
use chrono::NaiveDate;

fn main() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 2).expect("date");
    let h = Holidays::builtin();
    let runs = 5;
    let mut best = f64::INFINITY;
    let mut len = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let m = InstrumentMaster::builtin(today, &h);
        best = best.min(t.elapsed().as_secs_f64() * 1e3);
        len = m.len();
    }
    println!("rows {len}, best of {runs}: {best:.1} ms");
}
