use chrono::NaiveDate;

use super::black76::Inputs;
use super::*;
use crate::calendar::Holidays;
use crate::domain::{Exchange, OptionKind};
use crate::instruments::InstrumentMaster;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The builtin master for `today` with NIFTY's and RELIANCE's chains laid around `spot`.
fn master(today: NaiveDate, nifty: f64, reliance: f64) -> InstrumentMaster {
    InstrumentMaster::builtin_around(today, &Holidays::builtin(), &|s, _| match s {
        "NIFTY" => Some(nifty),
        "RELIANCE" => Some(reliance),
        _ => None,
    })
}

fn resolve(
    m: &InstrumentMaster,
    base: &str,
    expiry: NaiveDate,
    ltp: f64,
    offset: &str,
    kind: OptionKind,
) -> Result<f64, OffsetError> {
    let strikes = series_strikes(m, base, Exchange::Nfo, expiry, kind);
    offset_strike(&strikes, ltp, parse_offset(offset, false)?, kind, offset)
}

#[test]
fn underlyings_split_into_base_and_embedded_expiry() {
    let u = parse_underlying("nifty28oct25fut");
    assert_eq!(
        (u.base.as_str(), u.embedded_expiry.as_deref()),
        ("NIFTY", Some("28OCT25"))
    );
    assert_eq!(
        parse_underlying("NIFTY28OCT25").embedded_expiry.as_deref(),
        Some("28OCT25")
    );
    for plain in ["NIFTY", "M&M", "BAJAJ-AUTO", "NIFTYNXT50", "NIFTY28OCT2FUT"] {
        let u = parse_underlying(plain);
        assert_eq!(u.embedded_expiry, None, "{plain}");
        assert_eq!(u.base, plain.to_ascii_uppercase());
    }
    // The quote follows §1.3: the index for NFO index options, the spot for an embedded
    // expiry, the future itself on MCX.
    assert_eq!(quote_exchange(Exchange::Nfo, "NIFTY"), Exchange::NseIndex);
    assert_eq!(quote_exchange(Exchange::Nfo, "RELIANCE"), Exchange::Nse);
    assert_eq!(quote_exchange(Exchange::Bfo, "SENSEX"), Exchange::BseIndex);
    assert_eq!(quote_exchange(Exchange::Bfo, "TCS"), Exchange::Bse);
    let fut = parse_underlying("NIFTY28OCT25FUT");
    assert_eq!(quote_symbol(&fut, Exchange::NseIndex), "NIFTY");
    let crude = parse_underlying("crudeoil19aug26fut");
    assert_eq!(quote_symbol(&crude, Exchange::Mcx), "CRUDEOIL19AUG26FUT");
    assert_eq!(options_exchange(Exchange::NseIndex), Exchange::Nfo);
    assert_eq!(options_exchange(Exchange::BseIndex), Exchange::Bfo);
    assert_eq!(options_exchange(Exchange::McxIndex), Exchange::Nfo);
}

#[test]
fn offsets_parse_as_the_service_reads_them() {
    assert_eq!(parse_offset("atm", false), Ok(Offset::Atm));
    assert_eq!(parse_offset("itm2", false), Ok(Offset::Itm(2)));
    assert_eq!(parse_offset("OTM0", false), Ok(Offset::Otm(0)));
    assert_eq!(parse_offset("ITM75", false), Ok(Offset::Itm(75)));
    assert_eq!(
        parse_offset("XTM1", false).unwrap_err().to_string(),
        "Offset XTM1 is out of range for available strikes. Please use a smaller offset."
    );
    assert_eq!(
        parse_offset("ITMX", false).unwrap_err().to_string(),
        "invalid literal for int() with base 10: 'X'"
    );
    assert_eq!(
        parse_offset("foo", true).unwrap_err().to_string(),
        "Invalid offset: FOO"
    );
    for ok in ["ATM", "atm", "ITM1", "otm50", "Itm25"] {
        assert!(is_listed_offset(ok), "{ok}");
    }
    for bad in [
        "ITM0", "OTM51", "ITM01", "ITM", "ATM1", "ITM+1", "", "OTM 1",
    ] {
        assert!(!is_listed_offset(bad), "{bad}");
    }
}

