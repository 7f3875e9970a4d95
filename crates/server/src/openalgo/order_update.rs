//! Order events for `subscribe_orders` sockets. The trading engine publishes an
//! [`OrderUpdate`] on `AppState::order_events()`; the hub forwards it, encoded once, to every
//! socket of that user that asked for order updates.

use algogate_store::UserId;
use serde::Serialize;

/// One order change, with the fields (and order) of OpenAlgo's `order_update` message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderUpdate {
    /// Routing only: whose sockets receive it.
    #[serde(skip)]
    pub user: UserId,
    /// The username (OpenAlgo's `user_id`).
    pub user_id: String,
    /// `live` or `analyze`.
    pub mode: String,
    pub broker: String,
    pub orderid: String,
    pub symbol: String,
    pub exchange: String,
    pub action: String,
    pub quantity: i64,
    pub price: f64,
    pub trigger_price: f64,
    pub pricetype: String,
    pub product: String,
    /// Lower case (`open`, `complete`, `cancelled`, `rejected`, ...).
    pub order_status: String,
    pub filled_quantity: i64,
    pub pending_quantity: i64,
    pub average_price: f64,
    pub rejection_reason: String,
}

impl OrderUpdate {
    /// The feed's form of a paper-engine event; `username` becomes OpenAlgo's `user_id`.
    pub fn from_engine(u: &algogate_broker::engine::OrderUpdate, username: String) -> Self {
        // The engine's enums serialise to OpenAlgo's spellings (BUY, SL-M, trigger pending).
        let text = |v: serde_json::Result<serde_json::Value>| match v {
            Ok(serde_json::Value::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(_) => String::new(),
        };
        Self {
            user: UserId(u.user_id.0),
            user_id: username,
            mode: u.mode.to_string(),
            broker: u.broker.to_string(),
            orderid: u.orderid.clone(),
            symbol: u.symbol.clone(),
            exchange: u.exchange.as_str().to_string(),
            action: text(serde_json::to_value(u.action)),
            quantity: u.quantity,
            price: u.price,
            trigger_price: u.trigger_price,
            pricetype: text(serde_json::to_value(u.pricetype)),
            product: text(serde_json::to_value(u.product)),
            order_status: text(serde_json::to_value(u.order_status)),
            filled_quantity: u.filled_quantity,
            pending_quantity: u.pending_quantity,
            average_price: u.average_price,
            rejection_reason: u.rejection_reason.clone(),
        }
    }

    /// The wire message: `type:"order_update"` followed by the fields above.
    pub fn encode(&self) -> String {
        let mut v = serde_json::Map::new();
        v.insert("type".into(), "order_update".into());
        if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(self) {
            v.extend(fields);
        }
        serde_json::Value::Object(v).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_type_first_and_no_routing_id() {
        let u = OrderUpdate {
            user: UserId(9),
            user_id: "alice".into(),
            mode: "analyze".into(),
            broker: "sandbox".into(),
            orderid: "1".into(),
            symbol: "SBIN".into(),
            exchange: "NSE".into(),
            action: "BUY".into(),
            quantity: 10,
            price: 0.0,
            trigger_price: 0.0,
            pricetype: "MARKET".into(),
            product: "MIS".into(),
            order_status: "complete".into(),
            filled_quantity: 10,
            pending_quantity: 0,
            average_price: 812.5,
            rejection_reason: String::new(),
        };
        let v: serde_json::Value = serde_json::from_str(&u.encode()).unwrap();
        let keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys[0], "type");
        assert_eq!(keys[1], "user_id");
        assert_eq!(v["type"], "order_update");
        assert_eq!(v["user_id"], "alice");
        assert!(v.get("user").is_none());
        assert_eq!(keys.len(), 18);
    }
}
