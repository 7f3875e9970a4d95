use super::*;
use crate::domain::{DerivativeSymbol, format_expiry};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn master() -> InstrumentMaster {
    InstrumentMaster::builtin(d(2025, 12, 1), &Holidays::builtin())
}

#[test]
fn builtin_has_nifty50_sensex_and_hundreds_of_equities() {
    let m = master();
    for s in [
        "RELIANCE",
        "HDFCBANK",
        "TCS",
        "M&M",
        "BAJAJ-AUTO",
        "ETERNAL",
        "INDIGO",
    ] {
        assert_eq!(
            m.get(s, Exchange::Nse).unwrap().instrumenttype,
            InstrumentType::Equity,
            "{s}"
        );
    }
    assert!(m.get("RELIANCE", Exchange::Bse).is_some());
    assert!(m.iter(Some(Exchange::Nse)).count() >= 300);
    assert!(m.iter(Some(Exchange::Bse)).count() >= 30);
    for s in ["NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "INDIAVIX"] {
        assert!(m.get(s, Exchange::NseIndex).unwrap().is_index(), "{s}");
    }
    assert!(m.get("SENSEX", Exchange::BseIndex).is_some());
    assert!(m.get("BANKEX", Exchange::BseIndex).is_some());
    // Sized for memory: ±55 strikes per series (every offset to 50 resolves) keeps it
    // under a hundred thousand contracts.
    assert!(m.len() > 5_000 && m.len() < 100_000, "{}", m.len());
}

#[test]
fn nifty_contracts_follow_openalgo_symbol_format() {
    let m = master();
    let fut = m
        .get("NIFTY30DEC25FUT", Exchange::Nfo)
        .expect("monthly future");
    assert_eq!(fut.instrumenttype, InstrumentType::Future);
    assert_eq!(fut.expiry_str(), "30-DEC-25");
    assert_eq!(fut.lotsize, 65);
    assert_eq!(fut.tick_size, 0.05);
    let ce = m
        .get("NIFTY30DEC2526000CE", Exchange::Nfo)
        .expect("ATM call");
    assert_eq!(
        (ce.strike, ce.instrumenttype, &*ce.name),
        (26000.0, InstrumentType::Call, "NIFTY")
    );
    assert!(
        m.get("NIFTY30DEC2526050PE", Exchange::Nfo).is_some(),
        "50-point strikes"
    );
    assert!(
        m.get("NIFTY09DEC2526000CE", Exchange::Nfo).is_some(),
        "weekly"
    );
    assert!(
        m.get("NIFTY09DEC25FUT", Exchange::Nfo).is_none(),
        "no weekly futures"
    );
    assert!(
        m.get("BANKNIFTY09DEC2559500CE", Exchange::Nfo).is_none(),
        "BANKNIFTY has no weeklies"
    );
    assert!(m.get("BANKNIFTY30DEC2559500CE", Exchange::Nfo).is_some());
    assert_eq!(m.underlying(ce).unwrap().symbol.as_ref(), "NIFTY");
    let stock = m.get("RELIANCE30DEC25FUT", Exchange::Nfo).unwrap();
    assert_eq!(m.underlying(stock).unwrap().exchange, Exchange::Nse);
    assert!(
        m.get("SENSEX04DEC2585000CE", Exchange::Bfo).is_some(),
        "SENSEX weekly on Thursday"
    );
}

#[test]
fn every_derivative_symbol_parses_back_to_its_fields() {
    let m = master();
    for i in m.iter(Some(Exchange::Nfo)) {
        let p = DerivativeSymbol::parse(&i.symbol).unwrap_or_else(|| panic!("{}", i.symbol));
        assert_eq!(p.format(), &*i.symbol);
        assert_eq!(Some(p.expiry), i.expiry);
        assert_eq!(p.underlying, &*i.name);
    }
}

#[test]
fn expiries_per_underlying_sorted_by_date() {
    let m = master();
    let fut = m
        .expiries("NIFTY", Exchange::Nfo, ExpiryKind::Futures)
        .unwrap();
    let fmt: Vec<String> = fut.iter().map(|&x| format_expiry(x)).collect();
    assert_eq!(fmt, ["30-DEC-25", "27-JAN-26", "24-FEB-26"]);
    let opt = m
        .expiries("nifty", Exchange::Nfo, ExpiryKind::Options)
        .unwrap();
    assert_eq!(opt.first(), Some(&d(2025, 12, 2)));
    assert!(opt.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(
        opt.len(),
        7,
        "4 weeklies + Dec, Jan and Feb monthlies ({opt:?})"
    );
    let bn = m
        .expiries("BANKNIFTY", Exchange::Nfo, ExpiryKind::Options)
        .unwrap();
    assert_eq!(bn, [d(2025, 12, 30), d(2026, 1, 27), d(2026, 2, 24)]);
    assert!(
        m.expiries("NOPE", Exchange::Nfo, ExpiryKind::Options)
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        m.expiries("NIFTY", Exchange::Nse, ExpiryKind::Options),
        Err(BrokerError::NotAnFnoExchange(_))
    ));
}

