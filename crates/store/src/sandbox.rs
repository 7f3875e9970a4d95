//! The paper broker's tables (`sandbox_*`): the engine's [`Ledger`] on SQLite. Each
//! [`Delta`] is written in one transaction, so a crash loses nothing acknowledged and
//! never leaves half a state change behind.

use std::str::FromStr;

use algogate_broker::Exchange;
use algogate_broker::engine::types::instrument_type_from_str;
use algogate_broker::engine::{
    AccountId, AccountTx, Action, Contract, Delta, Direction, Funds, Gtt, GttId, GttKind, GttLeg,
    GttStatus, Holding, Ledger, LedgerError, LedgerFuture, Order, OrderId, OrderStatus, Position,
    PositionKey, PriceType, Product, StoredAccount, Trade, TradeId,
};
use chrono::NaiveDate;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::{Decode, Postgres, Row, Sqlite, Type};

use crate::bus::BusEvent;
use crate::{Db, Store};

/// Reads a column of a row of either backend.
trait Cols {
    fn col<T>(&self, column: &str) -> Result<T, LedgerError>
    where
        T: for<'r> Decode<'r, Sqlite>
            + Type<Sqlite>
            + for<'r> Decode<'r, Postgres>
            + Type<Postgres>;
}

macro_rules! impl_cols {
    ($($row:ty),*) => {$(
        impl Cols for $row {
            fn col<T>(&self, column: &str) -> Result<T, LedgerError>
            where
                T: for<'r> Decode<'r, Sqlite>
                    + Type<Sqlite>
                    + for<'r> Decode<'r, Postgres>
                    + Type<Postgres>,
            {
                self.try_get(column).map_err(err)
            }
        }
    )*};
}
impl_cols!(SqliteRow, PgRow);

fn err(e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Failed(e.to_string())
}

fn parse<T: FromStr>(s: &str, what: &str) -> Result<T, LedgerError> {
    s.parse()
        .map_err(|_| LedgerError::Failed(format!("bad {what} '{s}' in the database")))
}

fn date(s: &str) -> Result<NaiveDate, LedgerError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(err)
}

fn opt_date(s: Option<String>) -> Result<Option<NaiveDate>, LedgerError> {
    s.map(|s| date(&s)).transpose()
}

fn contract(r: &impl Cols) -> Result<Contract, LedgerError> {
    let kind: String = r.col("instrument_type")?;
    Ok(Contract {
        kind: instrument_type_from_str(&kind)
            .ok_or_else(|| LedgerError::Failed(format!("bad instrument type '{kind}'")))?,
        lot_size: u32::try_from(r.col::<i64>("lot_size")?).unwrap_or(1),
        expiry: opt_date(r.col("expiry")?)?,
    })
}

fn order_from(r: &impl Cols) -> Result<Order, LedgerError> {
    let g = |c: &str| r.col::<String>(c);
    Ok(Order {
        id: OrderId(g("orderid")?),
        account: AccountId(r.col("user_id")?),
        symbol: g("symbol")?,
        exchange: parse::<Exchange>(&g("exchange")?, "exchange")?,
        action: parse::<Action>(&g("action")?, "action")?,
        quantity: r.col("quantity")?,
        price: r.col("price")?,
        trigger_price: r.col("trigger_price")?,
        pricetype: parse::<PriceType>(&g("pricetype")?, "pricetype")?,
        product: parse::<Product>(&g("product")?, "product")?,
        status: parse::<OrderStatus>(&g("order_status")?, "order_status")?,
        filled_quantity: r.col("filled_quantity")?,
        average_price: r.col("average_price")?,
        rejection_reason: g("rejection_reason")?,
        strategy: g("strategy")?,
        margin_blocked: r.col("margin_blocked")?,
        contract: contract(r)?,
        created_ms: r.col("created_ms")?,
        updated_ms: r.col("updated_ms")?,
    })
}

