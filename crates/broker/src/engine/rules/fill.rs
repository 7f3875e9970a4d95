//! Executing orders (§6.4): when an order fills, at what price, and what the fill does to
//! positions, holdings, margin and P&L.

use chrono::NaiveDate;

use super::margin::margin_for;
use crate::domain::Exchange;
use crate::engine::tx::Tx;
use crate::engine::types::*;
use crate::num::round2;
use crate::time::ist_parts;

pub(super) fn key_of(o: &Order) -> PositionKey {
    PositionKey {
        symbol: o.symbol.clone(),
        exchange: o.exchange,
        product: o.product,
    }
}

fn stale(px: &Px) -> bool {
    px.low > 0.0 && px.high > 0.0 && (px.ltp < px.low || px.ltp > px.high)
}

/// §6.4: the fill price if `o` executes at `px` now; may move an SL from trigger pending to
/// open. `at_placement` selects the placement column of the table.
pub fn evaluate(o: &mut Order, px: &Px, at_placement: bool) -> Option<f64> {
    if px.ltp <= 0.0 || stale(px) {
        return None;
    }
    let ltp = px.ltp;
    let buy = o.action == Action::Buy;
    let limit_ok = |p: f64| if buy { ltp <= p } else { ltp >= p };
    let trig_hit = |t: f64| if buy { ltp >= t } else { ltp <= t };
    match (o.pricetype, o.status) {
        (PriceType::Market, OrderStatus::Open) => Some(if buy {
            if px.ask > 0.0 { px.ask } else { ltp }
        } else if px.bid > 0.0 {
            px.bid
        } else {
            ltp
        }),
        (PriceType::Limit, OrderStatus::Open) => {
            limit_ok(o.price).then_some(if at_placement { ltp } else { o.price })
        }
        (PriceType::SlM, OrderStatus::TriggerPending) => trig_hit(o.trigger_price).then_some(ltp),
        (PriceType::Sl, OrderStatus::TriggerPending) => {
            if !trig_hit(o.trigger_price) {
                None
            } else if limit_ok(o.price) {
                Some(ltp)
            } else {
                o.status = OrderStatus::Open;
                None
            }
        }
        (PriceType::Sl, OrderStatus::Open) => {
            (trig_hit(o.trigger_price) && limit_ok(o.price)).then_some(ltp)
        }
        _ => None,
    }
}

/// Executes a resting order in full at `price`: trade, position, margin, P&L.
pub fn fill_order(tx: &mut Tx<'_>, id: &OrderId, price: f64) {
    let Some(mut o) = tx.order(id) else { return };
    if !o.status.is_resting() {
        return;
    }
    let now = tx.now_ms;
    o.status = OrderStatus::Complete;
    o.filled_quantity = o.quantity;
    o.average_price = price;
    o.updated_ms = now;
    tx.release(o.margin_blocked);
    let trade = Trade {
        id: tx.ids.trade_id(now),
        orderid: o.id.clone(),
        account: o.account,
        symbol: o.symbol.clone(),
        exchange: o.exchange,
        action: o.action,
        quantity: o.quantity,
        price,
        product: o.product,
        strategy: o.strategy.clone(),
        created_ms: now,
    };
    tx.trades.push(trade);
    apply_fill(tx, &o, price);
    tx.put_order(o);
}

fn new_position(key: PositionKey, c: Contract, day: NaiveDate, now: i64) -> Position {
    Position {
        key,
        quantity: 0,
        average_price: 0.0,
        margin: 0.0,
        today_realized: 0.0,
        total_realized: 0.0,
        ltp: 0.0,
        contract: c,
        opened_on: day,
        updated_ms: now,
    }
}

fn apply_fill(tx: &mut Tx<'_>, o: &Order, price: f64) {
    let (today, _) = ist_parts(tx.now_ms);
    let key = key_of(o);
    let mut p = tx
        .position(&key)
        .unwrap_or_else(|| new_position(key.clone(), o.contract, today, tx.now_ms));
    p.ltp = price;
    p.updated_ms = tx.now_ms;
    let mut qty = o.quantity;
    // CNC sells beyond the position come out of holdings.
    if o.product == Product::Cnc && o.action == Action::Sell && !o.contract.kind.is_derivative() {
        let from_position = qty.min(p.quantity.max(0));
        let from_holdings = qty - from_position;
        if from_holdings > 0
            && let Some(mut h) = tx.holding(o.exchange, &o.symbol)
        {
            let n = from_holdings.min(h.quantity);
            let pnl = round2((price - h.average_price) * n as f64);
            let freed = if h.quantity > 0 {
                h.margin * n as f64 / h.quantity as f64
            } else {
                0.0
            };
            h.margin -= freed;
            h.quantity -= n;
            h.ltp = price;
            if h.quantity == 0 {
                h.margin = 0.0;
            }
            tx.release(freed);
            tx.realize(pnl);
            p.today_realized += pnl;
            p.total_realized += pnl;
            tx.put_holding(h);
        }
        qty = from_position;
    }
    if qty > 0 {
        let signed = o.action.sign() * qty;
        if p.quantity == 0 || p.quantity.signum() == signed.signum() {
            open_more(tx, &mut p, o, qty, price, today);
        } else {
            let close = qty.min(p.quantity.abs());
            let pnl = round2((price - p.average_price) * close as f64 * p.quantity.signum() as f64);
            let freed = p.margin * close as f64 / p.quantity.abs() as f64;
            p.margin -= freed;
            tx.release(freed);
            tx.realize(pnl);
            p.today_realized += pnl;
            p.total_realized += pnl;
            p.quantity += o.action.sign() * close;
            if p.quantity == 0 {
                p.average_price = 0.0;
                // Whatever rounding left behind goes back too.
                tx.release(p.margin);
                p.margin = 0.0;
            }
            if qty > close {
                open_more(tx, &mut p, o, qty - close, price, today);
            }
        }
    }
    tx.put_position(p);
}

fn open_more(tx: &mut Tx<'_>, p: &mut Position, o: &Order, qty: i64, price: f64, today: NaiveDate) {
    let old = p.quantity.abs() as f64;
    let n = qty as f64;
    p.average_price = (old * p.average_price + n * price) / (old + n);
    p.quantity += o.action.sign() * qty;
    p.opened_on = today;
    p.contract = o.contract;
    let needed = margin_for(tx.cfg, &o.contract, o.product, o.action, qty, price, 0);
    p.margin += tx.block(needed);
}

/// A market move on one instrument: every resting order on it that can execute does.
pub fn on_price(tx: &mut Tx<'_>, symbol: &str, exchange: Exchange, px: &Px) {
    for mut o in tx.resting_orders() {
        if o.symbol != symbol || o.exchange != exchange {
            continue;
        }
        let before = o.status;
        let fill = evaluate(&mut o, px, false);
        match fill {
            Some(price) => {
                if o.status != before {
                    tx.put_order(o.clone());
                }
                fill_order(tx, &o.id, price);
            }
            None if o.status != before => {
                o.updated_ms = tx.now_ms;
                tx.put_order(o);
            }
            None => {}
        }
    }
    // Mark positions (their ltp is the settlement fallback).
    for product in Product::ALL {
        let key = PositionKey {
            symbol: symbol.to_owned(),
            exchange,
            product: *product,
        };
        if let Some(mut p) = tx.position(&key)
            && p.quantity != 0
            && (p.ltp - px.ltp).abs() > f64::EPSILON
        {
            p.ltp = px.ltp;
            tx.put_position(p);
        }
    }
}
