//! Unit tests of the engine: the pure rules (fill table, margin, P&L, time gates, session,
//! T+1) and the service (commits, restart, ticks, concurrency).

use std::sync::Arc;

use chrono::NaiveDate;
use proptest::prelude::*;

use super::error::Result;
use super::rules::*;
use super::tx::{IdSource, Tx};
use super::*;
use crate::domain::{Exchange, InstrumentType};

#[derive(Debug, Default)]
struct Seq(u64);

impl IdSource for Seq {
    fn order_id(&mut self, _: i64) -> OrderId {
        self.0 += 1;
        OrderId(format!("O{}", self.0))
    }
    fn trade_id(&mut self, _: i64) -> TradeId {
        self.0 += 1;
        TradeId(format!("T{}", self.0))
    }
    fn gtt_id(&mut self, _: i64) -> GttId {
        self.0 += 1;
        GttId(format!("G{}", self.0))
    }
}

fn ist_ms(y: i32, m: u32, d: u32, hh: u32, mm: u32) -> i64 {
    crate::time::ist_ms(
        NaiveDate::from_ymd_opt(y, m, d).unwrap(),
        chrono::NaiveTime::from_hms_opt(hh, mm, 0).unwrap(),
    )
}

const EQ: Contract = Contract {
    kind: InstrumentType::Equity,
    lot_size: 1,
    expiry: None,
};

fn fut(expiry: Option<NaiveDate>) -> Contract {
    Contract {
        kind: InstrumentType::Future,
        lot_size: 75,
        expiry,
    }
}

fn px(ltp: f64) -> Px {
    Px {
        ltp,
        bid: ltp - 0.05,
        ask: ltp + 0.05,
        high: 0.0,
        low: 0.0,
    }
}

fn req(action: Action, qty: i64, pt: PriceType, product: Product) -> OrderRequest {
    OrderRequest {
        symbol: "SBIN".into(),
        exchange: Exchange::Nse,
        action,
        quantity: qty,
        pricetype: pt,
        product,
        price: 0.0,
        trigger_price: 0.0,
        strategy: "test".into(),
    }
}

/// A test harness over the pure rules: one account, a clock value, committed deltas.
struct Book {
    acc: Account,
    cfg: EngineConfig,
    now: i64,
    ids: Seq,
    /// The price housekeeping sees (expiry settlement).
    mark: Option<Px>,
}

impl Book {
    fn new() -> Self {
        Self::with(EngineConfig::default(), ist_ms(2026, 1, 6, 10, 0))
    }
    fn with(cfg: EngineConfig, now: i64) -> Self {
        Book {
            acc: Account::new(AccountId(1), &cfg, now),
            cfg,
            now,
            ids: Seq::default(),
            mark: None,
        }
    }
    fn run<R>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> R) -> R {
        let mut tx = Tx::new(&self.acc, &self.cfg, self.now, &mut self.ids);
        let mark = self.mark;
        housekeeping(&mut tx, &|_, _| mark);
        let r = f(&mut tx);
        let d = tx.finish();
        self.acc.apply(&d);
        r
    }
    fn place(&mut self, r: &OrderRequest, c: Contract, q: Option<Px>) -> Result<OrderId> {
        self.run(|tx| place(tx, r, Some(c), q))
    }
    fn order(&self, id: &OrderId) -> &Order {
        &self.acc.orders[id]
    }
    fn pos(&self, product: Product) -> Position {
        self.acc.positions[&PositionKey {
            symbol: "SBIN".into(),
            exchange: Exchange::Nse,
            product,
        }]
            .clone()
    }
    fn tick(&mut self, ltp: f64) {
        self.run(|tx| on_price(tx, "SBIN", Exchange::Nse, &px(ltp)));
    }
    fn assert_invariant(&self) {
        let f = &self.acc.funds;
        assert!(
            (f.available + f.used - f.total_realized - f.capital).abs() < 1e-4,
            "invariant broken: {f:?}"
        );
        assert!(f.available >= -1e-6, "overdrawn: {f:?}");
        assert!(f.used >= -1e-6, "negative used: {f:?}");
    }
}

#[test]
fn market_buys_at_ask_and_sells_at_bid() {
    let mut b = Book::new();
    let id = b
        .place(
            &req(Action::Buy, 10, PriceType::Market, Product::Mis),
            EQ,
            Some(px(800.0)),
        )
        .unwrap();
    let o = b.order(&id);
    assert_eq!(o.status, OrderStatus::Complete);
    assert_eq!(o.average_price, 800.05);
    assert_eq!(o.price, 800.0, "MARKET shows the LTP used for margin");
    let id = b
        .place(
            &req(Action::Sell, 10, PriceType::Market, Product::Mis),
            EQ,
            Some(px(810.0)),
        )
        .unwrap();
    assert_eq!(b.order(&id).average_price, 809.95);
    let p = b.pos(Product::Mis);
    assert_eq!(p.quantity, 0);
    assert_eq!(p.average_price, 0.0);
    assert!((p.today_realized - 99.0).abs() < 1e-9);
    assert_eq!(b.acc.trades.len(), 2);
    b.assert_invariant();
    assert!((b.acc.funds.available - 10_000_099.0).abs() < 1e-6);
    assert!(b.acc.funds.used.abs() < 1e-9);
}

#[test]
fn market_without_bid_or_ask_fills_at_ltp() {
    let mut b = Book::new();
    let q = Px {
        bid: 0.0,
        ask: 0.0,
        ..px(500.0)
    };
    let id = b
        .place(
            &req(Action::Buy, 1, PriceType::Market, Product::Mis),
            EQ,
            Some(q),
        )
        .unwrap();
    assert_eq!(b.order(&id).average_price, 500.0);
}

#[test]
fn marketable_limit_fills_at_ltp_resting_limit_at_its_price() {
    let mut b = Book::new();
    let mut r = req(Action::Buy, 5, PriceType::Limit, Product::Mis);
    r.price = 805.0;
    let id = b.place(&r, EQ, Some(px(800.0))).unwrap();
    assert_eq!(b.order(&id).average_price, 800.0, "price improvement");
    r.price = 790.0;
    let id = b.place(&r, EQ, Some(px(800.0))).unwrap();
    assert_eq!(b.order(&id).status, OrderStatus::Open);
    b.tick(795.0);
    assert_eq!(b.order(&id).status, OrderStatus::Open);
    b.tick(789.5);
    assert_eq!(b.order(&id).status, OrderStatus::Complete);
    assert_eq!(
        b.order(&id).average_price,
        790.0,
        "resting limit fills at the limit"
    );
    // SELL side.
    let mut s = req(Action::Sell, 5, PriceType::Limit, Product::Mis);
    s.price = 800.0;
    let id = b.place(&s, EQ, Some(px(790.0))).unwrap();
    assert_eq!(b.order(&id).status, OrderStatus::Open);
    b.tick(801.0);
    assert_eq!(b.order(&id).average_price, 800.0);
    b.assert_invariant();
}

