//! Rounding shared by the engine's books and the server's feed.

/// Rounds to two decimals (paise, or hundredths of a percent), halves away from zero.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Python's `round(x, digits)`: to the nearest on the exact binary value, ties to even
/// (Rust's formatting rounds the same way), as OpenAlgo rounds its greeks.
pub fn py_round(x: f64, digits: usize) -> f64 {
    if !x.is_finite() {
        return x;
    }
    format!("{x:.digits$}").parse().unwrap_or(x)
}
