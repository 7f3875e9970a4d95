//! temp
pub mod calendar;
pub mod clock;
pub mod domain;
pub mod error;
pub mod instruments;
