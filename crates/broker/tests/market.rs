//! The simulated market through its public API, as the server will use it.

use std::sync::Arc;

use algogate_broker::domain::DerivativeSymbol;
use algogate_broker::{
    Broker, BrokerError, Candle, Clock, Exchange, Holidays, Interval, MAX_CANDLES, ManualClock,
    MarketCalendar, MarketConfig, PaperMarket, Symbol,
};
use chrono::NaiveDate;
use proptest::prelude::*;

fn market_at(
    clock: ManualClock,
    seed: u64,
    calendar: MarketCalendar,
) -> (Arc<PaperMarket>, Arc<ManualClock>) {
    let clock = Arc::new(clock);
    let cfg = MarketConfig {
        seed,
        calendar,
        ..MarketConfig::default()
    };
    (PaperMarket::with_builtin(clock.clone(), cfg), clock)
}

/// Tuesday 30 Dec 2025, 11:07:23 IST, continuous calendar.
fn market(seed: u64) -> (Arc<PaperMarket>, Arc<ManualClock>) {
    market_at(
        ManualClock::at_ist(2025, 12, 30, 11, 7, 23),
        seed,
        MarketCalendar::Continuous,
    )
}

fn exchange_market() -> (Arc<PaperMarket>, Arc<ManualClock>) {
    market_at(
        ManualClock::at_ist(2025, 12, 30, 11, 7, 23),
        7,
        MarketCalendar::Exchange(Holidays::builtin()),
    )
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn on_tick(price: f64, tick: f64) -> bool {
    ((price / tick).round() * tick - price).abs() < 1e-6
}

const SYMBOLS: [(&str, Exchange); 6] = [
    ("RELIANCE", Exchange::Nse),
    ("IDEA", Exchange::Nse),
    ("SBIN", Exchange::Bse),
    ("NIFTY30DEC25FUT", Exchange::Nfo),
    ("NIFTY30DEC2526000CE", Exchange::Nfo),
    ("BANKNIFTY27JAN2659500PE", Exchange::Nfo),
];

#[test]
fn same_seed_and_clock_give_the_same_prices() {
    let (a, _) = market(1);
    let (b, _) = market(1);
    for (s, e) in SYMBOLS {
        assert_eq!(a.quote(s, e).unwrap(), b.quote(s, e).unwrap(), "{s}");
        assert_eq!(a.depth(s, e).unwrap(), b.depth(s, e).unwrap(), "{s}");
        let h = |m: &PaperMarket| {
            m.history(s, e, Interval::M5, d(2025, 12, 29), d(2025, 12, 30))
                .unwrap()
        };
        assert_eq!(h(&a), h(&b));
    }
}

#[test]
fn different_seeds_give_different_prices() {
    let (a, _) = market(1);
    let (b, _) = market(2);
    // Each market lays its chains around its own spot: compare the contracts both list.
    let both: Vec<_> = SYMBOLS
        .iter()
        .filter(|(s, e)| a.master().get(s, *e).is_some() && b.master().get(s, *e).is_some())
        .collect();
    assert!(both.len() >= 4, "{both:?}");
    let differ = both
        .iter()
        .filter(|(s, e)| a.quote(s, *e).unwrap() != b.quote(s, *e).unwrap())
        .count();
    assert_eq!(differ, both.len());
}

#[test]
fn prices_move_with_the_clock() {
    let (m, clock) = market(3);
    let before = m.quote("RELIANCE", Exchange::Nse).unwrap();
    clock.advance_ms(10 * 60 * 1000);
    let after = m.quote("RELIANCE", Exchange::Nse).unwrap();
    assert_ne!(before.ltp, after.ltp);
    assert!(after.volume > before.volume);
}

#[test]
fn quotes_are_on_tick_inside_the_day_range_with_bid_below_ask() {
    let (m, clock) = market(4);
    for step in 0..40 {
        clock.advance_ms(37_000 * step);
        for (s, e) in SYMBOLS {
            let q = m.quote(s, e).unwrap();
            for p in [q.open, q.high, q.low, q.ltp, q.bid, q.ask, q.prev_close] {
                assert!(on_tick(p, 0.05), "{s}: {p} not on a 0.05 tick");
            }
            assert!(q.low <= q.open && q.open <= q.high, "{s}: {q:?}");
            assert!(q.low <= q.ltp && q.ltp <= q.high, "{s}: {q:?}");
            assert!(
                q.bid < q.ask && q.bid <= q.ltp && q.ltp <= q.ask,
                "{s}: {q:?}"
            );
            assert!(q.low > 0.0);
        }
    }
}

#[test]
fn depth_has_five_ordered_levels_a_side() {
    let (m, _) = market(5);
    for (s, e) in SYMBOLS {
        let dp = m.depth(s, e).unwrap();
        // Near-worthless options have fewer bid levels: empty ones (0, 0) only at the bottom.
        let bids: Vec<_> = dp.bids.iter().take_while(|l| l.price > 0.0).collect();
        assert!(
            dp.bids[bids.len()..]
                .iter()
                .all(|l| l.price == 0.0 && l.quantity == 0),
            "{s}"
        );
        assert!(
            bids.windows(2).all(|w| w[0].price > w[1].price),
            "{s}: bids descend"
        );
        assert!(
            dp.asks.windows(2).all(|w| w[0].price < w[1].price),
            "{s}: asks ascend"
        );
        assert!(dp.bids[0].price < dp.asks[0].price);
        assert!(bids.iter().copied().chain(&dp.asks).all(|l| l.quantity > 0));
        assert_eq!(
            dp.totalbuyqty,
            dp.bids.iter().map(|l| l.quantity).sum::<u64>()
        );
        let q = m.quote(s, e).unwrap();
        assert_eq!((dp.ltp, dp.high, dp.volume), (q.ltp, q.high, q.volume));
    }
    let nfo = m.depth("NIFTY30DEC25FUT", Exchange::Nfo).unwrap();
    assert!(
        nfo.bids.iter().all(|l| l.quantity % 65 == 0),
        "F&O quantities in lots"
    );
    assert!(nfo.oi > 0 && nfo.oi % 65 == 0);
}

#[test]
fn indices_quote_without_a_book() {
    let (m, _) = market(6);
    let q = m.quote("NIFTY", Exchange::NseIndex).unwrap();
    assert!(q.ltp > 15_000.0 && q.ltp < 40_000.0, "{q:?}");
    assert_eq!((q.bid, q.ask, q.volume, q.oi), (0.0, 0.0, 0, 0));
}

fn check_candles(cs: &[Candle], what: &str) {
    assert!(!cs.is_empty(), "{what}: no candles");
    for c in cs {
        assert!(
            c.low <= c.open.min(c.close) && c.open.max(c.close) <= c.high,
            "{what}: {c:?}"
        );
        assert!(on_tick(c.open, 0.05) && on_tick(c.high, 0.05) && on_tick(c.low, 0.05));
    }
    assert!(
        cs.windows(2).all(|w| w[0].timestamp < w[1].timestamp),
        "{what}: ordered"
    );
}

#[test]
fn every_interval_gives_valid_candles() {
    let (m, _) = market(8);
    for i in Interval::ALL {
        let start = if i.is_intraday() {
            d(2025, 12, 30)
        } else {
            d(2025, 1, 1)
        };
        for (s, e) in [
            ("INFY", Exchange::Nse),
            ("NIFTY30DEC2526000PE", Exchange::Nfo),
        ] {
            check_candles(
                &m.history(s, e, i, start, d(2025, 12, 30)).unwrap(),
                &format!("{s} {i}"),
            );
        }
    }
}

#[test]
fn todays_daily_candle_is_the_quote() {
    for (m, _) in [market(9), exchange_market()] {
        for (s, e) in SYMBOLS {
            let q = m.quote(s, e).unwrap();
            let days = m
                .history(s, e, Interval::Day, d(2025, 12, 1), d(2025, 12, 30))
                .unwrap();
            let today = days.last().unwrap();
            assert_eq!(
                (today.open, today.high, today.low, today.close, today.volume),
                (q.open, q.high, q.low, q.ltp, q.volume),
                "{s}"
            );
            let yesterday = &days[days.len() - 2];
            assert_eq!(
                yesterday.close, q.prev_close,
                "{s}: prev_close is the last daily close"
            );
        }
    }
}

#[test]
fn intraday_candles_aggregate_to_the_daily_candle() {
    let (m, _) = exchange_market();
    for (s, e) in SYMBOLS {
        let day = m
            .history(s, e, Interval::Day, d(2025, 12, 29), d(2025, 12, 29))
            .unwrap()[0];
        for i in [Interval::S45, Interval::M1, Interval::M15, Interval::H4] {
            let cs = m
                .history(s, e, i, d(2025, 12, 29), d(2025, 12, 29))
                .unwrap();
            let hi = cs.iter().map(|c| c.high).fold(f64::MIN, f64::max);
            let lo = cs.iter().map(|c| c.low).fold(f64::MAX, f64::min);
            assert_eq!(
                (cs[0].open, hi, lo, cs.last().unwrap().close),
                (day.open, day.high, day.low, day.close),
                "{s} {i}"
            );
            assert_eq!(
                cs.iter().map(|c| c.volume).sum::<u64>(),
                day.volume,
                "{s} {i}"
            );
            assert_eq!(
                cs[0].timestamp,
                day.timestamp + 9 * 3600 + 15 * 60,
                "{s}: first bar at 09:15 IST"
            );
        }
        // Weekly bars are made of the daily ones.
        let days = m
            .history(s, e, Interval::Day, d(2025, 12, 22), d(2025, 12, 26))
            .unwrap();
        let week = m
            .history(s, e, Interval::Week, d(2025, 12, 22), d(2025, 12, 26))
            .unwrap();
        assert_eq!(week.len(), 1);
        assert_eq!(week[0].volume, days.iter().map(|c| c.volume).sum::<u64>());
        assert_eq!(
            (week[0].open, week[0].close),
            (days[0].open, days.last().unwrap().close)
        );
    }
}

#[test]
fn intraday_history_ends_at_now_with_the_quote() {
    let (m, _) = market(10);
    let q = m.quote("TCS", Exchange::Nse).unwrap();
    for i in [
        Interval::S1,
        Interval::S10,
        Interval::M1,
        Interval::M3,
        Interval::H1,
    ] {
        let cs = m
            .history("TCS", Exchange::Nse, i, d(2025, 12, 30), d(2025, 12, 30))
            .unwrap();
        let last = cs.last().unwrap();
        assert_eq!(last.close, q.ltp, "{i}");
        assert_eq!(cs.iter().map(|c| c.volume).sum::<u64>(), q.volume, "{i}");
    }
}

#[test]
fn option_prices_fall_with_strike_for_calls_and_rise_for_puts() {
    let (m, _) = market(11);
    let master = m.master();
    // The chain is laid around the simulated spot, not the reference price.
    let spot = m.quote("NIFTY", Exchange::NseIndex).unwrap().ltp;
    let atm = (spot / 50.0).round() * 50.0;
    let strikes: Vec<f64> = (-10..=10).map(|k| atm + 50.0 * f64::from(k)).collect();
    let ltp = |right: &str, k: f64| {
        m.quote(&format!("NIFTY27JAN26{k:.0}{right}"), Exchange::Nfo)
            .unwrap()
            .ltp
    };
    let calls: Vec<f64> = strikes.iter().map(|&k| ltp("CE", k)).collect();
    let puts: Vec<f64> = strikes.iter().map(|&k| ltp("PE", k)).collect();
    assert!(calls.windows(2).all(|w| w[0] >= w[1]), "{calls:?}");
    assert!(puts.windows(2).all(|w| w[0] <= w[1]), "{puts:?}");
    // Calls and puts of one strike are priced off the same underlying (parity, loosely).
    let fut = m.quote("NIFTY27JAN26FUT", Exchange::Nfo).unwrap().ltp;
    let (c, p) = (ltp("CE", atm), ltp("PE", atm));
    assert!(
        ((c - p) - (fut - atm)).abs() < 0.02 * fut,
        "c={c} p={p} f={fut}"
    );
    let sym = format!("NIFTY27JAN26{atm:.0}CE");
    assert!(master.get(&sym, Exchange::Nfo).is_some());
}

#[test]
fn exchange_calendar_freezes_prices_outside_hours() {
    let (m, clock) = market_at(
        ManualClock::at_ist(2026, 1, 2, 15, 45, 0),
        12,
        MarketCalendar::Exchange(Holidays::builtin()),
    );
    let friday_close = m.quote("RELIANCE", Exchange::Nse).unwrap();
    assert!(!m.is_open());
    // Saturday, Sunday and Monday before the open: nothing moves.
    for hours in [18, 42, 65] {
        clock
            .set(ManualClock::at_ist(2026, 1, 2, 15, 45, 0).now() + chrono::Duration::hours(hours));
        assert_eq!(
            m.quote("RELIANCE", Exchange::Nse).unwrap(),
            friday_close,
            "+{hours}h"
        );
    }
    clock.set(ManualClock::at_ist(2026, 1, 5, 9, 15, 0).now());
    let open = m.quote("RELIANCE", Exchange::Nse).unwrap();
    assert!(m.is_open());
    assert_eq!(open.prev_close, friday_close.ltp);
    assert_eq!(
        (open.ltp, open.high, open.low),
        (open.open, open.open, open.open)
    );
    assert_eq!(open.volume, 0);
    let days = m
        .history(
            "RELIANCE",
            Exchange::Nse,
            Interval::Day,
            d(2026, 1, 1),
            d(2026, 1, 5),
        )
        .unwrap();
    // 1 Jan is a trading day in India; the weekend is not.
    let dates: Vec<i64> = days.iter().map(|c| c.timestamp).collect();
    let ist = |y, mo, da| algogate_broker::time::ist_epoch(d(y, mo, da), 0, 0);
    assert_eq!(dates, [ist(2026, 1, 1), ist(2026, 1, 2), ist(2026, 1, 5)]);
}

#[test]
fn history_errors() {
    let (m, _) = market(13);
    let err = m
        .history(
            "RELIANCE",
            Exchange::Nse,
            Interval::S1,
            d(2025, 12, 1),
            d(2025, 12, 30),
        )
        .unwrap_err();
    assert!(
        matches!(err, BrokerError::RangeTooLarge { candles, max, .. } if candles > max && max == MAX_CANDLES)
    );
    assert!(err.to_string().contains("Narrow the date range"));
    assert_eq!(
        m.history(
            "RELIANCE",
            Exchange::Nse,
            Interval::Day,
            d(2025, 12, 30),
            d(2025, 12, 1)
        )
        .unwrap_err(),
        BrokerError::DateRangeReversed
    );
    assert_eq!(
        m.history(
            "NOPE",
            Exchange::Nse,
            Interval::Day,
            d(2025, 12, 1),
            d(2025, 12, 2)
        )
        .unwrap_err(),
        BrokerError::SymbolNotFound {
            symbol: "NOPE".into(),
            exchange: "NSE".into()
        }
    );
    assert!(
        m.history(
            "RELIANCE",
            Exchange::Nse,
            Interval::Day,
            d(2026, 2, 1),
            d(2026, 2, 5)
        )
        .unwrap()
        .is_empty(),
        "future"
    );
    let decade = m
        .history(
            "RELIANCE",
            Exchange::Nse,
            Interval::Day,
            d(2016, 1, 1),
            d(2025, 12, 30),
        )
        .unwrap();
    assert!(decade.len() > 3000);
}

#[test]
fn multiquotes_put_unknown_symbols_first() {
    let (m, _) = market(14);
    let req = vec![
        ("RELIANCE".to_owned(), "NSE".to_owned()),
        ("NOPE".to_owned(), "NSE".to_owned()),
        ("TCS".to_owned(), "BADX".to_owned()),
    ];
    let r = m.multiquotes(&req);
    assert_eq!(r.results.len(), 3);
    assert_eq!(r.results[0].symbol, "NOPE");
    assert!(
        r.results[0]
            .error
            .as_deref()
            .unwrap()
            .starts_with("Symbol 'NOPE' not found for exchange 'NSE'")
    );
    assert_eq!(r.results[2].symbol, "RELIANCE");
    assert!(r.all_invalid().is_none());
    let json = serde_json::to_value(&r.results[2]).unwrap();
    assert!(json.get("error").is_none() && json["data"]["ltp"].is_number());
    let bad = m.multiquotes(&req[1..]);
    assert!(bad.all_invalid().unwrap().contains("NOPE"));
}

#[tokio::test(start_paused = true)]
async fn the_ticker_publishes_only_subscribed_instruments() {
    let (m, clock) = market(15);
    let mut rx = m.ticks();
    assert_eq!(m.publish_ticks(), 0, "nothing subscribed");
    let sub = m.subscribe("INFY", Exchange::Nse).unwrap();
    let again = m.subscribe("INFY", Exchange::Nse).unwrap();
    assert_eq!(
        m.subscriptions(),
        vec![(Exchange::Nse, "INFY".to_owned(), 2)]
    );
    assert!(m.subscribe("NOPE", Exchange::Nse).is_err());

    let ticker = m.spawn_ticker();
    let first = rx.recv().await.unwrap();
    clock.advance_ms(1000);
    let second = rx.recv().await.unwrap();
    assert_eq!(
        (first.symbol.as_str(), first.exchange),
        ("INFY", Exchange::Nse)
    );
    assert_eq!(second.timestamp - first.timestamp, 1000);
    assert_eq!(*second, m.tick("INFY", Exchange::Nse).unwrap());

    drop(sub);
    assert_eq!(m.subscriptions()[0].2, 1);
    drop(again);
    assert!(m.subscriptions().is_empty());
    assert_eq!(m.publish_ticks(), 0);
    ticker.abort();
}

#[tokio::test]
async fn the_broker_trait_serves_the_paper_market() {
    let (m, _) = market(16);
    let broker: Arc<dyn Broker> = m.clone();
    let sym = Symbol::parse("SBIN").unwrap();
    assert_eq!(
        broker.quote(&sym, Exchange::Nse).await.unwrap(),
        m.quote("SBIN", Exchange::Nse).unwrap()
    );
    assert_eq!(
        broker.depth(&sym, Exchange::Nse).await.unwrap().ltp,
        m.quote("SBIN", Exchange::Nse).unwrap().ltp
    );
    let bars = broker
        .history(
            &sym,
            Exchange::Nse,
            Interval::Day,
            d(2025, 12, 1),
            d(2025, 12, 30),
        )
        .await
        .unwrap();
    assert_eq!(bars.len(), 30);
    assert_eq!(broker.intervals().days, ["D"]);
    assert!(broker.instruments().get("SBIN", Exchange::Nse).is_some());
}

#[test]
fn derivative_symbols_in_the_master_round_trip() {
    let (m, _) = market(17);
    let master = m.master();
    let n = master
        .iter(Some(Exchange::Nfo))
        .filter(|i| DerivativeSymbol::parse(&i.symbol).is_some_and(|p| p.format() == *i.symbol))
        .count();
    assert_eq!(n, master.iter(Some(Exchange::Nfo)).count());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn search_never_panics(q in "\\PC{0,24}", ex in proptest::option::of(0usize..14)) {
        let (m, _) = shared();
        let ex = ex.map(|i| Exchange::ALL[i]);
        if let Ok(hits) = m.master().search(&q, ex) {
            prop_assert!(hits.len() <= 500);
        }
    }

    #[test]
    fn arbitrary_symbols_never_panic(s in "\\PC{0,40}") {
        let (m, _) = shared();
        let _ = DerivativeSymbol::parse(&s);
        let _ = Symbol::parse(&s);
        prop_assert!(m.quote(&s, Exchange::Nfo).is_err() || m.master().get(&s, Exchange::Nfo).is_some());
    }

    #[test]
    fn derivative_symbols_round_trip(day in 1u32..=28, month in 1u32..=12, year in 2000i32..2099, strike in 1u32..200_000, call: bool) {
        let text = format!("NIFTY{:02}{}{:02}{}{}", day, ["JAN","FEB","MAR","APR","MAY","JUN","JUL","AUG","SEP","OCT","NOV","DEC"][month as usize - 1], year % 100, strike, if call { "CE" } else { "PE" });
        let p = DerivativeSymbol::parse(&text).unwrap();
        prop_assert_eq!(p.format(), text);
    }
}

fn shared() -> (Arc<PaperMarket>, Arc<ManualClock>) {
    use std::sync::OnceLock;
    static M: OnceLock<(Arc<PaperMarket>, Arc<ManualClock>)> = OnceLock::new();
    M.get_or_init(|| market(99)).clone()
}
