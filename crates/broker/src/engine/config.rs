//! The engine's settings.

use chrono::NaiveTime;

/// Sandbox configuration (reference §6.2 defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    pub starting_capital: f64,
    /// Daily session boundary, IST (OpenAlgo's `SESSION_EXPIRY_TIME`, 03:00).
    pub session_boundary: NaiveTime,
    /// MIS time gates and auto square-off (the `exchange` calendar); off in `continuous`.
    pub mis_gates: bool,
    pub equity_mis_leverage: f64,
    pub equity_cnc_leverage: f64,
    pub futures_leverage: f64,
    pub option_buy_leverage: f64,
    pub option_sell_leverage: f64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            starting_capital: 10_000_000.0,
            session_boundary: NaiveTime::from_hms_opt(3, 0, 0).expect("valid time"),
            mis_gates: false,
            equity_mis_leverage: 5.0,
            equity_cnc_leverage: 1.0,
            futures_leverage: 10.0,
            option_buy_leverage: 1.0,
            option_sell_leverage: 1.0,
        }
    }
}
