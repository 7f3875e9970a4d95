//! The engine's ledger on SQLite and on PostgreSQL: a restart in the middle of a session
//! (same database) loses nothing acknowledged, and resting orders come back on the feed.

use std::sync::Arc;

use algogate_broker::engine::{
    AccountId, Action, Engine, EngineConfig, Ledger, OrderRequest, OrderStatus, PriceType, Product,
};
use algogate_broker::{Exchange, ManualClock, MarketConfig, PaperMarket};
use algogate_store::{NewUser, Store};

fn req(action: Action, qty: i64, pt: PriceType, product: Product, price: f64) -> OrderRequest {
    OrderRequest {
        symbol: "RELIANCE".into(),
        exchange: Exchange::Nse,
        action,
        quantity: qty,
        pricetype: pt,
        product,
        price,
        trigger_price: price,
        strategy: "restart".into(),
    }
}

#[tokio::test]
async fn restart_mid_session_loses_nothing_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    restart_mid_session_loses_nothing(&format!("sqlite://{}", dir.path().join("t.db").display()))
        .await;
}

#[tokio::test]
async fn restart_mid_session_loses_nothing_on_postgres() {
    restart_mid_session_loses_nothing(&algogate_testpg::fresh_database("restart").await).await;
}

async fn restart_mid_session_loses_nothing(url: &str) {
    let clock = Arc::new(ManualClock::at_ist(2026, 1, 6, 11, 0, 0));
    let market = PaperMarket::with_builtin(clock.clone(), MarketConfig::default());
    let ltp = market.quote("RELIANCE", Exchange::Nse).unwrap().ltp;

    let store = Store::open(url).await.unwrap();
    let user = NewUser {
        username: "trader",
        email: None,
        password_hash: "x",
        is_admin: false,
    };
    let uid = store.create_user(&user, None).await.unwrap();
    let acc = AccountId(uid.0);
    let e1 = Engine::start(
        market.clone(),
        Arc::new(store.clone()),
        EngineConfig::default(),
    )
    .await
    .unwrap();
    e1.place(
        acc,
        &req(Action::Buy, 10, PriceType::Market, Product::Mis, 0.0),
    )
    .await
    .unwrap();
    e1.place(
        acc,
        &req(Action::Buy, 4, PriceType::Market, Product::Cnc, 0.0),
    )
    .await
    .unwrap();
    clock.advance_ms(60_000);
    e1.place(
        acc,
        &req(Action::Sell, 4, PriceType::Market, Product::Mis, 0.0),
    )
    .await
    .unwrap();
    let resting = e1
        .place(
            acc,
            &req(
                Action::Buy,
                2,
                PriceType::Limit,
                Product::Mis,
                (ltp * 0.5).round(),
            ),
        )
        .await
        .unwrap();
    let trig = e1
        .place(
            acc,
            &req(
                Action::Sell,
                2,
                PriceType::SlM,
                Product::Mis,
                (ltp * 0.5).round(),
            ),
        )
        .await
        .unwrap();
    let before = (
        e1.orderbook(acc).await.unwrap(),
        e1.tradebook(acc).await.unwrap(),
        e1.positionbook(acc).await.unwrap(),
        e1.raw_funds(acc).await.unwrap(),
    );
    assert_eq!(before.0.orders.len(), 5);
    assert_eq!(before.1.len(), 3);
    drop(e1);
    store.close().await;

    let store = Store::open(url).await.unwrap();
    let ids = store.accounts().await.unwrap();
    assert_eq!(ids, vec![acc]);
    let e2 = Engine::start(
        market.clone(),
        Arc::new(store.clone()),
        EngineConfig::default(),
    )
    .await
    .unwrap();
    let after = (
        e2.orderbook(acc).await.unwrap(),
        e2.tradebook(acc).await.unwrap(),
        e2.positionbook(acc).await.unwrap(),
        e2.raw_funds(acc).await.unwrap(),
    );
    assert_eq!(before, after);
    assert_eq!(
        e2.watched(),
        vec![(Exchange::Nse, "RELIANCE".to_string(), 2)]
    );
    // Cancel one, T+1 the CNC buy, and check both survive another restart.
    e2.cancel(acc, &resting).await.unwrap();
    clock.advance_ms(86_400_000);
    let h = e2.holdings(acc).await.unwrap();
    assert_eq!(h.holdings.len(), 1);
    assert_eq!(h.holdings[0].quantity, 4);
    drop(e2);
    let e3 = Engine::start(market, Arc::new(store.clone()), EngineConfig::default())
        .await
        .unwrap();
    assert_eq!(e3.holdings(acc).await.unwrap(), h);
    assert_eq!(
        e3.order_status(acc, &trig).await.unwrap().order_status,
        OrderStatus::TriggerPending
    );
    // Yesterday's cancelled order is outside the current session.
    assert!(e3.order_status(acc, &resting).await.is_err());
    let f = e3.raw_funds(acc).await.unwrap();
    assert!((f.available + f.used - f.total_realized - f.capital).abs() < 1e-6);
}
