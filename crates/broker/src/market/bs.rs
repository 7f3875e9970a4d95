//! Black-Scholes on the simulated underlying, so option prices move with it.

use crate::domain::OptionKind;

/// Standard normal CDF via erfc (W. J. Cody's rational approximation through `erfc`).
pub(crate) fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Complementary error function, Numerical Recipes' Chebyshev fit (|error| < 1.2e-7).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// European option value; `t` in years, `r` and `vol` annualised. At expiry, intrinsic value.
pub(crate) fn price(kind: OptionKind, s: f64, k: f64, t: f64, r: f64, vol: f64) -> f64 {
    let intrinsic = match kind {
        OptionKind::Call => (s - k).max(0.0),
        OptionKind::Put => (k - s).max(0.0),
    };
    if t <= 0.0 || vol <= 0.0 || s <= 0.0 || k <= 0.0 {
        return intrinsic;
    }
    let sd = vol * t.sqrt();
    let d1 = ((s / k).ln() + (r + 0.5 * vol * vol) * t) / sd;
    let d2 = d1 - sd;
    let df = (-r * t).exp();
    let v = match kind {
        OptionKind::Call => s * norm_cdf(d1) - k * df * norm_cdf(d2),
        OptionKind::Put => k * df * norm_cdf(-d2) - s * norm_cdf(-d1),
    };
    v.max(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn textbook_values_and_put_call_parity() {
        // Hull: S=42, K=40, r=10%, vol=20%, T=0.5 -> call 4.76, put 0.81.
        let c = price(OptionKind::Call, 42.0, 40.0, 0.5, 0.1, 0.2);
        let p = price(OptionKind::Put, 42.0, 40.0, 0.5, 0.1, 0.2);
        assert!((c - 4.76).abs() < 0.01, "{c}");
        assert!((p - 0.81).abs() < 0.01, "{p}");
        assert!((c - p - (42.0 - 40.0 * (-0.05f64).exp())).abs() < 1e-4);
    }

    #[test]
    fn expiry_is_intrinsic() {
        assert_eq!(price(OptionKind::Call, 105.0, 100.0, 0.0, 0.05, 0.2), 5.0);
        assert_eq!(price(OptionKind::Put, 105.0, 100.0, 0.0, 0.05, 0.2), 0.0);
    }
}