fn gtt_from(r: &impl Cols) -> Result<Gtt, LedgerError> {
    let g = |c: &str| r.col::<String>(c);
    let leg = |n: u8| -> Result<Option<GttLeg>, LedgerError> {
        let trigger: Option<f64> = r.col(&format!("leg{n}_trigger"))?;
        let dir: Option<String> = r.col(&format!("leg{n}_direction"))?;
        let price: Option<f64> = r.col(&format!("leg{n}_price"))?;
        Ok(match (trigger, dir, price) {
            (Some(trigger_price), Some(d), Some(price)) => Some(GttLeg {
                trigger_price,
                direction: parse::<Direction>(&d, "direction")?,
                price,
            }),
            _ => None,
        })
    };
    let fired_leg: Option<i64> = r.col("fired_leg")?;
    let fired_order: Option<String> = r.col("fired_order_id")?;
    Ok(Gtt {
        id: GttId(g("gtt_id")?),
        account: AccountId(r.col("user_id")?),
        kind: parse::<GttKind>(&g("trigger_type")?, "trigger_type")?,
        symbol: g("symbol")?,
        exchange: parse::<Exchange>(&g("exchange")?, "exchange")?,
        action: parse::<Action>(&g("action")?, "action")?,
        quantity: r.col("quantity")?,
        pricetype: parse::<PriceType>(&g("pricetype")?, "pricetype")?,
        product: parse::<Product>(&g("product")?, "product")?,
        legs: [leg(1)?, leg(2)?].into_iter().flatten().collect(),
        strategy: g("strategy")?,
        last_price: r.col("last_price")?,
        status: parse::<GttStatus>(&g("gtt_status")?, "gtt_status")?,
        fired: match (fired_leg, fired_order) {
            (Some(l), Some(o)) => Some((usize::try_from(l).unwrap_or(0), OrderId(o))),
            _ => None,
        },
        reason: g("reason")?,
        created_ms: r.col("created_ms")?,
        updated_ms: r.col("updated_ms")?,
        expires_ms: r.col("expires_ms")?,
    })
}

fn trade_from(r: &impl Cols) -> Result<Trade, LedgerError> {
    let g = |c: &str| r.col::<String>(c);
    Ok(Trade {
        id: TradeId(g("tradeid")?),
        orderid: OrderId(g("orderid")?),
        account: AccountId(r.col("user_id")?),
        symbol: g("symbol")?,
        exchange: parse::<Exchange>(&g("exchange")?, "exchange")?,
        action: parse::<Action>(&g("action")?, "action")?,
        quantity: r.col("quantity")?,
        price: r.col("price")?,
        product: parse::<Product>(&g("product")?, "product")?,
        strategy: g("strategy")?,
        created_ms: r.col("created_ms")?,
    })
}

fn position_from(r: &impl Cols) -> Result<Position, LedgerError> {
    let g = |c: &str| r.col::<String>(c);
    Ok(Position {
        key: PositionKey {
            symbol: g("symbol")?,
            exchange: parse::<Exchange>(&g("exchange")?, "exchange")?,
            product: parse::<Product>(&g("product")?, "product")?,
        },
        quantity: r.col("quantity")?,
        average_price: r.col("average_price")?,
        margin: r.col("margin")?,
        today_realized: r.col("today_realized")?,
        total_realized: r.col("total_realized")?,
        ltp: r.col("ltp")?,
        contract: contract(r)?,
        opened_on: date(&g("opened_on")?)?,
        updated_ms: r.col("updated_ms")?,
    })
}

fn holding_from(r: &impl Cols) -> Result<Holding, LedgerError> {
    let g = |c: &str| r.col::<String>(c);
    Ok(Holding {
        symbol: g("symbol")?,
        exchange: parse::<Exchange>(&g("exchange")?, "exchange")?,
        quantity: r.col("quantity")?,
        average_price: r.col("average_price")?,
        margin: r.col("margin")?,
        ltp: r.col("ltp")?,
        settlement_date: date(&g("settlement_date")?)?,
        lot_size: u32::try_from(r.col::<i64>("lot_size")?).unwrap_or(1),
    })
}

