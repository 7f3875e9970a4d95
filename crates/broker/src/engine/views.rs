//! What the books return, with OpenAlgo's sandbox field names (reference §3.2, §3.11), so
//! the server serialises them as they are.

use serde::Serialize;

use super::types::*;
use crate::domain::Exchange;
use crate::num::round2;
use crate::time::ist_timestamp;

/// One `orderbook` row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderView {
    pub action: Action,
    pub symbol: String,
    pub exchange: Exchange,
    pub orderid: String,
    pub product: Product,
    pub quantity: i64,
    pub price: f64,
    pub pricetype: PriceType,
    pub order_status: OrderStatus,
    pub trigger_price: f64,
    pub timestamp: String,
    pub average_price: f64,
    pub filled_quantity: i64,
    pub pending_quantity: i64,
    pub rejection_reason: String,
    pub strategy: String,
}

impl From<&Order> for OrderView {
    fn from(o: &Order) -> Self {
        OrderView {
            action: o.action,
            symbol: o.symbol.clone(),
            exchange: o.exchange,
            orderid: o.id.0.clone(),
            product: o.product,
            quantity: o.quantity,
            price: round2(o.price),
            pricetype: o.pricetype,
            order_status: o.status,
            trigger_price: round2(o.trigger_price),
            timestamp: ist_timestamp(o.created_ms),
            average_price: round2(o.average_price),
            filled_quantity: o.filled_quantity,
            pending_quantity: o.pending_quantity(),
            rejection_reason: o.rejection_reason.clone(),
            strategy: o.strategy.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct OrderStatistics {
    pub total_buy_orders: u64,
    pub total_sell_orders: u64,
    pub total_completed_orders: u64,
    pub total_open_orders: u64,
    pub total_rejected_orders: u64,
    pub total_trigger_pending_orders: u64,
}

/// `orderbook` `data`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderBook {
    pub orders: Vec<OrderView>,
    pub statistics: OrderStatistics,
}

impl OrderBook {
    /// Newest first.
    pub fn from_orders(mut orders: Vec<&Order>) -> Self {
        orders.sort_by(|a, b| (b.created_ms, &b.id).cmp(&(a.created_ms, &a.id)));
        let mut s = OrderStatistics::default();
        for o in &orders {
            match o.action {
                Action::Buy => s.total_buy_orders += 1,
                Action::Sell => s.total_sell_orders += 1,
            }
            match o.status {
                OrderStatus::Complete => s.total_completed_orders += 1,
                OrderStatus::Open => s.total_open_orders += 1,
                OrderStatus::Rejected => s.total_rejected_orders += 1,
                OrderStatus::TriggerPending => s.total_trigger_pending_orders += 1,
                OrderStatus::Cancelled => {}
            }
        }
        OrderBook {
            orders: orders.into_iter().map(OrderView::from).collect(),
            statistics: s,
        }
    }
}

/// `orderstatus` `data` (with `pricetype`, where OpenAlgo's sandbox says `price_type`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderStatusView {
    pub orderid: String,
    pub symbol: String,
    pub exchange: Exchange,
    pub action: Action,
    pub quantity: i64,
    pub price: f64,
    pub trigger_price: f64,
    pub pricetype: PriceType,
    pub product: Product,
    pub order_status: OrderStatus,
    pub average_price: f64,
    pub filled_quantity: i64,
    pub pending_quantity: i64,
    pub timestamp: String,
    pub strategy: String,
}

impl From<&Order> for OrderStatusView {
    fn from(o: &Order) -> Self {
        OrderStatusView {
            orderid: o.id.0.clone(),
            symbol: o.symbol.clone(),
            exchange: o.exchange,
            action: o.action,
            quantity: o.quantity,
            price: round2(o.price),
            trigger_price: round2(o.trigger_price),
            pricetype: o.pricetype,
            product: o.product,
            order_status: o.status,
            average_price: round2(o.average_price),
            filled_quantity: o.filled_quantity,
            pending_quantity: o.pending_quantity(),
            timestamp: ist_timestamp(o.created_ms),
            strategy: o.strategy.clone(),
        }
    }
}

/// One `tradebook` row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TradeView {
    pub action: Action,
    pub symbol: String,
    pub exchange: Exchange,
    pub orderid: String,
    pub product: Product,
    pub quantity: i64,
    pub average_price: f64,
    pub price: f64,
    pub timestamp: String,
    pub trade_value: f64,
    pub tradeid: String,
    pub strategy: String,
}

impl From<&Trade> for TradeView {
    fn from(t: &Trade) -> Self {
        TradeView {
            action: t.action,
            symbol: t.symbol.clone(),
            exchange: t.exchange,
            orderid: t.orderid.0.clone(),
            product: t.product,
            quantity: t.quantity,
            average_price: round2(t.price),
            price: round2(t.price),
            timestamp: ist_timestamp(t.created_ms),
            trade_value: round2(t.price * t.quantity as f64),
            tradeid: t.id.0.clone(),
            strategy: t.strategy.clone(),
        }
    }
}

