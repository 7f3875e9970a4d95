//! The engine's rules as pure functions: an account, a command and prices in, the new
//! state out as a [`Delta`](super::Delta) (the rows to persist, the order updates to
//! publish). No I/O, no clock: time and ids come in through the [`Tx`](super::tx::Tx).

mod amend;
mod fill;
mod gtt;
mod margin;
mod place;
mod segment;
mod session;

pub use amend::{cancel, modify};
pub use fill::{evaluate, fill_order, on_price};
pub use gtt::{DEFAULT_LIFETIME_MS, cancel_gtt, expire_gtts, fire_gtts, modify_gtt, place_gtt};
pub use margin::margin_for;
pub use place::{AUTO_SQUARE_OFF, close_position, place, smart_order_leg};
pub use segment::{EXPIRY_CLOSE, MIS_RESUME, mis_gate, square_off_time};
pub use session::{housekeeping, roll_session, settle_expired, settle_t1, square_off};
