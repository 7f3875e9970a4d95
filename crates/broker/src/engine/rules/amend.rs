//! Changing resting orders: cancel and modify.

use super::fill::{evaluate, fill_order, key_of};
use super::margin::margin_for;
use super::segment::is_derivative_exchange;
use crate::engine::error::{EngineError, Result};
use crate::engine::tx::Tx;
use crate::engine::types::*;

/// `cancelorder`: releases exactly the order's blocked margin.
pub fn cancel(tx: &mut Tx<'_>, id: &OrderId) -> Result<()> {
    let mut o = tx
        .order(id)
        .ok_or_else(|| EngineError::OrderNotFound(id.0.clone()))?;
    if !o.status.is_resting() {
        return Err(EngineError::rejected(format!(
            "Cannot cancel order in {} status",
            o.status
        )));
    }
    tx.release(o.margin_blocked);
    o.status = OrderStatus::Cancelled;
    o.updated_ms = tx.now_ms;
    tx.put_order(o);
    Ok(())
}

/// `modifyorder`: applies quantity, price and trigger (where they apply), re-blocks margin
/// for the new values, and fills the order if it became executable.
pub fn modify(tx: &mut Tx<'_>, id: &OrderId, m: Modification, quote: Option<Px>) -> Result<()> {
    let mut o = tx
        .order(id)
        .ok_or_else(|| EngineError::OrderNotFound(id.0.clone()))?;
    if !o.status.is_resting() {
        return Err(EngineError::rejected(format!(
            "Cannot modify order in {} status",
            o.status
        )));
    }
    let pt = o.pricetype;
    if let Some(p) = m.price.filter(|p| *p > 0.0) {
        if matches!(pt, PriceType::Market | PriceType::SlM) {
            return Err(EngineError::rejected(format!(
                "{pt} orders do not accept a price"
            )));
        }
        o.price = p;
    }
    if let Some(t) = m.trigger_price.filter(|t| *t > 0.0) {
        if matches!(pt, PriceType::Market | PriceType::Limit) {
            return Err(EngineError::rejected(format!(
                "{pt} orders do not accept a trigger_price"
            )));
        }
        o.trigger_price = t;
    }
    if let Some(q) = m.quantity.filter(|q| *q > 0) {
        let lot = i64::from(o.contract.lot_size);
        if is_derivative_exchange(o.exchange) && lot > 1 && q % lot != 0 {
            return Err(EngineError::rejected(format!(
                "Quantity must be in multiples of lot size {lot}"
            )));
        }
        o.quantity = q;
    }
    let margin_price = match pt {
        PriceType::Market => o.price,
        PriceType::Limit => o.price,
        PriceType::Sl | PriceType::SlM => o.trigger_price,
    };
    let pos_qty = tx.position(&key_of(&o)).map_or(0, |p| p.quantity);
    let needed = margin_for(
        tx.cfg,
        &o.contract,
        o.product,
        o.action,
        o.quantity,
        margin_price,
        pos_qty,
    );
    let extra = needed - o.margin_blocked;
    if extra > tx.funds.available + 1e-9 {
        let a = tx.funds.available;
        return Err(EngineError::rejected(format!(
            "Insufficient funds. Required: ₹{extra:.2}, Available: ₹{a:.2}, Shortage: ₹{:.2}",
            extra - a
        )));
    }
    if extra >= 0.0 {
        o.margin_blocked += tx.block(extra);
    } else {
        tx.release(-extra);
        o.margin_blocked = needed;
    }
    o.updated_ms = tx.now_ms;
    let fill = quote.and_then(|q| evaluate(&mut o, &q, false));
    tx.put_order(o);
    if let Some(px) = fill {
        fill_order(tx, id, px);
    }
    Ok(())
}