fn funds_from(r: &impl Cols) -> Result<Funds, LedgerError> {
    Ok(Funds {
        capital: r.col("capital")?,
        available: r.col("available")?,
        used: r.col("used")?,
        total_realized: r.col("total_realized")?,
        today_realized: r.col("today_realized")?,
        session_start_ms: r.col("session_start_ms")?,
        last_reset_ms: r.col("last_reset_ms")?,
        reset_count: r.col("reset_count")?,
    })
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Reads an account on `$c` (a connection or transaction of either backend): the funds
/// row (with the version) first, so a copy is never newer than the version it carries.
macro_rules! load_on {
    ($c:expr, $id:expr, $since:expr) => {{
        let Some(funds) = sqlx::query("SELECT * FROM sandbox_funds WHERE user_id = $1")
            .bind($id)
            .fetch_optional(&mut *$c)
            .await
            .map_err(err)?
        else {
            return Ok(None);
        };
        let version: i64 = funds.col("version")?;
        let orders = sqlx::query(
            "SELECT * FROM sandbox_orders WHERE user_id = $1 \
             AND (created_ms >= $2 OR order_status IN ('open', 'trigger pending'))",
        )
        .bind($id)
        .bind($since)
        .fetch_all(&mut *$c)
        .await
        .map_err(err)?;
        let trades =
            sqlx::query("SELECT * FROM sandbox_trades WHERE user_id = $1 AND created_ms >= $2")
                .bind($id)
                .bind($since)
                .fetch_all(&mut *$c)
                .await
                .map_err(err)?;
        let positions = sqlx::query("SELECT * FROM sandbox_positions WHERE user_id = $1")
            .bind($id)
            .fetch_all(&mut *$c)
            .await
            .map_err(err)?;
        let holdings = sqlx::query("SELECT * FROM sandbox_holdings WHERE user_id = $1")
            .bind($id)
            .fetch_all(&mut *$c)
            .await
            .map_err(err)?;
        let gtts = sqlx::query(
            "SELECT * FROM sandbox_gtt WHERE user_id = $1 \
             AND (gtt_status = 'active' OR updated_ms >= $2)",
        )
        .bind($id)
        .bind($since)
        .fetch_all(&mut *$c)
        .await
        .map_err(err)?;
        Ok(Some(StoredAccount {
            version,
            gtts: gtts.iter().map(gtt_from).collect::<Result<_, _>>()?,
            funds: funds_from(&funds)?,
            orders: orders.iter().map(order_from).collect::<Result<_, _>>()?,
            trades: trades.iter().map(trade_from).collect::<Result<_, _>>()?,
            positions: positions
                .iter()
                .map(position_from)
                .collect::<Result<_, _>>()?,
            holdings: holdings
                .iter()
                .map(holding_from)
                .collect::<Result<_, _>>()?,
        }))
    }};
}

/// Writes a delta on `$c` if the stored version is `$version`.
macro_rules! write_on {
    ($c:expr, $id:expr, $version:expr, $d:expr) => {{
            let f = &$d.funds;
            let written = sqlx::query(
                "INSERT INTO sandbox_funds (user_id, capital, available, used, total_realized, \
             today_realized, session_start_ms, last_reset_ms, reset_count, version) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (user_id) DO UPDATE SET \
             capital = excluded.capital, available = excluded.available, used = excluded.used, \
             total_realized = excluded.total_realized, today_realized = excluded.today_realized, \
             session_start_ms = excluded.session_start_ms, last_reset_ms = excluded.last_reset_ms, \
             reset_count = excluded.reset_count, version = excluded.version \
             WHERE sandbox_funds.version = $11",
            )
            .bind($id)
            .bind(f.capital)
            .bind(f.available)
            .bind(f.used)
            .bind(f.total_realized)
            .bind(f.today_realized)
            .bind(f.session_start_ms)
            .bind(f.last_reset_ms)
            .bind(f.reset_count)
            .bind($version + 1)
            .bind($version)
            .execute(&mut *$c)
            .await
            .map_err(err)?;
            if written.rows_affected() == 0 {
                return Err(LedgerError::Stale);
            }
            for o in &$d.orders {
                let new = $d.new_orders.contains(&o.id);
                let written = sqlx::query(if new { INSERT_ORDER } else { UPSERT_ORDER })
            .bind(&o.id.0)
            .bind($id)
            .bind(&o.symbol)
            .bind(o.exchange.as_str())
            .bind(o.action.as_str())
            .bind(o.quantity)
            .bind(o.price)
            .bind(o.trigger_price)
            .bind(o.pricetype.as_str())
            .bind(o.product.as_str())
            .bind(o.status.as_str())
            .bind(o.filled_quantity)
            .bind(o.average_price)
            .bind(&o.rejection_reason)
            .bind(&o.strategy)
            .bind(o.margin_blocked)
            .bind(o.contract.kind.as_str())
            .bind(i64::from(o.contract.lot_size))
            .bind(o.contract.expiry.map(ymd))
            .bind(o.created_ms)
            .bind(o.updated_ms)
            .execute(&mut *$c)
            .await
            .map_err(err)?;
            if written.rows_affected() == 0 {
                return Err(LedgerError::IdTaken(o.id.0.clone()));
            }
            }
            for t in &$d.trades {
                sqlx::query(
                "INSERT INTO sandbox_trades (tradeid, orderid, user_id, symbol, exchange, action, \
                 quantity, price, product, strategy, created_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(&t.id.0)
            .bind(&t.orderid.0)
            .bind($id)
            .bind(&t.symbol)
            .bind(t.exchange.as_str())
            .bind(t.action.as_str())
            .bind(t.quantity)
            .bind(t.price)
            .bind(t.product.as_str())
            .bind(&t.strategy)
            .bind(t.created_ms)
            .execute(&mut *$c)
            .await
            .map_err(err)?;
            }
            for p in &$d.positions {
                sqlx::query(
                    "INSERT INTO sandbox_positions (user_id, symbol, exchange, product, quantity, \
                 average_price, margin, today_realized, total_realized, ltp, instrument_type, \
                 lot_size, expiry, opened_on, updated_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
                 ON CONFLICT (user_id, symbol, exchange, product) DO UPDATE SET \
                 quantity = excluded.quantity, average_price = excluded.average_price, \
                 margin = excluded.margin, today_realized = excluded.today_realized, \
                 total_realized = excluded.total_realized, ltp = excluded.ltp, \
                 instrument_type = excluded.instrument_type, lot_size = excluded.lot_size, \
                 expiry = excluded.expiry, opened_on = excluded.opened_on, \
                 updated_ms = excluded.updated_ms",
                )
                .bind($id)
                .bind(&p.key.symbol)
                .bind(p.key.exchange.as_str())
                .bind(p.key.product.as_str())
                .bind(p.quantity)
                .bind(p.average_price)
                .bind(p.margin)
                .bind(p.today_realized)
                .bind(p.total_realized)
                .bind(p.ltp)
                .bind(p.contract.kind.as_str())
                .bind(i64::from(p.contract.lot_size))
                .bind(p.contract.expiry.map(ymd))
                .bind(ymd(p.opened_on))
                .bind(p.updated_ms)
                .execute(&mut *$c)
                .await
                .map_err(err)?;
            }
            for h in &$d.holdings {
                sqlx::query(
                "INSERT INTO sandbox_holdings (user_id, symbol, exchange, quantity, average_price, \
                 margin, ltp, settlement_date, lot_size) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                 ON CONFLICT (user_id, symbol, exchange) DO UPDATE SET \
                 quantity = excluded.quantity, average_price = excluded.average_price, \
                 margin = excluded.margin, ltp = excluded.ltp, \
                 settlement_date = excluded.settlement_date",
            )
            .bind($id)
            .bind(&h.symbol)
            .bind(h.exchange.as_str())
            .bind(h.quantity)
            .bind(h.average_price)
            .bind(h.margin)
            .bind(h.ltp)
            .bind(ymd(h.settlement_date))
            .bind(i64::from(h.lot_size))
            .execute(&mut *$c)
            .await
            .map_err(err)?;
            }
            for g in &$d.gtts {
                let leg = |i: usize| g.legs.get(i);
                sqlx::query(
                "INSERT INTO sandbox_gtt (gtt_id, user_id, trigger_type, symbol, exchange, action, \
                 quantity, pricetype, product, strategy, last_price, gtt_status, leg1_trigger, \
                 leg1_direction, leg1_price, leg2_trigger, leg2_direction, leg2_price, \
                 fired_leg, fired_order_id, reason, created_ms, updated_ms, expires_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) \
                 ON CONFLICT (gtt_id) DO UPDATE SET quantity = excluded.quantity, \
                 pricetype = excluded.pricetype, product = excluded.product, \
                 strategy = excluded.strategy, gtt_status = excluded.gtt_status, \
                 leg1_trigger = excluded.leg1_trigger, leg1_direction = excluded.leg1_direction, \
                 leg1_price = excluded.leg1_price, leg2_trigger = excluded.leg2_trigger, \
                 leg2_direction = excluded.leg2_direction, leg2_price = excluded.leg2_price, \
                 fired_leg = excluded.fired_leg, fired_order_id = excluded.fired_order_id, \
                 reason = excluded.reason, updated_ms = excluded.updated_ms",
            )
            .bind(&g.id.0)
            .bind($id)
            .bind(g.kind.as_str())
            .bind(&g.symbol)
            .bind(g.exchange.as_str())
            .bind(g.action.as_str())
            .bind(g.quantity)
            .bind(g.pricetype.as_str())
            .bind(g.product.as_str())
            .bind(&g.strategy)
            .bind(g.last_price)
            .bind(g.status.as_str())
            .bind(leg(0).map_or(0.0, |l| l.trigger_price))
            .bind(leg(0).map_or("below", |l| l.direction.as_str()))
            .bind(leg(0).map_or(0.0, |l| l.price))
            .bind(leg(1).map(|l| l.trigger_price))
            .bind(leg(1).map(|l| l.direction.as_str()))
            .bind(leg(1).map(|l| l.price))
            .bind(g.fired.as_ref().map(|(l, _)| *l as i64))
            .bind(g.fired.as_ref().map(|(_, o)| o.0.as_str()))
            .bind(&g.reason)
            .bind(g.created_ms)
            .bind(g.updated_ms)
            .bind(g.expires_ms)
            .execute(&mut *$c)
            .await
            .map_err(err)?;
            }
        Ok::<(), LedgerError>(())
    }};
}

const INSERT_ORDER: &str = "INSERT INTO sandbox_orders (orderid, user_id, symbol, exchange, action, quantity, \
     price, trigger_price, pricetype, product, order_status, filled_quantity, \
     average_price, rejection_reason, strategy, margin_blocked, instrument_type, \
     lot_size, expiry, created_ms, updated_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
     ON CONFLICT (orderid) DO NOTHING";

/// An existing order of the account (never another account's: the `WHERE`).
const UPSERT_ORDER: &str = "INSERT INTO sandbox_orders (orderid, user_id, symbol, exchange, action, quantity, \
     price, trigger_price, pricetype, product, order_status, filled_quantity, \
     average_price, rejection_reason, strategy, margin_blocked, instrument_type, \
     lot_size, expiry, created_ms, updated_ms) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
     ON CONFLICT (orderid) DO UPDATE SET quantity = excluded.quantity, \
     price = excluded.price, trigger_price = excluded.trigger_price, \
     order_status = excluded.order_status, filled_quantity = excluded.filled_quantity, \
     average_price = excluded.average_price, rejection_reason = excluded.rejection_reason, \
     margin_blocked = excluded.margin_blocked, updated_ms = excluded.updated_ms \
     WHERE sandbox_orders.user_id = excluded.user_id";

impl Store {
    async fn load_account(
        &self,
        account: AccountId,
        since_ms: i64,
    ) -> Result<Option<StoredAccount>, LedgerError> {
        let id = account.0;
        on_db!(&self.db, |p| {
            let mut c = p.acquire().await.map_err(err)?;
            load_on!(c, id, since_ms)
        })
    }

    async fn commit_delta(
        &self,
        account: AccountId,
        version: i64,
        d: &Delta,
    ) -> Result<(), LedgerError> {
        let id = account.0;
        on_db!(&self.db, |p| {
            let mut tx = p.begin().await.map_err(err)?;
            write_on!(tx, id, version, d)?;
            tx.commit().await.map_err(err)
        })
    }
}

/// Advisory-lock namespace of paper accounts (the leader lock has its own).
const ACCOUNT_LOCKS: i32 = 0x6167_0001;

/// One engine operation on PostgreSQL: a transaction holding the account's advisory lock
/// until it commits or is dropped (rolled back).
struct PgAccountTx {
    tx: sqlx::Transaction<'static, Postgres>,
    account: AccountId,
    version: i64,
    origin: u64,
}

impl AccountTx for PgAccountTx {
    fn version(&self) -> i64 {
        self.version
    }

    fn load(&mut self, since_ms: i64) -> LedgerFuture<'_, Option<StoredAccount>> {
        Box::pin(async move {
            let id = self.account.0;
            let c: &mut sqlx::PgConnection = &mut self.tx;
            load_on!(c, id, since_ms)
        })
    }

    fn commit<'a>(self: Box<Self>, delta: &'a Delta) -> LedgerFuture<'a, ()>
    where
        Self: 'a,
    {
        Box::pin(async move {
            let mut me = *self;
            let id = me.account.0;
            let c: &mut sqlx::PgConnection = &mut me.tx;
            write_on!(c, id, me.version, delta)?;
            // Delivered on commit: the other instances sync the account and pass the
            // order updates to their sockets.
            let events = std::iter::once(BusEvent::Account {
                user: id,
                version: me.version + 1,
            })
            .chain(
                delta
                    .updates
                    .iter()
                    .map(|u| BusEvent::Order(Box::new(u.into()))),
            );
            for e in events {
                sqlx::query("SELECT pg_notify('algogate', $1)")
                    .bind(crate::bus::payload(me.origin, &e))
                    .execute(&mut *me.tx)
                    .await
                    .map_err(err)?;
            }
            me.tx.commit().await.map_err(err)
        })
    }
}

