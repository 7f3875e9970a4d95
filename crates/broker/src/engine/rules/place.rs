//! Placing orders (§6.3), closing positions, and the smart order's leg.

use super::fill::{evaluate, fill_order};
use super::margin::margin_for;
use super::segment::{is_derivative_exchange, mis_gate};
use crate::domain::Exchange;
use crate::engine::error::{EngineError, Result};
use crate::engine::tx::Tx;
use crate::engine::types::*;

/// Strategy of orders the engine places itself.
pub const AUTO_SQUARE_OFF: &str = "AUTO_SQUARE_OFF";

/// §6.3: validate, block margin, record the order, fill it if the market allows.
pub fn place(
    tx: &mut Tx<'_>,
    req: &OrderRequest,
    contract: Option<Contract>,
    quote: Option<Px>,
) -> Result<OrderId> {
    // 1. Product and price-type rules.
    if matches!(req.exchange, Exchange::Nse | Exchange::Bse) && req.product == Product::Nrml {
        return Err(EngineError::rejected(
            "NRML product not allowed for NSE equity segment. Use CNC for delivery or MIS for \
             intraday.",
        ));
    }
    if is_derivative_exchange(req.exchange) && req.product == Product::Cnc {
        return Err(EngineError::rejected(
            "CNC product not allowed for NFO derivatives segment. Use NRML for carryforward or \
             MIS for intraday.",
        ));
    }
    let pt = req.pricetype;
    if matches!(pt, PriceType::Limit | PriceType::Sl) && req.price <= 0.0 {
        return Err(EngineError::rejected(format!("{pt} orders require price")));
    }
    if matches!(pt, PriceType::Sl | PriceType::SlM) && req.trigger_price <= 0.0 {
        return Err(EngineError::rejected(format!(
            "{pt} orders require trigger_price"
        )));
    }
    if req.quantity <= 0 {
        return Err(EngineError::rejected("Quantity must be positive"));
    }
    // 2. Drop what does not apply.
    let price = if matches!(pt, PriceType::Limit | PriceType::Sl) {
        req.price
    } else {
        0.0
    };
    let trigger = if matches!(pt, PriceType::Sl | PriceType::SlM) {
        req.trigger_price
    } else {
        0.0
    };
    // 3. Symbol.
    let Some(contract) = contract else {
        return Err(EngineError::rejected(format!(
            "Symbol {} not found on {}",
            req.symbol, req.exchange
        )));
    };
    // 4. Lot size.
    if is_derivative_exchange(req.exchange)
        && contract.lot_size > 1
        && req.quantity % i64::from(contract.lot_size) != 0
    {
        return Err(EngineError::rejected(format!(
            "Quantity must be in multiples of lot size {}",
            contract.lot_size
        )));
    }
    let key = PositionKey {
        symbol: req.symbol.clone(),
        exchange: req.exchange,
        product: req.product,
    };
    let pos = tx.position(&key);
    let pos_qty = pos.as_ref().map_or(0, |p| p.quantity);
    // 5. MIS time gate, for orders that open or increase a position.
    let signed = req.action.sign() * req.quantity;
    let reduces_only =
        pos_qty != 0 && signed.signum() != pos_qty.signum() && req.quantity <= pos_qty.abs();
    if req.product == Product::Mis
        && !reduces_only
        && let Some(msg) = mis_gate(tx.cfg, req.exchange, tx.now_ms)
    {
        return Err(EngineError::rejected(msg));
    }
    // 6. CNC sell: shares to sell (recorded after the price and margin steps).
    let cnc_short = if req.product == Product::Cnc && req.action == Action::Sell {
        let h = tx
            .holding(req.exchange, &req.symbol)
            .map_or(0, |h| h.quantity);
        let pending: i64 = tx
            .resting_orders()
            .iter()
            .filter(|o| {
                o.product == Product::Cnc
                    && o.action == Action::Sell
                    && o.symbol == req.symbol
                    && o.exchange == req.exchange
            })
            .fold(0i64, |a, o| a.saturating_add(o.quantity));
        let avail = pos_qty.saturating_add(h).saturating_sub(pending);
        (avail <= 0 || avail < req.quantity).then(|| {
            if pos_qty.saturating_add(h) <= 0 {
                format!(
                    "Cannot sell {} in CNC. No positions or holdings available. Buy in CNC \
                     first, or use MIS to sell short intraday.",
                    req.symbol
                )
            } else {
                format!(
                    "Cannot sell {} shares of {} in CNC. Only {} shares available (Position: \
                     {}, Holdings: {})",
                    req.quantity,
                    req.symbol,
                    avail.max(0),
                    pos_qty,
                    h
                )
            }
        })
    } else {
        None
    };
    // 7. Margin price.
    let margin_price = match pt {
        PriceType::Market => match quote.map(|q| q.ltp).filter(|l| *l > 0.0) {
            Some(ltp) => ltp,
            None => match pos.as_ref().map(|p| p.ltp).filter(|l| *l > 0.0) {
                Some(l) => l,
                None => {
                    return Err(EngineError::rejected(format!(
                        "Cannot place MARKET order for {} - unable to fetch current price. \
                         Please try again later or use LIMIT order with a specific price.",
                        req.symbol
                    )));
                }
            },
        },
        PriceType::Limit => price,
        PriceType::Sl | PriceType::SlM => trigger,
    };
    // 8. Margin.
    let margin = margin_for(
        tx.cfg,
        &contract,
        req.product,
        req.action,
        req.quantity,
        margin_price,
        pos_qty,
    );
    if margin > tx.funds.available + 1e-9 {
        let a = tx.funds.available;
        return Err(EngineError::rejected(format!(
            "Insufficient funds. Required: ₹{margin:.2}, Available: ₹{a:.2}, Shortage: ₹{:.2}",
            margin - a
        )));
    }
    // 9. The order.
    let id = tx.ids.order_id(tx.now_ms);
    let mut order = Order {
        id: id.clone(),
        account: tx.acc.id,
        symbol: req.symbol.clone(),
        exchange: req.exchange,
        action: req.action,
        quantity: req.quantity,
        price: if pt == PriceType::Market {
            margin_price
        } else {
            price
        },
        trigger_price: trigger,
        pricetype: pt,
        product: req.product,
        status: OrderStatus::Open,
        filled_quantity: 0,
        average_price: 0.0,
        rejection_reason: String::new(),
        strategy: req.strategy.clone(),
        margin_blocked: 0.0,
        contract,
        created_ms: tx.now_ms,
        updated_ms: tx.now_ms,
    };
    if let Some(message) = cnc_short {
        order.status = OrderStatus::Rejected;
        order.rejection_reason = message.clone();
        tx.put_order(order);
        return Err(EngineError::Rejected {
            message,
            orderid: Some(id),
        });
    }
    order.margin_blocked = tx.block(margin);
    if matches!(pt, PriceType::Sl | PriceType::SlM) {
        order.status = OrderStatus::TriggerPending;
    }
    let fill = quote.and_then(|q| evaluate(&mut order, &q, true));
    tx.put_order(order);
    if let Some(px) = fill {
        fill_order(tx, &id, px);
    }
    Ok(id)
}