#[test]
fn sl_m_triggers_and_fills_at_ltp() {
    let mut b = Book::new();
    let mut r = req(Action::Buy, 3, PriceType::SlM, Product::Mis);
    r.trigger_price = 810.0;
    r.price = 999.0; // dropped: SL-M keeps only the trigger
    let id = b.place(&r, EQ, Some(px(800.0))).unwrap();
    assert_eq!(b.order(&id).status, OrderStatus::TriggerPending);
    assert_eq!(b.order(&id).price, 0.0);
    b.tick(809.0);
    assert_eq!(b.order(&id).status, OrderStatus::TriggerPending);
    b.tick(811.5);
    assert_eq!(b.order(&id).status, OrderStatus::Complete);
    assert_eq!(b.order(&id).average_price, 811.5);
    // Trigger already met at placement: fills at once at LTP.
    let mut s = req(Action::Sell, 3, PriceType::SlM, Product::Mis);
    s.trigger_price = 820.0;
    let id = b.place(&s, EQ, Some(px(811.0))).unwrap();
    assert_eq!(b.order(&id).average_price, 811.0);
}

#[test]
fn sl_limit_goes_open_when_triggered_beyond_its_limit() {
    let mut b = Book::new();
    let mut r = req(Action::Buy, 2, PriceType::Sl, Product::Mis);
    r.trigger_price = 810.0;
    r.price = 812.0;
    let id = b.place(&r, EQ, Some(px(800.0))).unwrap();
    assert_eq!(b.order(&id).status, OrderStatus::TriggerPending);
    b.tick(815.0); // triggered, limit 812 not satisfiable
    assert_eq!(b.order(&id).status, OrderStatus::Open);
    b.tick(811.0); // trigger (>=810) and limit (<=812) both hold
    assert_eq!(b.order(&id).status, OrderStatus::Complete);
    assert_eq!(b.order(&id).average_price, 811.0);
    // Trigger and limit both OK at placement.
    let id = b.place(&r, EQ, Some(px(811.0))).unwrap();
    assert_eq!(b.order(&id).status, OrderStatus::Complete);
    // Trigger met, limit not: starts open.
    let id = b.place(&r, EQ, Some(px(813.0))).unwrap();
    assert_eq!(b.order(&id).status, OrderStatus::Open);
}

#[test]
fn stale_quotes_defer_fills() {
    let mut o = Order {
        id: OrderId("x".into()),
        account: AccountId(1),
        symbol: "SBIN".into(),
        exchange: Exchange::Nse,
        action: Action::Buy,
        quantity: 1,
        price: 0.0,
        trigger_price: 0.0,
        pricetype: PriceType::Market,
        product: Product::Mis,
        status: OrderStatus::Open,
        filled_quantity: 0,
        average_price: 0.0,
        rejection_reason: String::new(),
        strategy: String::new(),
        margin_blocked: 0.0,
        contract: EQ,
        created_ms: 0,
        updated_ms: 0,
    };
    let bad = Px {
        ltp: 120.0,
        bid: 119.0,
        ask: 121.0,
        high: 110.0,
        low: 100.0,
    };
    assert_eq!(evaluate(&mut o, &bad, true), None);
    let good = Px { high: 125.0, ..bad };
    assert_eq!(evaluate(&mut o, &good, true), Some(121.0));
}

#[test]
fn validation_messages_in_order() {
    let mut b = Book::new();
    let mut r = req(Action::Buy, 1, PriceType::Market, Product::Nrml);
    let e = b.place(&r, EQ, Some(px(1.0))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "NRML product not allowed for NSE equity segment. Use CNC for delivery or MIS for intraday."
    );
    r.exchange = Exchange::Nfo;
    r.product = Product::Cnc;
    let e = b.place(&r, fut(None), Some(px(1.0))).unwrap_err();
    assert!(e.to_string().starts_with("CNC product not allowed for NFO"));
    let mut r = req(Action::Buy, 1, PriceType::Limit, Product::Mis);
    assert_eq!(
        b.place(&r, EQ, None).unwrap_err().to_string(),
        "LIMIT orders require price"
    );
    r.pricetype = PriceType::SlM;
    assert_eq!(
        b.place(&r, EQ, None).unwrap_err().to_string(),
        "SL-M orders require trigger_price"
    );
    let r = req(Action::Buy, 0, PriceType::Market, Product::Mis);
    assert_eq!(
        b.place(&r, EQ, None).unwrap_err().to_string(),
        "Quantity must be positive"
    );
    let r = req(Action::Buy, 1, PriceType::Market, Product::Mis);
    let e = b.run(|tx| place(tx, &r, None, None)).unwrap_err();
    assert_eq!(e.to_string(), "Symbol SBIN not found on NSE");
    let mut f = req(Action::Buy, 50, PriceType::Market, Product::Nrml);
    f.exchange = Exchange::Nfo;
    assert_eq!(
        b.place(&f, fut(None), Some(px(1.0)))
            .unwrap_err()
            .to_string(),
        "Quantity must be in multiples of lot size 75"
    );
    let e = b.place(&r, EQ, None).unwrap_err().to_string();
    assert!(e.starts_with("Cannot place MARKET order for SBIN - unable to fetch current price."));
    assert!(b.acc.orders.is_empty(), "no order recorded for these");
    b.assert_invariant();
}

#[test]
fn margin_uses_leverage_and_is_refused_beyond_funds() {
    let cfg = EngineConfig::default();
    assert_eq!(
        margin_for(&cfg, &EQ, Product::Mis, Action::Buy, 10, 100.0, 0),
        200.0
    );
    assert_eq!(
        margin_for(&cfg, &EQ, Product::Cnc, Action::Buy, 10, 100.0, 0),
        1000.0
    );
    assert_eq!(
        margin_for(&cfg, &EQ, Product::Cnc, Action::Sell, 10, 100.0, 0),
        0.0
    );
    assert_eq!(
        margin_for(&cfg, &EQ, Product::Mis, Action::Sell, 10, 100.0, 0),
        200.0
    );
    assert_eq!(
        margin_for(&cfg, &fut(None), Product::Nrml, Action::Buy, 75, 100.0, 0),
        750.0
    );
    let opt = Contract {
        kind: InstrumentType::Call,
        ..fut(None)
    };
    assert_eq!(
        margin_for(&cfg, &opt, Product::Nrml, Action::Sell, 75, 10.0, 0),
        750.0
    );
    // Opposing an existing position: reduce only → 0; reversal → the excess.
    assert_eq!(
        margin_for(&cfg, &EQ, Product::Mis, Action::Sell, 10, 100.0, 10),
        0.0
    );
    assert_eq!(
        margin_for(&cfg, &EQ, Product::Mis, Action::Sell, 15, 100.0, 10),
        100.0
    );

    let mut b = Book::new();
    let mut r = req(Action::Buy, 100_000, PriceType::Limit, Product::Cnc);
    r.price = 150.0;
    let e = b.place(&r, EQ, Some(px(200.0))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Insufficient funds. Required: ₹15000000.00, Available: ₹10000000.00, Shortage: ₹5000000.00"
    );
    b.assert_invariant();
}

