//! The trading day: MIS hours and auto square-off, F&O expiry, T+1 settlement and the
//! session roll, which every command runs first as housekeeping.

use chrono::NaiveTime;

use super::amend::cancel;
use super::place::close_position;
use super::segment::{EXPIRY_CLOSE, mis_gate};
use crate::domain::Exchange;
use crate::engine::tx::Tx;
use crate::engine::types::*;
use crate::num::round2;
use crate::time::{ist_parts, session_start_ms};

/// The session boundary passed: today's realized P&L starts again from zero.
pub fn roll_session(tx: &mut Tx<'_>) {
    let start = session_start_ms(tx.now_ms, tx.cfg.session_boundary);
    if tx.funds.session_start_ms >= start {
        return;
    }
    tx.funds.session_start_ms = start;
    tx.funds.today_realized = 0.0;
    for mut p in tx.positions() {
        if p.today_realized != 0.0 {
            p.today_realized = 0.0;
            tx.put_position(p);
        }
    }
}

/// T+1: CNC positions bought before today become holdings (their margin moves along).
pub fn settle_t1(tx: &mut Tx<'_>) {
    let (today, _) = ist_parts(tx.now_ms);
    for mut p in tx.positions() {
        if p.key.product != Product::Cnc
            || p.quantity <= 0
            || p.opened_on >= today
            || p.contract.kind.is_derivative()
        {
            continue;
        }
        let mut h = tx
            .holding(p.key.exchange, &p.key.symbol)
            .unwrap_or(Holding {
                symbol: p.key.symbol.clone(),
                exchange: p.key.exchange,
                quantity: 0,
                average_price: 0.0,
                margin: 0.0,
                ltp: p.ltp,
                settlement_date: today,
                lot_size: p.contract.lot_size,
            });
        let (a, b) = (h.quantity as f64, p.quantity as f64);
        h.average_price = (a * h.average_price + b * p.average_price) / (a + b);
        h.quantity += p.quantity;
        h.margin += p.margin;
        h.ltp = p.ltp;
        h.settlement_date = today;
        p.quantity = 0;
        p.average_price = 0.0;
        p.margin = 0.0;
        p.updated_ms = tx.now_ms;
        tx.put_holding(h);
        tx.put_position(p);
    }
}

fn expired(c: &Contract, now_ms: i64) -> bool {
    let Some(exp) = c.expiry else { return false };
    let (today, t) = ist_parts(now_ms);
    let close =
        NaiveTime::from_hms_opt(EXPIRY_CLOSE.0, EXPIRY_CLOSE.1, 0).unwrap_or(NaiveTime::MIN);
    today > exp || (today == exp && t >= close)
}

/// Expired F&O: cancel resting orders, settle positions at the last price.
pub fn settle_expired(tx: &mut Tx<'_>, quote: &dyn Fn(&str, Exchange) -> Option<Px>) {
    for o in tx.resting_orders() {
        if expired(&o.contract, tx.now_ms) {
            let _ = cancel(tx, &o.id);
        }
    }
    for mut p in tx.positions() {
        if p.quantity == 0 || !expired(&p.contract, tx.now_ms) {
            continue;
        }
        let price = quote(&p.key.symbol, p.key.exchange)
            .map(|q| q.ltp)
            .filter(|l| *l > 0.0)
            .unwrap_or(p.ltp);
        let pnl = round2((price - p.average_price) * p.quantity as f64);
        tx.release(p.margin);
        tx.realize(pnl);
        p.today_realized += pnl;
        p.total_realized += pnl;
        p.margin = 0.0;
        p.quantity = 0;
        p.average_price = 0.0;
        p.ltp = price;
        p.updated_ms = tx.now_ms;
        tx.put_position(p);
    }
}

/// MIS auto square-off: past an exchange's cutoff, cancel its resting MIS orders and close
/// its MIS positions at market. Returns how many positions were closed.
pub fn square_off(tx: &mut Tx<'_>, quote: &dyn Fn(&str, Exchange) -> Option<Px>) -> usize {
    if !tx.cfg.mis_gates {
        return 0;
    }
    for o in tx.resting_orders() {
        if o.product == Product::Mis && mis_gate(tx.cfg, o.exchange, tx.now_ms).is_some() {
            let _ = cancel(tx, &o.id);
        }
    }
    let mut closed = 0;
    for p in tx.positions() {
        if p.key.product == Product::Mis
            && p.quantity != 0
            && mis_gate(tx.cfg, p.key.exchange, tx.now_ms).is_some()
            && close_position(tx, &p.key, quote(&p.key.symbol, p.key.exchange)).is_ok()
        {
            closed += 1;
        }
    }
    closed
}

/// Housekeeping every command starts with: session roll, T+1, expiries.
pub fn housekeeping(tx: &mut Tx<'_>, quote: &dyn Fn(&str, Exchange) -> Option<Px>) {
    roll_session(tx);
    settle_t1(tx);
    settle_expired(tx, quote);
}
