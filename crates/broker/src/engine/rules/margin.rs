//! Margin: leverage by instrument, product and side (reference §6.2, §6.3 step 8).

use crate::domain::InstrumentType;
use crate::engine::config::EngineConfig;
use crate::engine::types::*;
use crate::num::round2;

fn leverage(cfg: &EngineConfig, c: &Contract, product: Product, action: Action) -> f64 {
    let l = match c.kind {
        InstrumentType::Future => cfg.futures_leverage,
        InstrumentType::Call | InstrumentType::Put => match action {
            Action::Buy => cfg.option_buy_leverage,
            Action::Sell => cfg.option_sell_leverage,
        },
        InstrumentType::Equity | InstrumentType::Index => match product {
            Product::Mis => cfg.equity_mis_leverage,
            Product::Cnc | Product::Nrml => cfg.equity_cnc_leverage,
        },
    };
    if l > 0.0 { l } else { 1.0 }
}

/// Margin for `qty` at `price` given the current signed position (reference §6.3 step 8).
pub fn margin_for(
    cfg: &EngineConfig,
    c: &Contract,
    product: Product,
    action: Action,
    qty: i64,
    price: f64,
    position_qty: i64,
) -> f64 {
    let lev = leverage(cfg, c, product, action);
    let signed = action.sign() * qty;
    let opposes = position_qty != 0 && signed.signum() != position_qty.signum();
    let units = if opposes {
        (qty - position_qty.abs()).max(0)
    } else if action == Action::Sell && product == Product::Cnc && !c.kind.is_derivative() {
        0
    } else {
        qty
    };
    round2(units as f64 * price / lev)
}