#[test]
fn atm_is_the_nearest_strike_and_the_lower_one_on_a_tie() {
    let strikes = [24_500.0, 24_550.0, 24_600.0, 24_650.0, 24_700.0];
    assert_eq!(atm_index(&strikes, 24_612.4), Some(2));
    assert_eq!(atm_index(&strikes, 24_625.0), Some(2));
    assert_eq!(atm_index(&strikes, 24_625.01), Some(3));
    assert_eq!(atm_index(&strikes, 1.0), Some(0));
    assert_eq!(atm_index(&[], 1.0), None);
    // The reference's worked example.
    let at = |o: &str, k| offset_strike(&strikes, 24_612.4, parse_offset(o, false).unwrap(), k, o);
    assert_eq!(at("ITM2", OptionKind::Call), Ok(24_500.0));
    assert_eq!(at("ITM2", OptionKind::Put), Ok(24_700.0));
    assert_eq!(at("OTM1", OptionKind::Call), Ok(24_650.0));
    assert_eq!(at("OTM2", OptionKind::Put), Ok(24_500.0));
    assert!(matches!(
        at("OTM3", OptionKind::Call),
        Err(OffsetError::OutOfRange(_))
    ));
    assert!(matches!(
        at("ITM3", OptionKind::Put),
        Err(OffsetError::OutOfRange(_))
    ));
    assert!(matches!(
        at("ITM-9", OptionKind::Put),
        Err(OffsetError::OutOfRange(_))
    ));
    // Legacy rounding is half to even.
    assert_eq!(
        legacy_strike(23_575.0, 50, Offset::Atm, OptionKind::Call),
        23_600.0
    );
    assert_eq!(
        legacy_strike(23_525.0, 50, Offset::Atm, OptionKind::Call),
        23_500.0
    );
    assert_eq!(
        legacy_strike(23_525.0, 50, Offset::Itm(2), OptionKind::Put),
        23_600.0
    );
}

/// NIFTY's monthly expiry is Tuesday 30 Dec 2025; both that day and the day before list
/// it, with every offset to 50 either side of a spot right at a strike boundary.
#[test]
fn index_offsets_around_a_strike_boundary_on_expiry_day_and_the_day_before() {
    let expiry = d(2025, 12, 30);
    for today in [d(2025, 12, 29), expiry] {
        for (spot, atm) in [
            (26_024.99, 26_000.0),
            (26_025.0, 26_000.0),
            (26_025.01, 26_050.0),
        ] {
            let m = master(today, spot, 1560.0);
            let at = |o: &str, k| resolve(&m, "NIFTY", expiry, spot, o, k).unwrap();
            assert_eq!(at("ATM", OptionKind::Call), atm, "{today} {spot}");
            assert_eq!(at("ATM", OptionKind::Put), atm);
            assert_eq!(at("ITM1", OptionKind::Call), atm - 50.0);
            assert_eq!(at("ITM1", OptionKind::Put), atm + 50.0);
            assert_eq!(at("OTM50", OptionKind::Call), atm + 2500.0);
            assert_eq!(at("ITM50", OptionKind::Call), atm - 2500.0);
            assert_eq!(at("OTM50", OptionKind::Put), atm - 2500.0);
            assert_eq!(at("ITM50", OptionKind::Put), atm + 2500.0);
            let sym = option_symbol("NIFTY", "30DEC25", atm, OptionKind::Call);
            assert!(m.get(&sym, Exchange::Nfo).is_some(), "{sym}");
        }
    }
    // The day after, the series is gone: its strikes are empty.
    let m = master(d(2025, 12, 31), 26_000.0, 1560.0);
    assert!(series_strikes(&m, "NIFTY", Exchange::Nfo, expiry, OptionKind::Call).is_empty());
}

