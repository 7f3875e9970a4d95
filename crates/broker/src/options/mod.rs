//! OpenAlgo's option machinery, as pure functions over the instrument master
//! (reference/openalgo-options-gtt-calendar.md §1, §6): parsing an underlying and an
//! option symbol, where the underlying is quoted, offsets to strikes, and Black-76 greeks.

pub mod black76;
mod resolve;

pub use resolve::*;

#[cfg(test)]
mod tests;
