//! Black-76 on a forward, as OpenAlgo computes option greeks (opengreeks, bit-for-bit
//! py_vollib's Black module): theta per calendar day, vega per vol point, rho = -T·price.

use crate::domain::OptionKind;

/// Standard normal density.
fn pdf(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

/// Standard normal distribution, to full double precision (libm's erfc).
fn cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// One option's model inputs: forward, strike, years to expiry, rate (decimal).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Inputs {
    pub kind: OptionKind,
    pub forward: f64,
    pub strike: f64,
    pub t: f64,
    pub r: f64,
}

/// Price and sensitivities in OpenAlgo's units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Greeks {
    pub delta: f64,
    pub gamma: f64,
    /// Per calendar day.
    pub theta: f64,
    /// Per one volatility point (1%).
    pub vega: f64,
    /// Per one rate point; negative for calls and puts alike.
    pub rho: f64,
}

impl Inputs {
    fn d1_d2(&self, vol: f64) -> (f64, f64) {
        let sd = vol * self.t.sqrt();
        let d1 = ((self.forward / self.strike).ln() + 0.5 * vol * vol * self.t) / sd;
        (d1, d1 - sd)
    }

    fn discount(&self) -> f64 {
        (-self.r * self.t).exp()
    }

    /// The undiscounted-forward Black price.
    pub fn price(&self, vol: f64) -> f64 {
        let (f, k, df) = (self.forward, self.strike, self.discount());
        let (d1, d2) = self.d1_d2(vol);
        match self.kind {
            OptionKind::Call => df * (f * cdf(d1) - k * cdf(d2)),
            OptionKind::Put => df * (k * cdf(-d2) - f * cdf(-d1)),
        }
    }

    pub fn greeks(&self, vol: f64) -> Greeks {
        let (f, k, t, r, df) = (self.forward, self.strike, self.t, self.r, self.discount());
        let (d1, d2) = self.d1_d2(vol);
        let sqrt_t = t.sqrt();
        let decay = f * df * pdf(d1) * vol / (2.0 * sqrt_t);
        let (delta, theta) = match self.kind {
            OptionKind::Call => (
                df * cdf(d1),
                -(decay - r * f * df * cdf(d1) + r * k * df * cdf(d2)) / 365.0,
            ),
            OptionKind::Put => (
                -df * cdf(-d1),
                (-decay - r * f * df * cdf(-d1) + r * k * df * cdf(-d2)) / 365.0,
            ),
        };
        Greeks {
            delta,
            gamma: df * pdf(d1) / (f * vol * sqrt_t),
            theta,
            vega: f * df * pdf(d1) * sqrt_t * 0.01,
            rho: -t * self.price(vol) * 0.01,
        }
    }

    /// Value at zero volatility: the discounted intrinsic against the forward.
    fn floor(&self) -> f64 {
        self.discount()
            * match self.kind {
                OptionKind::Call => (self.forward - self.strike).max(0.0),
                OptionKind::Put => (self.strike - self.forward).max(0.0),
            }
    }

    /// Value at infinite volatility.
    fn ceiling(&self) -> f64 {
        self.discount()
            * match self.kind {
                OptionKind::Call => self.forward,
                OptionKind::Put => self.strike,
            }
    }

    /// The volatility (decimal) at which the model prices `premium`.
    pub fn implied_vol(&self, premium: f64) -> Result<f64, IvError> {
        if !(premium.is_finite() && self.t > 0.0 && self.forward > 0.0 && self.strike > 0.0) {
            return Err(IvError::NoConvergence);
        }
        if premium <= self.floor() {
            return Err(IvError::BelowIntrinsic);
        }
        if premium >= self.ceiling() {
            return Err(IvError::AboveMaximum);
        }
        // Price is increasing in vol: bracket, then Newton steps kept inside the bracket.
        let (mut lo, mut hi) = (1e-9, 1.0);
        while self.price(hi) < premium {
            hi *= 2.0;
            if hi > 1e3 {
                return Err(IvError::NoConvergence);
            }
        }
        let mut vol = 0.5 * (lo + hi);
        for _ in 0..200 {
            let diff = self.price(vol) - premium;
            if diff.abs() < 1e-12 * premium.max(1.0) {
                return Ok(vol);
            }
            if diff > 0.0 {
                hi = vol;
            } else {
                lo = vol;
            }
            let vega = self.greeks(vol).vega * 100.0;
            let newton = vol - diff / vega;
            vol = if vega > 0.0 && newton > lo && newton < hi {
                newton
            } else {
                0.5 * (lo + hi)
            };
            if hi - lo < 1e-15 {
                return Ok(vol);
            }
        }
        Err(IvError::NoConvergence)
    }
}

/// Why no volatility prices a premium; the texts carry the words OpenAlgo matches on to
/// fall back to theoretical greeks (`intrinsic`, `convergence`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IvError {
    #[error("The option price is below the intrinsic value")]
    BelowIntrinsic,
    #[error("The option price is above the maximum value")]
    AboveMaximum,
    #[error("The implied volatility search failed to reach convergence")]
    NoConvergence,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: f64, k: f64, t: f64, r: f64) -> Inputs {
        Inputs {
            kind: OptionKind::Call,
            forward: f,
            strike: k,
            t,
            r,
        }
    }

    #[test]
    fn implied_vol_inverts_the_price() {
        for &(k, vol) in &[(24_000.0, 0.12), (25_000.0, 0.3), (26_500.0, 0.8)] {
            for kind in [OptionKind::Call, OptionKind::Put] {
                let i = Inputs {
                    kind,
                    ..call(25_000.0, k, 10.0 / 365.0, 0.065)
                };
                let iv = i.implied_vol(i.price(vol)).unwrap();
                assert!((iv - vol).abs() < 1e-9, "{kind:?} {k}: {iv} vs {vol}");
            }
        }
    }

    #[test]
    fn prices_outside_the_arbitrage_bounds_have_no_vol() {
        let i = call(25_000.0, 24_000.0, 0.1, 0.0);
        assert_eq!(i.implied_vol(999.0), Err(IvError::BelowIntrinsic));
        assert_eq!(i.implied_vol(25_000.0), Err(IvError::AboveMaximum));
        assert_eq!(i.implied_vol(f64::NAN), Err(IvError::NoConvergence));
    }
}
