//! Rounding shared by the engine's books and the server's feed.

/// Rounds to two decimals (paise, or hundredths of a percent), halves away from zero.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}
