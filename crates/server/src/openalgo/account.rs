//! The account answers: funds and books in OpenAlgo's envelope.

use algogate_broker::engine::PositionBook;
use serde_json::{Value, json};

/// OpenAlgo's envelope of a book or of funds (the API's and the web UI's account routes).
pub fn data_body(data: impl serde::Serialize) -> Value {
    json!({"status": "success", "data": data, "mode": "analyze"})
}

/// `positionbook`'s body: the rows and the totals beside `data`.
pub fn positionbook_body(b: PositionBook) -> Value {
    json!({
        "status": "success",
        "data": b.data,
        "total_pnl": b.total_pnl,
        "total_unrealized_pnl": b.total_unrealized_pnl,
        "total_today_realized_pnl": b.total_today_realized_pnl,
        "total_pnl_today": b.total_pnl_today,
        "mode": "analyze",
    })
}

/// `pnl/symbols`' body: per symbol the P&L columns of the position book, and its totals.
pub fn pnl_symbols_body(b: PositionBook) -> Value {
    let data: Vec<Value> = b
        .data
        .iter()
        .map(|p| {
            json!({
                "symbol": p.symbol,
                "exchange": p.exchange,
                "product": p.product,
                "quantity": p.quantity,
                "pnl": p.total_pnl_today,
                "unrealized_pnl": p.unrealized_pnl,
                "today_realized_pnl": p.today_realized_pnl,
                "total_pnl_today": p.total_pnl_today,
            })
        })
        .collect();
    json!({
        "status": "success",
        "data": data,
        "total_pnl": b.total_pnl,
        "total_unrealized_pnl": b.total_unrealized_pnl,
        "total_today_realized_pnl": b.total_today_realized_pnl,
        "total_pnl_today": b.total_pnl_today,
        "mode": "analyze",
    })
}
