//! GTT (good till triggered) orders, as OpenAlgo's sandbox keeps them
//! (reference/openalgo-options-gtt-calendar.md §10.6): placed, replaced, cancelled, expired,
//! and fired by a price crossing a leg's trigger into a normal order.
//!
//! Firing happens in the transaction of the tick that crossed: the GTT's move to
//! `triggered` and the order it places are one delta, one database transaction, so a
//! restart can neither lose the order (the GTT would still be active and fire again on the
//! next tick) nor place it twice (a committed `triggered` GTT is never evaluated again).
//! The order goes through [`place`], so its margin is checked then, at firing time.
//!
//! Where we differ from upstream: no margin is reserved while a GTT waits (upstream
//! reserves it at placement and releases it when it fires), and a GTT whose order is
//! refused when it fires becomes `rejected` with the reason (upstream puts it back to
//! `active`, where a standing refusal would repeat on every tick).

use super::place::place;
use crate::domain::Exchange;
use crate::engine::error::{EngineError, Result};
use crate::engine::tx::Tx;
use crate::engine::types::*;

/// Without `expires_at`, a GTT lives a year.
pub const DEFAULT_LIFETIME_MS: i64 = 365 * 24 * 3600 * 1000;

const SHAPE: &str = "A SINGLE GTT needs exactly one of triggerprice_sl or triggerprice_tg; an \
                     OCO needs both.";

fn legs_fit(kind: GttKind, n: usize) -> bool {
    n == match kind {
        GttKind::Single => 1,
        GttKind::Oco => 2,
    }
}

pub fn place_gtt(
    tx: &mut Tx<'_>,
    req: &GttRequest,
    contract: Option<Contract>,
    ltp: f64,
) -> Result<GttId> {
    if contract.is_none() {
        return Err(EngineError::rejected("Symbol not found"));
    }
    if !legs_fit(req.kind, req.legs.len()) {
        return Err(EngineError::rejected(SHAPE));
    }
    if req.quantity <= 0 {
        return Err(EngineError::rejected("Quantity must be positive"));
    }
    let now = tx.now_ms;
    let id = tx.new_gtt_id();
    tx.put_gtt(Gtt {
        id: id.clone(),
        account: tx.acc.id,
        kind: req.kind,
        symbol: req.symbol.clone(),
        exchange: req.exchange,
        action: req.action,
        quantity: req.quantity,
        pricetype: req.pricetype,
        product: req.product,
        legs: req.legs.clone(),
        strategy: req.strategy.clone(),
        last_price: ltp.max(0.0),
        status: GttStatus::Active,
        fired: None,
        reason: String::new(),
        created_ms: now,
        updated_ms: now,
        expires_ms: req.expires_ms.unwrap_or(now + DEFAULT_LIFETIME_MS),
    });
    Ok(id)
}

fn active(tx: &Tx<'_>, id: &GttId) -> Result<Gtt> {
    tx.gtt(id)
        .filter(|g| g.status == GttStatus::Active)
        .ok_or_else(|| EngineError::GttNotFound(id.0.clone()))
}

fn unchanged<T: PartialEq + std::fmt::Display>(field: &str, old: T, new: T) -> Result<()> {
    if old == new {
        return Ok(());
    }
    Err(EngineError::rejected(format!(
        "{field} cannot be changed on an existing GTT ({old} -> {new}). Cancel and re-place."
    )))
}

/// `modifygttorder`: a full replacement of an active GTT's order and triggers; its
/// instrument, side and shape stay, as does its expiry.
pub fn modify_gtt(tx: &mut Tx<'_>, id: &GttId, req: &GttRequest) -> Result<()> {
    let mut g = active(tx, id)?;
    unchanged("action", g.action, req.action)?;
    unchanged("symbol", g.symbol.as_str(), req.symbol.as_str())?;
    unchanged("exchange", g.exchange, req.exchange)?;
    if g.kind != req.kind {
        let name = |k: GttKind| match k {
            GttKind::Single => "SINGLE",
            GttKind::Oco => "OCO",
        };
        return Err(EngineError::rejected(format!(
            "trigger_type cannot be changed ({} -> {}). Cancel and re-place.",
            name(g.kind),
            name(req.kind)
        )));
    }
    if req.legs.len() != g.legs.len() {
        return Err(EngineError::rejected(format!(
            "Modify must keep the same trigger shape: this GTT has {} leg(s).",
            g.legs.len()
        )));
    }
    if req.quantity <= 0 {
        return Err(EngineError::rejected("Quantity must be positive"));
    }
    g.quantity = req.quantity;
    g.pricetype = req.pricetype;
    g.product = req.product;
    g.legs = req.legs.clone();
    g.strategy = req.strategy.clone();
    g.updated_ms = tx.now_ms;
    tx.put_gtt(g);
    Ok(())
}

/// `cancelgttorder`: an active GTT (both legs of an OCO) is cancelled.
pub fn cancel_gtt(tx: &mut Tx<'_>, id: &GttId) -> Result<()> {
    let mut g = active(tx, id)?;
    g.status = GttStatus::Cancelled;
    g.updated_ms = tx.now_ms;
    tx.put_gtt(g);
    Ok(())
}

/// Active GTTs past their expiry become `expired`.
pub fn expire_gtts(tx: &mut Tx<'_>) {
    let now = tx.now_ms;
    for mut g in tx.active_gtts() {
        if now >= g.expires_ms {
            g.status = GttStatus::Expired;
            g.updated_ms = now;
            tx.put_gtt(g);
        }
    }
}

/// A price on `symbol`: each active GTT on it whose leg is crossed fires once. The first
/// crossed leg places the order; an OCO's other leg is cancelled with it (the GTT is no
/// longer active).
pub fn fire_gtts(
    tx: &mut Tx<'_>,
    symbol: &str,
    exchange: Exchange,
    px: &Px,
    contract: Option<Contract>,
) {
    if px.ltp <= 0.0 {
        return;
    }
    let now = tx.now_ms;
    for mut g in tx.active_gtts() {
        if g.symbol != symbol || g.exchange != exchange {
            continue;
        }
        if now >= g.expires_ms {
            g.status = GttStatus::Expired;
            g.updated_ms = now;
            tx.put_gtt(g);
            continue;
        }
        let Some((i, leg)) = g.legs.iter().enumerate().find(|(_, l)| l.crossed(px.ltp)) else {
            continue;
        };
        let strategy = if g.strategy.is_empty() {
            "GTT".to_owned()
        } else {
            g.strategy.clone()
        };
        let req = OrderRequest {
            symbol: g.symbol.clone(),
            exchange: g.exchange,
            action: g.action,
            quantity: g.quantity,
            pricetype: g.pricetype,
            product: g.product,
            price: leg.price,
            trigger_price: 0.0,
            strategy,
        };
        match place(tx, &req, contract, Some(*px)) {
            Ok(order) => {
                g.status = GttStatus::Triggered;
                g.fired = Some((i, order));
            }
            Err(e) => {
                g.status = GttStatus::Rejected;
                g.reason = e.to_string();
            }
        }
        g.updated_ms = now;
        tx.put_gtt(g);
    }
}