#[test]
fn cancel_releases_exactly_the_blocked_margin_and_modify_reblocks() {
    let mut b = Book::new();
    let mut r = req(Action::Buy, 10, PriceType::Limit, Product::Mis);
    r.price = 700.0;
    let id = b.place(&r, EQ, Some(px(800.0))).unwrap();
    assert_eq!(b.order(&id).margin_blocked, 1400.0);
    assert_eq!(b.acc.funds.used, 1400.0);
    // Re-block on modify: twice the quantity, lower price.
    b.run(|tx| {
        modify(
            tx,
            &id,
            Modification {
                quantity: Some(20),
                price: Some(650.0),
                trigger_price: None,
            },
            Some(px(800.0)),
        )
    })
    .unwrap();
    assert_eq!(b.order(&id).margin_blocked, 2600.0);
    assert_eq!(b.acc.funds.used, 2600.0);
    let e = b
        .run(|tx| {
            modify(
                tx,
                &id,
                Modification {
                    trigger_price: Some(1.0),
                    ..Default::default()
                },
                None,
            )
        })
        .unwrap_err();
    assert_eq!(e.to_string(), "LIMIT orders do not accept a trigger_price");
    b.run(|tx| cancel(tx, &id)).unwrap();
    assert_eq!(b.order(&id).status, OrderStatus::Cancelled);
    assert_eq!(b.acc.funds.used, 0.0);
    assert_eq!(b.acc.funds.available, 10_000_000.0);
    let e = b.run(|tx| cancel(tx, &id)).unwrap_err();
    assert_eq!(e.to_string(), "Cannot cancel order in cancelled status");
    let e = b.run(|tx| cancel(tx, &OrderId("nope".into()))).unwrap_err();
    assert_eq!(e, EngineError::OrderNotFound("nope".into()));
    // Modify into a marketable price fills at once.
    let id = b.place(&r, EQ, Some(px(800.0))).unwrap();
    b.run(|tx| {
        modify(
            tx,
            &id,
            Modification {
                price: Some(801.0),
                ..Default::default()
            },
            Some(px(800.0)),
        )
    })
    .unwrap();
    assert_eq!(b.order(&id).status, OrderStatus::Complete);
    b.assert_invariant();
}

#[test]
fn weighted_average_partial_close_and_reversal() {
    let mut b = Book::new();
    let lim = |a: Action, q: i64, p: f64| {
        let mut r = req(a, q, PriceType::Limit, Product::Mis);
        r.price = p;
        r
    };
    b.place(&lim(Action::Buy, 10, 100.0), EQ, Some(px(100.0)))
        .unwrap();
    b.place(&lim(Action::Buy, 30, 120.0), EQ, Some(px(120.0)))
        .unwrap();
    let p = b.pos(Product::Mis);
    assert_eq!(p.quantity, 40);
    assert!((p.average_price - 115.0).abs() < 1e-9);
    assert!((p.margin - (200.0 + 720.0)).abs() < 1e-9);
    // Sell 20 at 125: realize 200, release half the margin.
    b.place(&lim(Action::Sell, 20, 125.0), EQ, Some(px(125.0)))
        .unwrap();
    let p = b.pos(Product::Mis);
    assert_eq!(p.quantity, 20);
    assert!((p.today_realized - 200.0).abs() < 1e-9);
    assert!((p.margin - 460.0).abs() < 1e-9);
    b.assert_invariant();
    // Sell 50 at 110: close 20 (-100), open short 30 at 110.
    b.place(&lim(Action::Sell, 50, 110.0), EQ, Some(px(110.0)))
        .unwrap();
    let p = b.pos(Product::Mis);
    assert_eq!(p.quantity, -30);
    assert_eq!(p.average_price, 110.0);
    assert!((p.today_realized - 100.0).abs() < 1e-9);
    assert!((p.margin - 660.0).abs() < 1e-9);
    // Cover at 100: short profit 300.
    b.place(&lim(Action::Buy, 30, 100.0), EQ, Some(px(100.0)))
        .unwrap();
    let p = b.pos(Product::Mis);
    assert_eq!((p.quantity, p.margin), (0, 0.0));
    assert!((b.acc.funds.total_realized - 400.0).abs() < 1e-9);
    b.assert_invariant();
}

#[test]
fn cnc_sell_without_shares_is_recorded_as_rejected() {
    let mut b = Book::new();
    let r = req(Action::Sell, 5, PriceType::Market, Product::Cnc);
    let e = b.place(&r, EQ, Some(px(100.0))).unwrap_err();
    let EngineError::Rejected { message, orderid } = e else {
        panic!()
    };
    assert!(message.starts_with("Cannot sell SBIN in CNC. No positions or holdings available."));
    let id = orderid.expect("an audit row");
    assert_eq!(b.order(&id).status, OrderStatus::Rejected);
    assert_eq!(b.order(&id).rejection_reason, message);
    b.place(
        &req(Action::Buy, 3, PriceType::Market, Product::Cnc),
        EQ,
        Some(px(100.0)),
    )
    .unwrap();
    let e = b.place(&r, EQ, Some(px(100.0))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "Cannot sell 5 shares of SBIN in CNC. Only 3 shares available (Position: 3, Holdings: 0)"
    );
    b.assert_invariant();
}

#[test]
fn t_plus_one_moves_cnc_to_holdings_and_sales_draw_from_them() {
    let mut b = Book::new();
    let mut r = req(Action::Buy, 10, PriceType::Limit, Product::Cnc);
    r.price = 100.0;
    b.place(&r, EQ, Some(px(100.0))).unwrap();
    assert_eq!(b.acc.funds.used, 1000.0);
    // Same day: still a position.
    b.now = ist_ms(2026, 1, 6, 23, 59);
    b.run(|_| ());
    assert!(b.acc.holdings.is_empty());
    // Next day: a holding, margin moved along.
    b.now = ist_ms(2026, 1, 7, 0, 1);
    b.run(|_| ());
    let h = &b.acc.holdings[&(Exchange::Nse, "SBIN".to_string())];
    assert_eq!((h.quantity, h.average_price, h.margin), (10, 100.0, 1000.0));
    assert_eq!(
        h.settlement_date,
        NaiveDate::from_ymd_opt(2026, 1, 7).unwrap()
    );
    assert_eq!(b.pos(Product::Cnc).quantity, 0);
    assert_eq!(b.acc.funds.used, 1000.0);
    // Sell 4 from holdings at 110.
    b.now = ist_ms(2026, 1, 7, 10, 0);
    let mut s = req(Action::Sell, 4, PriceType::Limit, Product::Cnc);
    s.price = 110.0;
    b.place(&s, EQ, Some(px(110.0))).unwrap();
    let h = &b.acc.holdings[&(Exchange::Nse, "SBIN".to_string())];
    assert_eq!(h.quantity, 6);
    assert!((h.margin - 600.0).abs() < 1e-9);
    assert!((b.acc.funds.total_realized - 40.0).abs() < 1e-9);
    assert_eq!(b.pos(Product::Cnc).quantity, 0);
    b.assert_invariant();
}