/// RELIANCE (about ₹1,560) lists strikes every ₹50; its monthly expiry is 30 Dec 2025.
/// Above the spot every offset to 50 exists; below it the chain stops at the lowest
/// positive strike (a stock's 50 strikes down would be below zero).
#[test]
fn stock_offsets_around_a_strike_boundary_on_expiry_day_and_the_day_before() {
    let expiry = d(2025, 12, 30);
    for today in [d(2025, 12, 29), expiry] {
        for (spot, atm) in [(1574.99, 1550.0), (1575.0, 1550.0), (1575.01, 1600.0)] {
            let m = master(today, 26_000.0, spot);
            let at = |o: &str, k| resolve(&m, "RELIANCE", expiry, spot, o, k);
            assert_eq!(at("ATM", OptionKind::Call), Ok(atm), "{today} {spot}");
            assert_eq!(at("ATM", OptionKind::Put), Ok(atm));
            assert_eq!(at("OTM3", OptionKind::Call), Ok(atm + 150.0));
            assert_eq!(at("OTM3", OptionKind::Put), Ok(atm - 150.0));
            assert_eq!(at("OTM50", OptionKind::Call), Ok(atm + 2500.0));
            assert_eq!(at("ITM50", OptionKind::Put), Ok(atm + 2500.0));
            let lowest = atm - 50.0 * ((atm - 1.0) / 50.0).floor();
            let below = ((atm - lowest) / 50.0) as i64;
            assert_eq!(at(&format!("ITM{below}"), OptionKind::Call), Ok(lowest));
            assert!(matches!(
                at(&format!("ITM{}", below + 1), OptionKind::Call),
                Err(OffsetError::OutOfRange(_))
            ));
        }
    }
}

#[test]
fn kept_contracts_survive_a_regenerated_chain() {
    let today = d(2025, 12, 1);
    let old = master(today, 26_000.0, 1560.0);
    let held = "NIFTY30DEC2523300CE";
    assert!(old.get(held, Exchange::Nfo).is_some());
    // The spot rallies 3,000 points: the new chain no longer reaches 23,300.
    let fresh = master(today, 29_000.0, 1560.0);
    assert!(fresh.get(held, Exchange::Nfo).is_none());
    let fresh_len = fresh.len();
    let kept = fresh.keeping(&old, [(Exchange::Nfo, held)]);
    let inst = kept.get(held, Exchange::Nfo).expect("kept");
    assert_eq!(kept.underlying(inst).unwrap().symbol.as_ref(), "NIFTY");
    assert_eq!(kept.len(), fresh_len + 1);
    let strikes = series_strikes(
        &kept,
        "NIFTY",
        Exchange::Nfo,
        d(2025, 12, 30),
        OptionKind::Call,
    );
    assert_eq!(strikes.first(), Some(&23_300.0));
    assert_eq!(kept.chain_centre("NIFTY").unwrap().spot, 29_000.0);
}

#[test]
fn option_symbols_parse_as_the_greeks_read_them() {
    let p = parse_option_symbol("nifty28aug2524600ce").unwrap();
    assert_eq!(p.base, "NIFTY");
    assert_eq!(p.expiry, d(2025, 8, 28));
    assert_eq!((p.strike, p.kind), (24_600.0, OptionKind::Call));
    let p = parse_option_symbol("VEDL25APR24292.5PEjunk").unwrap();
    assert_eq!((p.strike, p.kind), (292.5, OptionKind::Put));
    for bad in [
        "NIFTYNXT5028AUG2524600CE",
        "M&M28AUG253000CE",
        "NIFTY28XYZ2524600CE",
        "NIFTY",
        "NIFTY28AUG25CE",
    ] {
        assert_eq!(
            parse_option_symbol(bad).unwrap_err(),
            format!("Invalid option symbol format: {bad}"),
            "{bad}"
        );
    }
    assert_eq!(
        greeks_underlying_exchange("NIFTY", Exchange::Nfo),
        Exchange::NseIndex
    );
    assert_eq!(
        greeks_underlying_exchange("SENSEX", Exchange::Bfo),
        Exchange::BseIndex
    );
    assert_eq!(
        greeks_underlying_exchange("TCS", Exchange::Bfo),
        Exchange::Nse
    );
    assert_eq!(
        greeks_underlying_exchange("CRUDEOIL", Exchange::Nfo),
        Exchange::Mcx
    );
    assert_eq!(expiry_cutoff(Exchange::Mcx), (23, 30));
    assert_eq!(expiry_cutoff(Exchange::Cds), (12, 30));
    assert_eq!(expiry_cutoff(Exchange::Nfo), (15, 30));
}