/// Closes a position with a MARKET order (strategy `AUTO_SQUARE_OFF`).
pub fn close_position(tx: &mut Tx<'_>, key: &PositionKey, quote: Option<Px>) -> Result<OrderId> {
    let p = tx
        .position(key)
        .filter(|p| p.quantity != 0)
        .ok_or_else(|| EngineError::rejected("No open position"))?;
    let req = OrderRequest {
        symbol: key.symbol.clone(),
        exchange: key.exchange,
        action: if p.quantity > 0 {
            Action::Sell
        } else {
            Action::Buy
        },
        quantity: p.quantity.abs(),
        pricetype: PriceType::Market,
        product: key.product,
        price: 0.0,
        trigger_price: 0.0,
        strategy: AUTO_SQUARE_OFF.to_owned(),
    };
    place(tx, &req, Some(p.contract), quote)
}

/// `placesmartorder`: the order that takes the position from `current` to `target`
/// (reference §3.4), or `None` when nothing is to be done.
pub fn smart_order_leg(
    target: i64,
    current: i64,
    action: Action,
    quantity: i64,
) -> Option<(Action, i64)> {
    if target == 0 && current == 0 {
        return (quantity > 0).then_some((action, quantity));
    }
    if target == current {
        return None;
    }
    if target > current {
        Some((Action::Buy, target.saturating_sub(current)))
    } else {
        Some((Action::Sell, current.saturating_sub(target)))
    }
}