/// One `positionbook` row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionView {
    pub symbol: String,
    pub exchange: Exchange,
    pub product: Product,
    pub quantity: i64,
    pub average_price: f64,
    pub ltp: f64,
    pub pnl: f64,
    pub pnlpercent: f64,
    pub unrealized_pnl: f64,
    pub today_realized_pnl: f64,
    pub total_pnl_today: f64,
    pub lot_size: u32,
}

impl PositionView {
    pub fn new(p: &Position, ltp: f64) -> Self {
        let unrealized = if p.quantity == 0 {
            0.0
        } else {
            (ltp - p.average_price) * p.quantity as f64
        };
        let pnl = unrealized + p.today_realized;
        let invested = p.average_price * p.quantity.abs() as f64;
        PositionView {
            symbol: p.key.symbol.clone(),
            exchange: p.key.exchange,
            product: p.key.product,
            quantity: p.quantity,
            average_price: round2(p.average_price),
            ltp: round2(ltp),
            pnl: round2(pnl),
            pnlpercent: if invested > 0.0 {
                round2(unrealized / invested * 100.0)
            } else {
                0.0
            },
            unrealized_pnl: round2(unrealized),
            today_realized_pnl: round2(p.today_realized),
            total_pnl_today: round2(pnl),
            lot_size: p.contract.lot_size,
        }
    }
}

/// `positionbook`: rows and totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PositionBook {
    pub data: Vec<PositionView>,
    pub total_pnl: f64,
    pub total_unrealized_pnl: f64,
    pub total_today_realized_pnl: f64,
    pub total_pnl_today: f64,
}

impl PositionBook {
    pub fn new(data: Vec<PositionView>) -> Self {
        let u: f64 = data.iter().map(|p| p.unrealized_pnl).sum();
        let r: f64 = data.iter().map(|p| p.today_realized_pnl).sum();
        PositionBook {
            data,
            total_pnl: round2(u + r),
            total_unrealized_pnl: round2(u),
            total_today_realized_pnl: round2(r),
            total_pnl_today: round2(u + r),
        }
    }
}

/// One `holdings` row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HoldingView {
    pub symbol: String,
    pub exchange: Exchange,
    pub product: Product,
    pub quantity: i64,
    pub pnl: f64,
    pub pnlpercent: f64,
    pub average_price: f64,
    pub ltp: f64,
    pub current_value: f64,
    pub settlement_date: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct HoldingStatistics {
    pub totalholdingvalue: f64,
    pub totalinvvalue: f64,
    pub totalprofitandloss: f64,
    pub totalpnlpercentage: f64,
}

/// `holdings` `data`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HoldingsBook {
    pub holdings: Vec<HoldingView>,
    pub statistics: HoldingStatistics,
}

impl HoldingsBook {
    pub fn new(rows: Vec<(&Holding, f64)>) -> Self {
        let mut s = HoldingStatistics::default();
        let holdings = rows
            .into_iter()
            .filter(|(h, _)| h.quantity > 0)
            .map(|(h, ltp)| {
                let inv = h.average_price * h.quantity as f64;
                let cur = ltp * h.quantity as f64;
                s.totalholdingvalue += cur;
                s.totalinvvalue += inv;
                HoldingView {
                    symbol: h.symbol.clone(),
                    exchange: h.exchange,
                    product: Product::Cnc,
                    quantity: h.quantity,
                    pnl: round2(cur - inv),
                    pnlpercent: if inv > 0.0 {
                        round2((cur - inv) / inv * 100.0)
                    } else {
                        0.0
                    },
                    average_price: round2(h.average_price),
                    ltp: round2(ltp),
                    current_value: round2(cur),
                    settlement_date: h.settlement_date.format("%Y-%m-%d").to_string(),
                }
            })
            .collect();
        s.totalprofitandloss = round2(s.totalholdingvalue - s.totalinvvalue);
        s.totalpnlpercentage = if s.totalinvvalue > 0.0 {
            round2(s.totalprofitandloss / s.totalinvvalue * 100.0)
        } else {
            0.0
        };
        s.totalholdingvalue = round2(s.totalholdingvalue);
        s.totalinvvalue = round2(s.totalinvvalue);
        HoldingsBook {
            holdings,
            statistics: s,
        }
    }
}

/// `funds` `data` (floats, as the sandbox sends them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FundsView {
    pub availablecash: f64,
    pub collateral: f64,
    pub m2munrealized: f64,
    pub m2mrealized: f64,
    pub total_realized_pnl: f64,
    pub today_realized_pnl: f64,
    pub utiliseddebits: f64,
    pub grossexposure: f64,
    pub totalpnl: f64,
    pub last_reset: String,
    pub reset_count: i64,
}

impl FundsView {
    pub fn new(f: &Funds, unrealized: f64) -> Self {
        FundsView {
            availablecash: round2(f.available),
            collateral: 0.0,
            m2munrealized: round2(unrealized),
            m2mrealized: round2(f.today_realized),
            total_realized_pnl: round2(f.total_realized),
            today_realized_pnl: round2(f.today_realized),
            utiliseddebits: round2(f.used),
            grossexposure: round2(f.used),
            totalpnl: round2(f.total_realized + unrealized),
            last_reset: ist_timestamp(f.last_reset_ms),
            reset_count: f.reset_count,
        }
    }
}