#[test]
fn time_to_expiry_is_calendar_time_to_the_ist_cutoff_clamped_near_it() {
    let expiry = d(2025, 8, 28);
    let at = |h: u32, m: u32, day: NaiveDate| crate::time::ist_epoch(day, h, m) * 1000;
    // Six days and six hours before 15:30 IST.
    let (days, t) = time_to_expiry(expiry, (15, 30), at(9, 30, d(2025, 8, 22))).unwrap();
    assert!((days - 6.25).abs() < 1e-12 && (t - 6.25 / 365.0).abs() < 1e-15);
    // Ten minutes before: clamped to T = 0.0001 (0.0365 days).
    assert_eq!(
        time_to_expiry(expiry, (15, 30), at(15, 20, expiry)),
        Some((0.0365, 0.0001))
    );
    assert_eq!(time_to_expiry(expiry, (15, 30), at(15, 30, expiry)), None);
    // MCX trades to 23:30.
    assert!(time_to_expiry(expiry, (23, 30), at(16, 0, expiry)).is_some());
}

// ---- Black-76 against an independent reference ----
//
// The reference prices with its own normal distribution (Simpson's rule over the density,
// no erfc) and takes every greek as a finite difference of that price, so it shares no
// formula with the implementation under test beyond the definition of Black-76 itself.