#[test]
fn mis_gate_and_square_off_in_the_exchange_calendar() {
    let cfg = EngineConfig {
        mis_gates: true,
        ..EngineConfig::default()
    };
    let mut b = Book::with(cfg, ist_ms(2026, 1, 6, 15, 0));
    let buy = req(Action::Buy, 10, PriceType::Market, Product::Mis);
    b.place(&buy, EQ, Some(px(100.0))).unwrap();
    let mut rest = req(Action::Buy, 10, PriceType::Limit, Product::Mis);
    rest.price = 90.0;
    let resting = b.place(&rest, EQ, Some(px(100.0))).unwrap();
    b.now = ist_ms(2026, 1, 6, 15, 15);
    let e = b.place(&buy, EQ, Some(px(100.0))).unwrap_err();
    assert_eq!(
        e.to_string(),
        "MIS orders cannot be placed after square-off time (15:15 IST). Trading resumes at 09:00 AM IST."
    );
    // Reducing is allowed.
    b.place(
        &req(Action::Sell, 4, PriceType::Market, Product::Mis),
        EQ,
        Some(px(101.0)),
    )
    .unwrap();
    // CNC is not gated.
    b.place(
        &req(Action::Buy, 1, PriceType::Market, Product::Cnc),
        EQ,
        Some(px(101.0)),
    )
    .unwrap();
    let n = b.run(|tx| square_off(tx, &|_, _| Some(px(102.0))));
    assert_eq!(n, 1);
    assert_eq!(b.order(&resting).status, OrderStatus::Cancelled);
    assert_eq!(b.pos(Product::Mis).quantity, 0);
    assert_eq!(b.pos(Product::Cnc).quantity, 1);
    let closing = b
        .acc
        .orders
        .values()
        .find(|o| o.strategy == AUTO_SQUARE_OFF)
        .unwrap();
    assert_eq!((closing.action, closing.quantity), (Action::Sell, 6));
    // Idempotent.
    assert_eq!(b.run(|tx| square_off(tx, &|_, _| Some(px(102.0)))), 0);
    // Before 09:00 the next day MIS is still gated; at 09:00 it opens.
    b.now = ist_ms(2026, 1, 7, 8, 59);
    assert!(b.place(&buy, EQ, Some(px(100.0))).is_err());
    b.now = ist_ms(2026, 1, 7, 9, 0);
    assert!(b.place(&buy, EQ, Some(px(100.0))).is_ok());
    b.assert_invariant();
}

#[test]
fn continuous_calendar_has_no_mis_gate() {
    let mut b = Book::with(EngineConfig::default(), ist_ms(2026, 1, 6, 23, 0));
    b.place(
        &req(Action::Buy, 1, PriceType::Market, Product::Mis),
        EQ,
        Some(px(1.0)),
    )
    .unwrap();
    assert_eq!(b.run(|tx| square_off(tx, &|_, _| Some(px(1.0)))), 0);
    assert_eq!(b.pos(Product::Mis).quantity, 1);
}

#[test]
fn session_boundary_resets_today_and_hides_old_orders() {
    let mut b = Book::with(EngineConfig::default(), ist_ms(2026, 1, 6, 14, 0));
    b.place(
        &req(Action::Buy, 10, PriceType::Market, Product::Nrml),
        fut_eq(),
        Some(px(100.0)),
    )
    .ok();
    b.place(
        &req(Action::Buy, 10, PriceType::Market, Product::Mis),
        EQ,
        Some(px(100.0)),
    )
    .unwrap();
    b.place(
        &req(Action::Sell, 5, PriceType::Market, Product::Mis),
        EQ,
        Some(px(110.0)),
    )
    .unwrap();
    let mut r = req(Action::Buy, 1, PriceType::Limit, Product::Mis);
    r.price = 1.0;
    let resting = b.place(&r, EQ, Some(px(110.0))).unwrap();
    assert!(b.acc.funds.today_realized > 0.0);
    // 02:59 next day: same session.
    b.now = ist_ms(2026, 1, 7, 2, 59);
    b.run(|_| ());
    assert!(b.acc.funds.today_realized > 0.0);
    assert_eq!(b.acc.orders.len(), 3);
    // 03:00: a new session.
    b.now = ist_ms(2026, 1, 7, 3, 0);
    b.run(|_| ());
    assert_eq!(b.acc.funds.today_realized, 0.0);
    assert!(b.acc.funds.total_realized > 0.0);
    assert_eq!(b.pos(Product::Mis).today_realized, 0.0);
    assert_eq!(b.pos(Product::Mis).quantity, 5, "open positions stay");
    let left: Vec<_> = b.acc.orders.keys().cloned().collect();
    assert_eq!(
        left,
        vec![resting],
        "only the resting order survives the boundary"
    );
    assert!(b.acc.trades.is_empty());
    b.assert_invariant();
}

fn fut_eq() -> Contract {
    EQ
}

#[test]
fn expired_futures_settle_at_ltp_and_their_orders_are_cancelled() {
    let exp = NaiveDate::from_ymd_opt(2026, 1, 27).unwrap();
    let mut b = Book::with(EngineConfig::default(), ist_ms(2026, 1, 27, 10, 0));
    let mut r = req(Action::Buy, 75, PriceType::Market, Product::Nrml);
    r.exchange = Exchange::Nfo;
    r.symbol = "NIFTY27JAN26FUT".into();
    b.run(|tx| place(tx, &r, Some(fut(Some(exp))), Some(px(100.0))))
        .unwrap();
    let mut l = r.clone();
    l.pricetype = PriceType::Limit;
    l.price = 50.0;
    let resting = b
        .run(|tx| place(tx, &l, Some(fut(Some(exp))), Some(px(100.0))))
        .unwrap();
    // 15:29: not yet.
    b.now = ist_ms(2026, 1, 27, 15, 29);
    b.mark = Some(px(120.0));
    b.run(|_| ());
    assert_eq!(b.order(&resting).status, OrderStatus::Open);
    // 15:30 on expiry day: settled by housekeeping at the mark.
    b.now = ist_ms(2026, 1, 27, 15, 30);
    b.run(|_| ());
    let key = PositionKey {
        symbol: "NIFTY27JAN26FUT".into(),
        exchange: Exchange::Nfo,
        product: Product::Nrml,
    };
    let p = &b.acc.positions[&key];
    assert_eq!(p.quantity, 0);
    assert!(
        (p.today_realized - (120.0 - 100.05) * 75.0).abs() < 1e-6,
        "{p:?}"
    );
    assert_eq!(b.order(&resting).status, OrderStatus::Cancelled);
    assert!(b.acc.funds.used.abs() < 1e-9);
    b.assert_invariant();
}

