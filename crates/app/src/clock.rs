//! Injected time. Session boundaries, cache expiry and square-off times are computed from
//! a `Clock` (the broker crate's, shared by the whole server), so tests move time instead of
//! waiting for it. The 03:00 IST boundary is the broker's too, so web sessions, key caches
//! and the paper books roll over at the same instant.

pub use algogate_broker::clock::{Clock, ManualClock, SystemClock};
pub use algogate_broker::time::next_session_boundary;
