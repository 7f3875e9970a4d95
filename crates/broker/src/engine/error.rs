//! The engine's error type.

use super::types::OrderId;

/// The engine's one error type. Messages are OpenAlgo's sandbox messages.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    /// 400; `orderid` is set when a rejected order was recorded (CNC sell checks).
    #[error("{message}")]
    Rejected {
        message: String,
        orderid: Option<OrderId>,
    },
    /// 404.
    #[error("Order {0} not found")]
    OrderNotFound(String),
    /// 404: no active GTT of this account has the id.
    #[error("No active GTT with trigger_id '{0}'")]
    GttNotFound(String),
    /// The database failed; nothing was applied.
    #[error("ledger: {0}")]
    Ledger(String),
}

impl EngineError {
    pub fn rejected(message: impl Into<String>) -> Self {
        EngineError::Rejected {
            message: message.into(),
            orderid: None,
        }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;