impl Ledger for Store {
    fn shared(&self) -> bool {
        self.is_shared()
    }

    fn begin(&self, account: AccountId) -> LedgerFuture<'_, Box<dyn AccountTx + '_>> {
        Box::pin(async move {
            let Db::Postgres(p) = &self.db else {
                return Err(LedgerError::Failed(
                    "account locks need a shared (PostgreSQL) database".into(),
                ));
            };
            let mut tx = p.begin().await.map_err(err)?;
            // Waits for the other instances' operations on this account.
            sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
                .bind(ACCOUNT_LOCKS)
                .bind(account.0 as i32)
                .execute(&mut *tx)
                .await
                .map_err(err)?;
            let version: Option<i64> =
                sqlx::query_scalar("SELECT version FROM sandbox_funds WHERE user_id = $1")
                    .bind(account.0)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(err)?;
            let t: Box<dyn AccountTx + '_> = Box::new(PgAccountTx {
                tx,
                account,
                version: version.unwrap_or(0),
                origin: self.origin,
            });
            Ok(t)
        })
    }

    fn version(&self, account: AccountId) -> LedgerFuture<'_, i64> {
        Box::pin(async move {
            let v: Option<i64> = on_db!(&self.db, |p| sqlx::query_scalar(
                "SELECT version FROM sandbox_funds WHERE user_id = $1"
            )
            .bind(account.0)
            .fetch_optional(p)
            .await)
            .map_err(err)?;
            Ok(v.unwrap_or(0))
        })
    }

    fn load(&self, account: AccountId, since_ms: i64) -> LedgerFuture<'_, Option<StoredAccount>> {
        Box::pin(self.load_account(account, since_ms))
    }

    fn commit<'a>(
        &'a self,
        account: AccountId,
        version: i64,
        delta: &'a Delta,
    ) -> LedgerFuture<'a, ()> {
        Box::pin(self.commit_delta(account, version, delta))
    }

    fn accounts(&self) -> LedgerFuture<'_, Vec<AccountId>> {
        Box::pin(async move {
            let ids: Vec<i64> = on_db!(&self.db, |p| sqlx::query_scalar(
                "SELECT user_id FROM sandbox_funds"
            )
            .fetch_all(p)
            .await)
            .map_err(err)?;
            Ok(ids.into_iter().map(AccountId).collect())
        })
    }

    fn order_ids_with_prefix<'a>(&'a self, prefix: &'a str) -> LedgerFuture<'a, Vec<OrderId>> {
        Box::pin(async move {
            let ids: Vec<String> = on_db!(&self.db, |p| sqlx::query_scalar(
                "SELECT orderid FROM sandbox_orders WHERE substr(orderid, 1, length($1)) = $2",
            )
            .bind(prefix)
            .bind(prefix)
            .fetch_all(p)
            .await)
            .map_err(err)?;
            Ok(ids.into_iter().map(OrderId).collect())
        })
    }
}