#[test]
fn search_ranks_exact_then_prefix_then_contains_then_name() {
    let m = master();
    let hits = m.search("SBIN", None).unwrap();
    assert_eq!(&*hits[0].symbol, "SBIN");
    assert_eq!(
        hits[0].exchange,
        Exchange::Nse,
        "NSE before BSE among equals"
    );
    let first_prefix = hits.iter().position(|i| &*i.symbol != "SBIN").unwrap();
    assert!(
        hits[first_prefix..]
            .iter()
            .all(|i| i.symbol.starts_with("SBIN"))
    );

    let hits = m.search("bank", Some(Exchange::Nse)).unwrap();
    let ranks: Vec<u8> = hits
        .iter()
        .map(|i| rank(&RowView::of(i), "BANK", &["BANK"]).unwrap())
        .collect();
    assert!(
        ranks.windows(2).all(|w| w[0] <= w[1]),
        "ranks never go back: {ranks:?}"
    );
    assert!(
        hits.iter().any(|i| &*i.symbol == "SBIN"),
        "name match: STATE BANK OF INDIA"
    );

    let hits = m.search("NIFTY 26000 DEC CE", Some(Exchange::Nfo)).unwrap();
    assert!(!hits.is_empty());
    assert!(
        hits.iter()
            .all(|i| i.symbol.contains("26000") && i.symbol.ends_with("CE"))
    );

    assert_eq!(m.search("NIFTY", None).unwrap().len(), SEARCH_LIMIT);
    assert!(m.search("ZZZZQQQ", None).unwrap().is_empty());
    assert_eq!(m.search("   ", None), Err(BrokerError::EmptyQuery));
}

#[test]
fn lookups_report_openalgo_messages() {
    let m = master();
    assert!(m.resolve("RELIANCE", "NSE").is_ok());
    let e = m.resolve("NOPE", "NSE").unwrap_err();
    assert_eq!(e, BrokerError::not_found("NOPE", "NSE"));
    assert!(matches!(
        m.resolve("RELIANCE", "XYZ"),
        Err(BrokerError::InvalidExchange(_))
    ));
    let info = m.symbol_info("RELIANCE", "NSE").unwrap();
    let json = serde_json::to_value(&info).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "symbol",
            "brsymbol",
            "name",
            "exchange",
            "brexchange",
            "token",
            "expiry",
            "strike",
            "lotsize",
            "instrumenttype",
            "tick_size",
            "freeze_qty"
        ]
    );
    assert_eq!(json["exchange"], "NSE");
    assert_eq!(json["expiry"], "");
    assert!(m.symbol_info("NOPE", "NSE").unwrap_err().is_not_found());
}

#[test]
fn csv_export_reloads_to_the_same_master() {
    let m = master();
    let text = m.to_csv(Some(Exchange::Nfo));
    let back = InstrumentMaster::from_csv(&text).unwrap();
    assert_eq!(back.len(), m.iter(Some(Exchange::Nfo)).count());
    let a = m.get("NIFTY30DEC2526000CE", Exchange::Nfo).unwrap();
    let b = back.get("NIFTY30DEC2526000CE", Exchange::Nfo).unwrap();
    assert_eq!(InstrumentRow::from(a), InstrumentRow::from(b));
}

#[test]
fn csv_extends_and_overrides_rows() {
    let m = master();
    let extra = "symbol,name,exchange,lotsize,price,instrumenttype\n\
                 NEWCO,\"NEW CO, LTD\",NSE,1,123.45,EQ\n\
                 RELIANCE,RELIANCE RENAMED,NSE,1,,EQ\n\
                 NEWCO30DEC25FUT,,NFO,500,,FUTSTK\n";
    let x = m.extended_with_csv(extra).unwrap();
    assert_eq!(x.len(), m.len() + 2);
    let newco = x.get("NEWCO", Exchange::Nse).unwrap();
    assert_eq!((&*newco.name, newco.ref_price), ("NEW CO, LTD", 123.45));
    assert_eq!(
        &*x.get("RELIANCE", Exchange::Nse).unwrap().name,
        "RELIANCE RENAMED"
    );
    let fut = x.get("NEWCO30DEC25FUT", Exchange::Nfo).unwrap();
    assert_eq!(
        (fut.instrumenttype, fut.expiry, &*fut.name),
        (InstrumentType::Future, Some(d(2025, 12, 30)), "NEWCO")
    );
    assert_eq!(x.underlying(fut).unwrap().symbol.as_ref(), "NEWCO");
    assert!(
        x.expiries("NEWCO", Exchange::Nfo, ExpiryKind::Futures)
            .unwrap()
            .contains(&d(2025, 12, 30))
    );
}

#[test]
fn csv_errors_name_the_line() {
    let m = master();
    let bad = "symbol,exchange\nOK,NSE\nBAD,MOON\n";
    assert_eq!(
        m.extended_with_csv(bad).unwrap_err(),
        BrokerError::InstrumentCsv {
            line: 3,
            reason: BrokerError::InvalidExchange("MOON".into()).to_string()
        }
    );
    assert!(matches!(
        InstrumentMaster::from_csv("name\nx\n"),
        Err(BrokerError::InstrumentCsv { line: 1, .. })
    ));
    assert!(InstrumentMaster::from_csv("").is_err());
}