fn ref_cdf(x: f64) -> f64 {
    let n = 20_000;
    let h = x.abs() / n as f64;
    let f = |u: f64| (-0.5 * u * u).exp();
    let mut sum = f(0.0) + f(x.abs());
    for i in 1..n {
        sum += f(i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    let half = sum * h / 3.0 / (2.0 * std::f64::consts::PI).sqrt();
    if x >= 0.0 { 0.5 + half } else { 0.5 - half }
}

fn ref_price(kind: OptionKind, f: f64, k: f64, t: f64, r: f64, vol: f64) -> f64 {
    let sd = vol * t.sqrt();
    let d1 = ((f / k).ln() + 0.5 * vol * vol * t) / sd;
    let d2 = d1 - sd;
    let df = (-r * t).exp();
    match kind {
        OptionKind::Call => df * (f * ref_cdf(d1) - k * ref_cdf(d2)),
        OptionKind::Put => df * (k * ref_cdf(-d2) - f * ref_cdf(-d1)),
    }
}

#[test]
fn black76_matches_an_independent_reference_in_24_cases() {
    // (forward, strike, days, rate %, vol)
    let cases = [
        (24_612.4, 24_600.0, 6.26, 0.0, 0.137),
        (24_612.4, 25_100.0, 6.26, 0.0, 0.12),
        (24_612.4, 24_100.0, 6.26, 6.5, 0.15),
        (59_500.0, 59_500.0, 27.0, 6.5, 0.16),
        (59_500.0, 62_000.0, 55.0, 7.0, 0.18),
        (85_000.0, 80_000.0, 2.0, 0.0, 0.11),
        (1_560.0, 1_500.0, 30.0, 6.5, 0.24),
        (1_560.0, 1_700.0, 90.0, 6.5, 0.30),
        (11.2, 12.0, 20.0, 5.0, 0.60),
        (3_200.0, 3_200.0, 0.5, 0.0, 0.22),
        (26_000.0, 27_500.0, 365.0, 6.5, 0.14),
        (26_000.0, 24_000.0, 180.0, 10.0, 0.25),
    ];
    let mut n = 0;
    for &(f, k, days, rate, vol) in &cases {
        for kind in [OptionKind::Call, OptionKind::Put] {
            let (t, r) = (days / 365.0, rate / 100.0);
            let i = Inputs {
                kind,
                forward: f,
                strike: k,
                t,
                r,
            };
            let p = ref_price(kind, f, k, t, r, vol);
            let g = i.greeks(vol);
            let tag = format!("{kind:?} F={f} K={k} d={days} r={rate} v={vol}");
            // Price: 1e-9 of the forward (the reference's quadrature error is ~1e-13).
            assert!(
                (i.price(vol) - p).abs() < 1e-9 * f,
                "price {tag}: {} vs {p}",
                i.price(vol)
            );
            let hf = 1e-5 * f;
            let up = ref_price(kind, f + hf, k, t, r, vol);
            let dn = ref_price(kind, f - hf, k, t, r, vol);
            // Delta: central difference, within 1e-6.
            let delta = (up - dn) / (2.0 * hf);
            assert!(
                (g.delta - delta).abs() < 1e-6,
                "delta {tag}: {} vs {delta}",
                g.delta
            );
            // Gamma: second difference, within 1e-3 relative, or 1e-8 absolute (the difference's
            // rounding noise, eps·P/h², is about 1e-9 for a deep ITM ₹5,000 premium).
            let gamma = (up - 2.0 * p + dn) / (hf * hf);
            assert!(
                (g.gamma - gamma).abs() < 1e-3 * gamma.abs() + 1e-8,
                "gamma {tag}: {} vs {gamma}",
                g.gamma
            );
            // Theta per calendar day = -dP/dT / 365, within 1e-5 relative (or 1e-7 absolute).
            let ht = 1e-3 * t;
            let theta = -(ref_price(kind, f, k, t + ht, r, vol)
                - ref_price(kind, f, k, t - ht, r, vol))
                / (2.0 * ht)
                / 365.0;
            assert!(
                (g.theta - theta).abs() < 1e-5 * theta.abs() + 1e-7,
                "theta {tag}: {} vs {theta}",
                g.theta
            );
            // Vega per vol point, within 1e-5 relative (or 1e-6: rounding noise on deep ITM).
            let hv = 1e-4;
            let vega = (ref_price(kind, f, k, t, r, vol + hv)
                - ref_price(kind, f, k, t, r, vol - hv))
                / (2.0 * hv)
                * 0.01;
            assert!(
                (g.vega - vega).abs() < 1e-5 * vega.abs() + 1e-6,
                "vega {tag}: {} vs {vega}",
                g.vega
            );
            // Rho is OpenAlgo's convention: -T × price × 0.01.
            assert!((g.rho - (-t * p * 0.01)).abs() < 1e-9 * f, "rho {tag}");
            // And the solver recovers the volatility from the reference price (1e-7),
            // where the price says anything about it (a deep ITM option two days out is
            // its intrinsic value to within the reference's own error).
            if g.vega > 1e-3 {
                let iv = i.implied_vol(p).unwrap();
                assert!((iv - vol).abs() < 1e-7, "iv {tag}: {iv}");
            }
            n += 1;
        }
    }
    assert_eq!(n, 24);
}

#[test]
fn the_expiry_endpoints_dashed_form_folds_and_nothing_else_does() {
    assert_eq!(undash_expiry("30-DEC-25"), "30DEC25");
    assert_eq!(undash_expiry("30-dec-25"), "30dec25");
    assert_eq!(
        parse_ddmmmyy(&undash_expiry("30-DEC-25")),
        Some(d(2025, 12, 30))
    );
    for kept in [
        "30DEC25",
        "30-DEC-2025",
        "2025-12-30",
        "",
        "30--DEC25",
        "3-DEC-25",
    ] {
        assert_eq!(undash_expiry(kept), kept);
    }
}
