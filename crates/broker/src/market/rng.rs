//! Counter-based randomness: every draw is a pure function of (seed, instrument, time bucket,
//! purpose), so any instant can be priced on its own and every run agrees with every other.

/// SplitMix64's finaliser: a good 64-bit mixer.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hashes a tuple of words into one draw key.
pub(crate) fn key(parts: &[u64]) -> u64 {
    parts.iter().fold(0x6a09_e667_f3bc_c908, |h, &p| mix(h ^ p))
}

/// Uniform in the open interval (0, 1).
pub(crate) fn uniform(h: u64) -> f64 {
    ((h >> 12) as f64 + 0.5) / (1u64 << 52) as f64
}

/// Standard normal (Box-Muller, one of the pair).
pub(crate) fn normal(h: u64) -> f64 {
    let (u1, u2) = (uniform(h), uniform(mix(h)));
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Stable 64-bit identity of an instrument: survives master rebuilds and reordering.
pub(crate) fn instrument_key(exchange: &str, symbol: &str) -> u64 {
    exchange
        .bytes()
        .chain([b':'])
        .chain(symbol.bytes())
        .fold(0xcbf2_9ce4_8422_2325, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normals_have_unit_variance_and_zero_mean() {
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|i| normal(key(&[7, i]))).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03, "{mean}");
        assert!((var - 1.0).abs() < 0.05, "{var}");
    }

    #[test]
    fn uniform_stays_inside_the_open_interval() {
        assert!(uniform(0) > 0.0 && uniform(u64::MAX) < 1.0);
    }
}
