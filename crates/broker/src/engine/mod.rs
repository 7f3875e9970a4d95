//! The paper trading engine (OpenAlgo's sandbox, reference §6): orders, fills, trades,
//! positions, holdings and funds for each account.
//!
//! - [`types`]: the values (ids, enums, orders, positions, ...).
//! - [`rules`]: pure transitions, `account + command + prices → delta`, unit-tested.
//! - [`ledger`]: the persistence trait (the store crate implements it on SQLite).
//! - [`service`]: the running [`Engine`]: per-account serialisation, commits, tick-driven
//!   fills, time-driven jobs, order updates on a broadcast channel.
//! - [`views`]: book rows with OpenAlgo's field names.

pub mod ledger;
pub mod rules;
pub mod service;
pub mod types;
pub mod views;

#[cfg(test)]
mod tests;

pub use ledger::{Ledger, LedgerError, LedgerFuture, MemoryLedger, StoredAccount};
pub use rules::{Account, Delta, EngineConfig, EngineError};
pub use service::{CancelAll, Engine, MarginLeg, SmartOutcome};
pub use types::*;
pub use views::*;
