//! Option chains that follow the simulated spot: the builtin master's F&O series are laid
//! around each underlying's price now, at start-up, at each session boundary and whenever a
//! spot has drifted [`CHAIN_MARGIN`] strikes from its chain's centre. Contracts with open
//! orders or positions are carried over, so a regeneration never strands a trader.

use std::collections::HashSet;

use super::PaperMarket;
use crate::domain::Exchange;
use crate::instruments::{CHAIN_MARGIN, InstrumentMaster};

impl PaperMarket {
    /// Lays every builtin chain around its underlying's current price, keeping the contracts
    /// in `keep` (exchange, symbol) from the current master. Returns the new row count.
    pub fn regenerate_chains(&self, keep: &HashSet<(Exchange, String)>) -> usize {
        let old = self.master();
        let spot = |symbol: &str, exchange: Exchange| {
            self.quote(symbol, exchange)
                .ok()
                .map(|q| q.ltp)
                .filter(|p| *p > 0.0)
        };
        let today = self.clock().today_ist();
        let fresh = InstrumentMaster::builtin_around(today, &self.holidays(), &spot)
            .keeping(&old, keep.iter().map(|(e, s)| (*e, s.as_str())));
        let rows = fresh.len();
        self.replace_master(fresh);
        rows
    }

    /// Whether `underlying`'s chain should be re-centred on `spot`: it has moved at least
    /// [`CHAIN_MARGIN`] strikes from where the chain was laid. False for an underlying
    /// without a generated chain.
    pub fn chain_is_stale(&self, underlying: &str, spot: f64) -> bool {
        self.master()
            .chain_centre(underlying)
            .is_some_and(|c| (spot - c.spot).abs() >= CHAIN_MARGIN as f64 * c.step)
    }
}