#[test]
fn smart_order_table() {
    use Action::*;
    assert_eq!(smart_order_leg(0, 0, Buy, 5), Some((Buy, 5)));
    assert_eq!(smart_order_leg(0, 0, Sell, 5), Some((Sell, 5)));
    assert_eq!(smart_order_leg(0, 0, Buy, 0), None);
    assert_eq!(smart_order_leg(0, 7, Buy, 1), Some((Sell, 7)));
    assert_eq!(smart_order_leg(0, -7, Sell, 1), Some((Buy, 7)));
    assert_eq!(smart_order_leg(5, 0, Sell, 1), Some((Buy, 5)));
    assert_eq!(smart_order_leg(-5, 0, Buy, 1), Some((Sell, 5)));
    assert_eq!(smart_order_leg(10, 4, Sell, 1), Some((Buy, 6)));
    assert_eq!(smart_order_leg(4, 10, Buy, 1), Some((Sell, 6)));
    assert_eq!(smart_order_leg(-3, 2, Buy, 1), Some((Sell, 5)));
    assert_eq!(smart_order_leg(4, 4, Buy, 1), None);
    // Absurd targets saturate instead of overflowing.
    assert_eq!(smart_order_leg(i64::MIN, 5, Buy, 1), Some((Sell, i64::MAX)));
}

#[derive(Debug, Clone)]
enum Op {
    Place {
        buy: bool,
        qty: i64,
        pt: u8,
        product: u8,
        price: f64,
    },
    Tick(f64),
    Cancel(usize),
    Modify(usize, i64, f64),
    Day,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), 1i64..5000, 0u8..4, 0u8..2, 95.0f64..105.0).prop_map(
            |(buy, qty, pt, product, price)| Op::Place { buy, qty, pt, product, price }
        ),
        3 => (95.0f64..105.0).prop_map(Op::Tick),
        1 => (0usize..50).prop_map(Op::Cancel),
        1 => (0usize..50, 1i64..5000, 95.0f64..105.0).prop_map(|(i, q, p)| Op::Modify(i, q, p)),
        1 => Just(Op::Day),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Whatever happens, available + used − realized = capital, and nothing is overdrawn.
    #[test]
    fn funds_invariant_holds(ops in proptest::collection::vec(op(), 1..60)) {
        let mut b = Book::new();
        b.acc.funds.capital = 1_000_000.0;
        b.acc.funds.available = 1_000_000.0;
        let mut last = 100.0;
        for op in ops {
            match op {
                Op::Place { buy, qty, pt, product, price } => {
                    let mut r = req(
                        if buy { Action::Buy } else { Action::Sell },
                        qty,
                        [PriceType::Market, PriceType::Limit, PriceType::Sl, PriceType::SlM][pt as usize],
                        [Product::Mis, Product::Cnc][product as usize],
                    );
                    r.price = price;
                    r.trigger_price = price;
                    let _ = b.place(&r, EQ, Some(px(last)));
                }
                Op::Tick(p) => { last = p; b.tick(p); }
                Op::Cancel(i) => {
                    if let Some(id) = b.acc.orders.keys().nth(i).cloned() {
                        let _ = b.run(|tx| cancel(tx, &id));
                    }
                }
                Op::Modify(i, q, p) => {
                    if let Some(id) = b.acc.orders.keys().nth(i).cloned() {
                        let m = Modification { quantity: Some(q), price: Some(p), trigger_price: Some(p) };
                        let _ = b.run(|tx| modify(tx, &id, m, Some(px(last))));
                    }
                }
                Op::Day => { b.now += 86_400_000; b.run(|_| ()); }
            }
            b.assert_invariant();
            // Blocked margin equals what resting orders and positions hold.
            let held: f64 = b.acc.resting().map(|o| o.margin_blocked).sum::<f64>()
                + b.acc.positions.values().map(|p| p.margin).sum::<f64>()
                + b.acc.holdings.values().map(|h| h.margin).sum::<f64>();
            prop_assert!((held - b.acc.funds.used).abs() < 1e-4, "held {held} used {}", b.acc.funds.used);
        }
    }
}

// ---- the service ----

fn market_at(now: i64) -> (Arc<crate::ManualClock>, Arc<crate::PaperMarket>) {
    let clock = Arc::new(crate::ManualClock::new(
        chrono::DateTime::from_timestamp_millis(now).unwrap(),
    ));
    let market = crate::PaperMarket::with_builtin(clock.clone(), crate::MarketConfig::default());
    (clock, market)
}

fn sbin(action: Action, qty: i64, pt: PriceType, price: f64) -> OrderRequest {
    let mut r = req(action, qty, pt, Product::Mis);
    r.price = price;
    r.trigger_price = price;
    r
}

#[tokio::test]
async fn order_ids_are_fourteen_digits_from_the_clock_and_unique() {
    let (_, market) = market_at(ist_ms(2026, 1, 6, 10, 0) + 123);
    let engine = Engine::start(
        market,
        Arc::new(MemoryLedger::default()),
        EngineConfig::default(),
    )
    .await
    .unwrap();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..300 {
        let id = engine
            .place(AccountId(1), &sbin(Action::Buy, 1, PriceType::Limit, 1.0))
            .await
            .unwrap();
        assert_eq!(id.0.len(), 14);
        // YYMMDD, then the clock's microseconds (123 ms), moved on a little on collisions.
        assert!(id.0.starts_with("260106123"), "{id}");
        assert!(seen.insert(id));
    }
    let tb = engine.tradebook(AccountId(1)).await.unwrap();
    assert!(tb.is_empty());
    let id = engine
        .place(AccountId(1), &sbin(Action::Buy, 1, PriceType::Market, 0.0))
        .await
        .unwrap();
    let tb = engine.tradebook(AccountId(1)).await.unwrap();
    assert_eq!(tb[0].orderid, id.0);
    let t = &tb[0].tradeid;
    assert!(
        t.starts_with("TRADE-20260106-100000-") && t.len() == 30,
        "{t}"
    );
}

#[tokio::test]
async fn restart_restores_everything_and_resumes_resting_orders() {
    let now = ist_ms(2026, 1, 6, 10, 0);
    let ledger = Arc::new(MemoryLedger::default());
    let (_, market) = market_at(now);
    let ltp = market.quote("SBIN", Exchange::Nse).unwrap().ltp;
    let e1 = Engine::start(market.clone(), ledger.clone(), EngineConfig::default())
        .await
        .unwrap();
    let acc = AccountId(7);
    e1.place(acc, &sbin(Action::Buy, 10, PriceType::Market, 0.0))
        .await
        .unwrap();
    let resting = e1
        .place(
            acc,
            &sbin(Action::Buy, 5, PriceType::Limit, (ltp * 0.5).round()),
        )
        .await
        .unwrap();
    let before = (
        e1.orderbook(acc).await.unwrap(),
        e1.positionbook(acc).await.unwrap(),
        e1.raw_funds(acc).await.unwrap(),
    );
    drop(e1);
    let e2 = Engine::start(market.clone(), ledger, EngineConfig::default())
        .await
        .unwrap();
    let after = (
        e2.orderbook(acc).await.unwrap(),
        e2.positionbook(acc).await.unwrap(),
        e2.raw_funds(acc).await.unwrap(),
    );
    assert_eq!(before, after);
    assert_eq!(e2.watched(), vec![(Exchange::Nse, "SBIN".to_string(), 1)]);
    assert!(market.subscriptions().iter().any(|(_, s, _)| s == "SBIN"));
    e2.cancel(acc, &resting).await.unwrap();
    assert!(e2.watched().is_empty());
}

