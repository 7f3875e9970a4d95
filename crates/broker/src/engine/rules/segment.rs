//! What an order's exchange segment decides: its trading hours (the MIS gate, auto
//! square-off, the expiry-day close) and whether derivative rules apply (no CNC, lots).

use chrono::NaiveTime;

use crate::domain::Exchange;
use crate::engine::config::EngineConfig;
use crate::time::ist_parts;

/// F&O exchanges where CNC is refused and lot sizes are enforced (NCO is not among them).
pub(super) fn is_derivative_exchange(ex: Exchange) -> bool {
    matches!(
        ex,
        Exchange::Nfo
            | Exchange::Bfo
            | Exchange::Mcx
            | Exchange::Cds
            | Exchange::Bcd
            | Exchange::Ncdex
            | Exchange::Crypto
    )
}

/// MIS square-off time per exchange (IST); `None` where OpenAlgo has none.
pub fn square_off_time(ex: Exchange) -> Option<NaiveTime> {
    let (h, m) = match ex {
        Exchange::Nse | Exchange::Bse | Exchange::Nfo | Exchange::Bfo => (15, 15),
        Exchange::Cds | Exchange::Bcd => (16, 45),
        Exchange::Mcx => (23, 30),
        Exchange::Ncdex => (17, 0),
        _ => return None,
    };
    NaiveTime::from_hms_opt(h, m, 0)
}

/// MIS orders may open positions from this IST time on.
pub const MIS_RESUME: (u32, u32) = (9, 0);
/// F&O contracts settle on their expiry day from this IST time (`expiry_day_close`).
pub const EXPIRY_CLOSE: (u32, u32) = (15, 30);

/// The MIS gate's rejection, if `now_ms` is outside MIS hours for `ex`.
pub fn mis_gate(cfg: &EngineConfig, ex: Exchange, now_ms: i64) -> Option<String> {
    if !cfg.mis_gates {
        return None;
    }
    let cutoff = square_off_time(ex)?;
    let (_, t) = ist_parts(now_ms);
    let resume = NaiveTime::from_hms_opt(MIS_RESUME.0, MIS_RESUME.1, 0)?;
    (t >= cutoff || t < resume).then(|| {
        format!(
            "MIS orders cannot be placed after square-off time ({} IST). Trading resumes at \
             09:00 AM IST.",
            cutoff.format("%H:%M")
        )
    })
}