#[test]
fn tokens_are_stable_across_build_days() {
    let a = InstrumentMaster::builtin(d(2025, 12, 1), &Holidays::builtin());
    let b = InstrumentMaster::builtin(d(2025, 12, 15), &Holidays::builtin());
    let s = "NIFTY30DEC2526000CE";
    assert_eq!(
        a.get(s, Exchange::Nfo).unwrap().token,
        b.get(s, Exchange::Nfo).unwrap().token
    );
    assert!(a.get("NIFTY09DEC2526000CE", Exchange::Nfo).is_some());
    assert!(
        b.get("NIFTY09DEC2526000CE", Exchange::Nfo).is_none(),
        "expired weekly rolled off"
    );
}

#[test]
fn stock_strike_steps_by_price_band() {
    assert_eq!(builtin::stock_strike_step(11.0), 0.5);
    assert_eq!(builtin::stock_strike_step(1560.0), 50.0);
    assert_eq!(builtin::stock_strike_step(150_000.0), 1000.0);
}

#[test]
fn option_symbols_split_at_the_expiry() {
    for (symbol, split) in [
        ("NIFTY30DEC2526000CE", Some(("NIFTY30DEC25", "26000CE"))),
        (
            "BAJAJ-AUTO30DEC258500PE",
            Some(("BAJAJ-AUTO30DEC25", "8500PE")),
        ),
        ("M&M30DEC253400.5CE", Some(("M&M30DEC25", "3400.5CE"))),
        (
            "NIFTYNXT5030DEC2570000CE",
            Some(("NIFTYNXT5030DEC25", "70000CE")),
        ),
        ("NIFTY30DEC25FUT", None),
        ("NIFTY30DEC25CE", None),
        ("SBIN", None),
        ("CE", None),
        ("", None),
    ] {
        assert_eq!(chain::split_option_symbol(symbol), split, "{symbol}");
    }
}

#[test]
fn generated_contracts_resolve_only_by_their_own_symbol() {
    let m = master();
    let ce = m.get("NIFTY30DEC2526000CE", Exchange::Nfo).unwrap();
    assert_eq!(m.by_index(m.index_of(ce)).unwrap(), ce);
    assert_eq!(m.underlying(ce).unwrap().symbol.as_ref(), "NIFTY");
    for other in [
        "NIFTY30DEC25026000CE",
        "NIFTY30DEC2526000.0CE",
        "NIFTY30DEC2526010CE",
        "NIFTY30DEC2599000CE",
        "NIFTY30DEC25-26000CE",
        "NIFTY30DEC2526000XE",
        "nifty30dec2526000ce",
        "NIFTY31DEC2526000CE",
    ] {
        assert!(m.get(other, Exchange::Nfo).is_none(), "{other}");
    }
    assert!(m.get("NIFTY30DEC2526000CE", Exchange::Bfo).is_none());
}

#[test]
fn listing_lays_out_nothing_and_every_row_is_found_again() {
    let m = master();
    let listed: Vec<Instrument> = m.iter(None).map(|i| i.into_owned()).collect();
    assert_eq!(listed.len(), m.len());
    assert!(
        m.laid.iter().all(|l| l.get().is_none()),
        "iteration keeps no row"
    );
    // Ids are the positions, each row is found by its symbol and its position.
    for (n, i) in listed.iter().enumerate() {
        assert_eq!(i.id as usize, n + 1);
        assert_eq!(m.get(&i.symbol, i.exchange), Some(i), "{}", i.symbol);
        assert_eq!(m.by_index(n as u32), Some(i));
    }
    assert!(m.by_index(m.len() as u32).is_none());
    let hits = m.search("NIFTY 26000 DEC CE", Some(Exchange::Nfo)).unwrap();
    assert!(!hits.is_empty());
}

#[test]
fn a_loaded_row_replaces_the_generated_contract_of_its_symbol() {
    let m = master();
    let extra = "symbol,name,exchange,lotsize,instrumenttype,strike,expiry\n\
                 NIFTY30DEC2526000CE,NIFTY,NFO,999,CE,26000,30-DEC-25\n";
    let x = m.extended_with_csv(extra).unwrap();
    assert_eq!(x.len(), m.len());
    assert_eq!(
        x.get("NIFTY30DEC2526000CE", Exchange::Nfo).unwrap().lotsize,
        999
    );
    let listed: Vec<u32> = x
        .iter(Some(Exchange::Nfo))
        .filter(|i| &*i.symbol == "NIFTY30DEC2526000CE")
        .map(|i| i.lotsize)
        .collect();
    assert_eq!(listed, [999]);
    let expiry = d(2025, 12, 30);
    let strikes: Vec<f64> = x
        .strikes("NIFTY", Exchange::Nfo, expiry, OptionKind::Call)
        .map(|(k, _)| k)
        .collect();
    assert_eq!(strikes.iter().filter(|k| **k == 26000.0).count(), 1);
    assert!(strikes.windows(2).all(|w| w[0] < w[1]));
}