#[tokio::test]
async fn a_failed_commit_changes_nothing() {
    let ledger = Arc::new(MemoryLedger::default());
    let (_, market) = market_at(ist_ms(2026, 1, 6, 10, 0));
    let e = Engine::start(market, ledger.clone(), EngineConfig::default())
        .await
        .unwrap();
    let acc = AccountId(1);
    let f0 = e.raw_funds(acc).await.unwrap();
    ledger
        .fail_next
        .store(true, std::sync::atomic::Ordering::SeqCst);
    let r = e
        .place(acc, &sbin(Action::Buy, 10, PriceType::Market, 0.0))
        .await;
    assert!(matches!(r, Err(EngineError::Ledger(_))));
    assert_eq!(e.raw_funds(acc).await.unwrap(), f0);
    assert!(e.orderbook(acc).await.unwrap().orders.is_empty());
}

#[tokio::test]
async fn ticks_fill_resting_orders_and_publish_updates() {
    let (clock, market) = market_at(ist_ms(2026, 1, 6, 10, 0));
    let e = Engine::start(
        market.clone(),
        Arc::new(MemoryLedger::default()),
        EngineConfig::default(),
    )
    .await
    .unwrap();
    let mut updates = e.updates();
    let acc = AccountId(1);
    let ltp = market.quote("SBIN", Exchange::Nse).unwrap().ltp;
    // A buy limit a little under the market; walk the clock until the market comes down.
    let id = e
        .place(acc, &sbin(Action::Buy, 1, PriceType::Limit, ltp - 0.5))
        .await
        .unwrap();
    let u = updates.recv().await.unwrap();
    assert_eq!(
        (u.orderid.as_str(), u.order_status),
        (id.as_str(), OrderStatus::Open)
    );
    assert_eq!(
        (u.mode, u.broker, u.pending_quantity),
        ("analyze", "sandbox", 1)
    );
    let mut filled = false;
    for _ in 0..20_000 {
        clock.advance_ms(1000);
        let tick = market.tick("SBIN", Exchange::Nse).unwrap();
        e.on_tick(&tick).await;
        if e.order_status(acc, &id).await.unwrap().order_status == OrderStatus::Complete {
            filled = true;
            assert!(tick.ltp <= ltp - 0.5);
            break;
        }
    }
    assert!(filled, "the price never came down half a rupee");
    let st = e.order_status(acc, &id).await.unwrap();
    assert_eq!(st.average_price, crate::round2(ltp - 0.5));
    let u = updates.recv().await.unwrap();
    assert_eq!(u.order_status, OrderStatus::Complete);
    assert!(e.watched().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_never_overdraw() {
    let (_, market) = market_at(ist_ms(2026, 1, 6, 10, 0));
    let cfg = EngineConfig {
        starting_capital: 100_000.0,
        ..EngineConfig::default()
    };
    let e = Engine::start(market, Arc::new(MemoryLedger::default()), cfg)
        .await
        .unwrap();
    let acc = AccountId(3);
    // Each order blocks 10 × 1000 / 5 = 2000: exactly 50 fit.
    let mut tasks = Vec::new();
    for _ in 0..120 {
        let e = e.clone();
        tasks.push(tokio::spawn(async move {
            e.place(acc, &sbin(Action::Buy, 10, PriceType::Limit, 1000.0))
                .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap().is_ok() {
            ok += 1;
        }
    }
    let f = e.raw_funds(acc).await.unwrap();
    assert!(f.available >= 0.0);
    assert!((f.available + f.used - f.total_realized - f.capital).abs() < 1e-6);
    // Some may have filled (limit above market) and freed nothing; none may overdraw.
    assert!(ok >= 50, "{ok}");
    assert!(f.used <= 100_000.0 + 1e-6);
}

/// Two engines on one shared ledger (two instances on one database): orders split
/// across them never overdraw, each sees the other's orders at once, a stale copy never
/// commits, and a resting order placed on one is filled once by the other's ticks.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_engines_on_one_shared_ledger_agree_and_never_overdraw() {
    let (clock, market) = market_at(ist_ms(2026, 1, 6, 10, 0));
    let ledger = Arc::new(MemoryLedger::shared());
    let cfg = EngineConfig {
        starting_capital: 100_000.0,
        ..EngineConfig::default()
    };
    let alone = Engine::start(
        market.clone(),
        Arc::new(MemoryLedger::default()),
        cfg.clone(),
    )
    .await
    .unwrap();
    let a = Engine::start(market.clone(), ledger.clone(), cfg.clone())
        .await
        .unwrap();
    let b = Engine::start(market.clone(), ledger.clone(), cfg)
        .await
        .unwrap();
    let acc = AccountId(3);
    // Resting buys well under the market: as many fit as fit on one engine alone,
    // whichever engine takes them.
    let price = (market.quote("SBIN", Exchange::Nse).unwrap().ltp * 0.5).round();
    let qty = (20_000.0 / price).ceil() as i64;
    let order = sbin(Action::Buy, qty, PriceType::Limit, price);
    let mut fit = 0;
    while alone.place(acc, &order).await.is_ok() {
        fit += 1;
    }
    assert!(fit > 3, "{fit}");
    let mut tasks = Vec::new();
    for i in 0..2 * fit + 10 {
        let e = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            e.place(acc, &sbin(Action::Buy, qty, PriceType::Limit, price))
                .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            // Only the funds may refuse an order: no stale copy gives up.
            Err(e) => assert!(matches!(e, EngineError::Rejected { .. }), "{e:?}"),
        }
    }
    assert_eq!(ok, fit);
    let (fa, fb) = (
        a.raw_funds(acc).await.unwrap(),
        b.raw_funds(acc).await.unwrap(),
    );
    assert_eq!(fa, fb);
    assert_eq!(fa, alone.raw_funds(acc).await.unwrap());
    assert_eq!(
        a.orderbook(acc).await.unwrap(),
        b.orderbook(acc).await.unwrap()
    );
    // B cancels one of A's orders; A's next read sees it cancelled.
    let book = a.orderbook(acc).await.unwrap();
    let first = OrderId(book.orders[0].orderid.clone());
    b.cancel(acc, &first).await.unwrap();
    assert_eq!(
        a.order_status(acc, &first).await.unwrap().order_status,
        OrderStatus::Cancelled
    );
    assert!(a.cancel(acc, &first).await.is_err());
    // A resting order placed on A, filled by B's ticks (B syncs on A's commit): once.
    let acc2 = AccountId(4);
    let ltp = market.quote("SBIN", Exchange::Nse).unwrap().ltp;
    let id = a
        .place(acc2, &sbin(Action::Buy, 1, PriceType::Limit, ltp - 0.5))
        .await
        .unwrap();
    b.sync(acc2, ledger.version(acc2).await.unwrap())
        .await
        .unwrap();
    assert!(b.watched().iter().any(|(_, s, n)| s == "SBIN" && *n >= 1));
    // On a shared ledger no engine fills until it leads; two leaders still fill once.
    assert!(!a.leading() && !b.leading());
    a.set_leading(true);
    b.set_leading(true);
    let mut filled = false;
    for _ in 0..20_000 {
        clock.advance_ms(1000);
        let tick = market.tick("SBIN", Exchange::Nse).unwrap();
        b.on_tick(&tick).await;
        // A's copy is stale here; its tick must not fill the order a second time.
        a.on_tick(&tick).await;
        if b.order_status(acc2, &id).await.unwrap().order_status == OrderStatus::Complete {
            filled = true;
            break;
        }
    }
    assert!(filled, "the price never came down half a rupee");
    let trades = a.tradebook(acc2).await.unwrap();
    assert_eq!(trades.len(), 1, "{trades:?}");
    assert_eq!(
        a.positionbook(acc2).await.unwrap(),
        b.positionbook(acc2).await.unwrap()
    );
}

// ---- GTT ----

fn gtt_req(kind: GttKind, legs: &[(f64, Direction, f64)]) -> GttRequest {
    GttRequest {
        kind,
        symbol: "SBIN".into(),
        exchange: Exchange::Nse,
        action: Action::Buy,
        quantity: 10,
        pricetype: PriceType::Market,
        product: Product::Cnc,
        legs: legs
            .iter()
            .map(|&(trigger_price, direction, price)| GttLeg {
                trigger_price,
                direction,
                price,
            })
            .collect(),
        strategy: "gtt".into(),
        expires_ms: None,
    }
}

impl Book {
    fn gtt_tick(&mut self, ltp: f64) {
        self.run(|tx| fire_gtts(tx, "SBIN", Exchange::Nse, &px(ltp), Some(EQ)));
    }
}

#[test]
fn a_single_gtt_fires_once_when_crossed_in_either_direction() {
    for (dir, trigger, miss, hit) in [
        (Direction::Below, 100.0, 100.05, 100.0),
        (Direction::Above, 100.0, 99.95, 100.0),
    ] {
        let mut b = Book::new();
        let id = b
            .run(|tx| {
                place_gtt(
                    tx,
                    &gtt_req(GttKind::Single, &[(trigger, dir, 0.0)]),
                    Some(EQ),
                    101.0,
                )
            })
            .unwrap();
        b.gtt_tick(miss);
        assert_eq!(b.acc.gtts[&id].status, GttStatus::Active, "{dir}");
        assert!(b.acc.orders.is_empty());
        b.gtt_tick(hit);
        let g = b.acc.gtts[&id].clone();
        assert_eq!(g.status, GttStatus::Triggered, "{dir}");
        let (leg, order) = g.fired.clone().unwrap();
        assert_eq!(leg, 0);
        assert_eq!(b.order(&order).status, OrderStatus::Complete);
        assert_eq!(b.order(&order).strategy, "gtt");
        // Never again.
        b.gtt_tick(hit);
        assert_eq!(b.acc.orders.len(), 1, "{dir}");
    }
}

#[test]
fn an_oco_fires_one_leg_and_the_other_goes_with_it() {
    let mut b = Book::new();
    let r = gtt_req(
        GttKind::Oco,
        &[
            (90.0, Direction::Below, 89.0),
            (110.0, Direction::Above, 111.0),
        ],
    );
    let id = b.run(|tx| place_gtt(tx, &r, Some(EQ), 100.0)).unwrap();
    b.gtt_tick(110.5);
    let g = b.acc.gtts[&id].clone();
    assert_eq!(
        (g.status, g.fired.as_ref().unwrap().0),
        (GttStatus::Triggered, 1)
    );
    b.gtt_tick(80.0);
    assert_eq!(b.acc.orders.len(), 1);
}

#[test]
fn margin_is_checked_when_it_fires_and_a_refusal_is_final() {
    let mut b = Book::new();
    let mut r = gtt_req(GttKind::Single, &[(100.0, Direction::Below, 0.0)]);
    r.quantity = 1_000_000; // ₹10 crore of CNC shares: more than the capital.
    let id = b.run(|tx| place_gtt(tx, &r, Some(EQ), 101.0)).unwrap();
    let funds = b.acc.funds.clone();
    b.gtt_tick(99.0);
    let g = &b.acc.gtts[&id];
    assert_eq!(g.status, GttStatus::Rejected);
    assert!(g.reason.contains("Insufficient funds"), "{}", g.reason);
    assert_eq!(b.acc.funds, funds);
    b.gtt_tick(98.0);
    assert!(b.acc.orders.is_empty());
}

#[test]
fn gtts_expire_modify_and_cancel_only_while_active() {
    let mut b = Book::new();
    let mut r = gtt_req(GttKind::Single, &[(100.0, Direction::Below, 0.0)]);
    r.expires_ms = Some(b.now + 60_000);
    let id = b.run(|tx| place_gtt(tx, &r, Some(EQ), 101.0)).unwrap();
    // A full replacement keeps the shape; what identifies the GTT cannot change.
    let mut m = r.clone();
    m.quantity = 4;
    m.legs[0].trigger_price = 95.0;
    b.run(|tx| modify_gtt(tx, &id, &m)).unwrap();
    assert_eq!(b.acc.gtts[&id].quantity, 4);
    assert_eq!(b.acc.gtts[&id].expires_ms, b.now + 60_000);
    let mut bad = m.clone();
    bad.action = Action::Sell;
    let e = b.run(|tx| modify_gtt(tx, &id, &bad)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "action cannot be changed on an existing GTT (BUY -> SELL). Cancel and re-place."
    );
    let mut bad = m.clone();
    bad.kind = GttKind::Oco;
    let e = b.run(|tx| modify_gtt(tx, &id, &bad)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "trigger_type cannot be changed (SINGLE -> OCO). Cancel and re-place."
    );
    b.now += 60_000;
    b.gtt_tick(101.0);
    assert_eq!(b.acc.gtts[&id].status, GttStatus::Expired);
    let e = b.run(|tx| cancel_gtt(tx, &id)).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("No active GTT with trigger_id '{}'", id.0)
    );
    b.gtt_tick(50.0);
    assert!(b.acc.orders.is_empty());
    let c = b
        .run(|tx| {
            place_gtt(
                tx,
                &gtt_req(GttKind::Single, &[(1.0, Direction::Below, 0.0)]),
                Some(EQ),
                1.0,
            )
        })
        .unwrap();
    b.run(|tx| cancel_gtt(tx, &c)).unwrap();
    assert_eq!(b.acc.gtts[&c].status, GttStatus::Cancelled);
    assert_eq!(
        b.run(|tx| place_gtt(
            tx,
            &gtt_req(GttKind::Oco, &[(1.0, Direction::Below, 0.0)]),
            Some(EQ),
            1.0
        ))
        .unwrap_err()
        .to_string(),
        "A SINGLE GTT needs exactly one of triggerprice_sl or triggerprice_tg; an OCO needs both."
    );
}

#[tokio::test]
async fn a_gtt_survives_a_restart_and_fires_once_on_the_ticks() {
    let (clock, market) = market_at(ist_ms(2026, 1, 6, 10, 0));
    let ledger = Arc::new(MemoryLedger::default());
    let e1 = Engine::start(market.clone(), ledger.clone(), EngineConfig::default())
        .await
        .unwrap();
    let acc = AccountId(3);
    let ltp = market.quote("SBIN", Exchange::Nse).unwrap().ltp;
    let r = gtt_req(
        GttKind::Oco,
        &[
            (ltp - 0.3, Direction::Below, 0.0),
            (ltp + 0.3, Direction::Above, 0.0),
        ],
    );
    let id = e1.place_gtt(acc, &r).await.unwrap();
    assert_eq!(e1.watched(), vec![(Exchange::Nse, "SBIN".to_string(), 1)]);
    drop(e1);
    let e2 = Engine::start(market.clone(), ledger.clone(), EngineConfig::default())
        .await
        .unwrap();
    assert_eq!(e2.gtt_book(acc).await.unwrap()[0].id, id);
    assert_eq!(e2.watched(), vec![(Exchange::Nse, "SBIN".to_string(), 1)]);
    let mut updates = e2.updates();
    let mut fired = false;
    for _ in 0..20_000 {
        clock.advance_ms(1000);
        let tick = market.tick("SBIN", Exchange::Nse).unwrap();
        e2.on_tick(&tick).await;
        if e2.gtt_book(acc).await.unwrap().is_empty() {
            fired = true;
            break;
        }
    }
    assert!(fired, "the price never moved 0.3");
    // The fired order's updates: placed, then filled.
    let mut last = None;
    while let Ok(u) = updates.try_recv() {
        last = Some(u.order_status);
    }
    assert_eq!(last, Some(OrderStatus::Complete));
    assert!(e2.watched().is_empty());
    // A third start finds it triggered: nothing fires again.
    drop(e2);
    let e3 = Engine::start(market.clone(), ledger, EngineConfig::default())
        .await
        .unwrap();
    let tick = market.tick("SBIN", Exchange::Nse).unwrap();
    e3.on_tick(&tick).await;
    assert_eq!(e3.orderbook(acc).await.unwrap().orders.len(), 1);
    let g = e3.gtts(acc).await.unwrap();
    assert_eq!(g[0].status, GttStatus::Triggered);
}

#[tokio::test]
async fn a_firing_whose_commit_fails_neither_loses_nor_doubles_the_order() {
    let (clock, market) = market_at(ist_ms(2026, 1, 6, 10, 0));
    let ledger = Arc::new(MemoryLedger::default());
    let e = Engine::start(market.clone(), ledger.clone(), EngineConfig::default())
        .await
        .unwrap();
    let acc = AccountId(4);
    let ltp = market.quote("SBIN", Exchange::Nse).unwrap().ltp;
    // Already crossed: the next tick fires it.
    let id = e
        .place_gtt(
            acc,
            &gtt_req(GttKind::Single, &[(ltp * 2.0, Direction::Below, 0.0)]),
        )
        .await
        .unwrap();
    ledger
        .fail_next
        .store(true, std::sync::atomic::Ordering::SeqCst);
    clock.advance_ms(1000);
    e.on_tick(&market.tick("SBIN", Exchange::Nse).unwrap())
        .await;
    // The crash-equivalent: nothing of the firing was written or applied.
    assert_eq!(e.gtt_book(acc).await.unwrap()[0].id, id);
    assert!(e.orderbook(acc).await.unwrap().orders.is_empty());
    let restarted = Engine::start(market.clone(), ledger.clone(), EngineConfig::default())
        .await
        .unwrap();
    assert_eq!(restarted.gtt_book(acc).await.unwrap()[0].id, id);
    clock.advance_ms(1000);
    let tick = market.tick("SBIN", Exchange::Nse).unwrap();
    restarted.on_tick(&tick).await;
    restarted.on_tick(&tick).await;
    assert!(restarted.gtt_book(acc).await.unwrap().is_empty());
    assert_eq!(restarted.orderbook(acc).await.unwrap().orders.len(), 1);
}

/// Chains laid away from the spot, an open position and a resting order on their far
/// edge: re-laying the chains around the spot keeps both contracts (and prices them),
/// while the untouched contracts beside them go.
#[tokio::test]
async fn refreshing_the_chains_keeps_contracts_with_positions_and_orders() {
    let now = ist_ms(2026, 1, 5, 10, 0);
    let clock = Arc::new(crate::ManualClock::new(
        chrono::DateTime::from_timestamp_millis(now).unwrap(),
    ));
    let cfg = crate::MarketConfig::default();
    let spots = crate::PaperMarket::with_builtin(clock.clone(), cfg.clone());
    let spot = spots.quote("NIFTY", Exchange::NseIndex).unwrap().ltp;
    let today = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    let away = (spot * 1.3 / 50.0).round() * 50.0;
    let master =
        crate::InstrumentMaster::builtin_around(today, &crate::Holidays::builtin(), &|s, _| {
            (s == "NIFTY").then_some(away)
        });
    let market = crate::PaperMarket::new(master, clock, cfg);
    let engine = Engine::start(
        market.clone(),
        Arc::new(MemoryLedger::default()),
        EngineConfig::default(),
    )
    .await
    .unwrap();
    let top = away + 55.0 * 50.0;
    let held = format!("NIFTY06JAN26{top:.0}CE");
    let ordered = format!("NIFTY06JAN26{top:.0}PE");
    let beside = format!("NIFTY06JAN26{:.0}CE", top - 50.0);
    for s in [&held, &ordered, &beside] {
        assert!(market.master().get(s, Exchange::Nfo).is_some(), "{s}");
    }
    let order = |symbol: &str, pt: PriceType, price: f64| OrderRequest {
        symbol: symbol.into(),
        exchange: Exchange::Nfo,
        price,
        ..req(Action::Buy, 65, pt, Product::Nrml)
    };
    engine
        .place(AccountId(1), &order(&held, PriceType::Market, 0.0))
        .await
        .unwrap();
    engine
        .place(AccountId(1), &order(&ordered, PriceType::Limit, 0.05))
        .await
        .unwrap();
    assert!(market.chain_is_stale("NIFTY", spot));
    engine.refresh_chains().await.unwrap();
    let m = market.master();
    assert!(m.get(&beside, Exchange::Nfo).is_none(), "{beside} dropped");
    for s in [&held, &ordered] {
        let inst = m.get(s, Exchange::Nfo).expect("kept");
        assert_eq!(m.underlying(inst).unwrap().symbol.as_ref(), "NIFTY");
        assert!(market.quote(s, Exchange::Nfo).is_ok());
    }
    assert!(!market.chain_is_stale("NIFTY", spot));
    let atm = format!("NIFTY06JAN26{:.0}CE", (spot / 50.0).round() * 50.0);
    assert!(m.get(&atm, Exchange::Nfo).is_some(), "{atm}");
    let pb = engine.positionbook(AccountId(1)).await.unwrap();
    assert_eq!(pb.data.len(), 1);
}
