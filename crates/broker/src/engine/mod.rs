//! The paper trading engine (OpenAlgo's sandbox, reference §6): orders, fills, trades,
//! positions, holdings and funds for each account.
//!
//! - [`types`]: the values (ids, enums, orders, positions, ...).
//! - [`config`]: [`EngineConfig`]; [`error`]: [`EngineError`].
//! - [`account`]: an account's state in memory and the [`Delta`] one operation commits;
//!   [`tx`]: the transaction the rules read and write through.
//! - [`rules`]: pure transitions, `account + command + prices → delta`, unit-tested: placing
//!   (`place`), filling (`fill`), cancel and modify (`amend`), margin (`margin`), and the
//!   trading day (`session`: MIS hours, square-off, expiry, T+1, session roll).
//! - [`ledger`]: the persistence trait (the store crate implements it on SQLite).
//! - [`service`]: the running [`Engine`]: per-account serialisation, commits, tick-driven
//!   fills, time-driven jobs, order updates on a broadcast channel.
//! - [`views`]: book rows with OpenAlgo's field names.

pub mod account;
pub mod config;
pub mod error;
pub mod ledger;
pub mod rules;
pub mod service;
pub mod tx;
pub mod types;
pub mod views;

#[cfg(test)]
mod tests;

pub use account::{Account, Delta};
pub use config::EngineConfig;
pub use error::EngineError;
pub use ledger::{AccountTx, Ledger, LedgerError, LedgerFuture, MemoryLedger, StoredAccount};
pub use service::{CancelAll, Engine, MarginLeg, SmartOutcome};
pub use types::*;
pub use views::*;
