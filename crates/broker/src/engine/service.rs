//! The running engine: accounts in memory behind one async lock each (operations on an
//! account are serialised, so concurrent orders cannot overdraw it), every state change
//! committed to the [`Ledger`] before it becomes visible, resting orders indexed by
//! instrument and kept on the market feed, fills driven by the feed's ticks, and
//! time-driven jobs (square-off, expiry, T+1, session roll) driven by the injected clock.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex as StdMutex, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::{Mutex, RwLock, broadcast};
use tokio::task::JoinHandle;

use super::account::{Account, Delta};
use super::config::EngineConfig;
use super::error::{EngineError, Result};
use super::ledger::{Ledger, LedgerError, StoredAccount};
use super::rules;
use super::tx::{IdSource, Tx};
use super::types::*;
use super::views::*;
use crate::domain::Exchange;
use crate::feed::{Subscription, Tick};
use crate::market::PaperMarket;
use crate::num::round2;
use crate::time::{ist, ist_parts, session_start_ms};

/// Resting orders on one instrument, and the subscription that keeps it ticking.
#[derive(Debug)]
struct Watch {
    _sub: Subscription,
    orders: HashSet<(AccountId, OrderId)>,
}

/// Order-id generator: OpenAlgo's format, unique across the day (seeded from the ledger).
#[derive(Debug, Default)]
struct IdGen {
    day: String,
    issued: HashSet<String>,
}

fn random_u32() -> u32 {
    // The OS generator only fails on broken systems; fall back to the clock's noise.
    getrandom::u32().unwrap_or_else(|_| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    })
}

impl IdGen {
    fn order_id(&mut self, now_ms: i64) -> OrderId {
        let (date, _) = ist_parts(now_ms);
        let day = date.format("%y%m%d").to_string();
        if day != self.day {
            self.day = day.clone();
            self.issued.clear();
        }
        let micros = now_ms.rem_euclid(1000) * 1000;
        for k in 0..1_000_000 {
            for _ in 0..4 {
                let id = format!(
                    "{day}{:06}{:02}",
                    (micros + k) % 1_000_000,
                    random_u32() % 100
                );
                if self.issued.insert(id.clone()) {
                    return OrderId(id);
                }
            }
        }
        // 10^8 ids in one day: not reachable in practice.
        OrderId(format!("{day}{:08}", self.issued.len()))
    }
}

/// Locks the shared generator per id, so the generator's lock is never held across awaits.
/// Never an id the account already holds: on a shared ledger its copy carries orders
/// another instance's generator issued.
struct SharedIds<'a>(&'a StdMutex<IdGen>, &'a Account);

impl IdSource for SharedIds<'_> {
    fn gtt_id(&mut self, now_ms: i64) -> GttId {
        GttId(format!(
            "GTT-{}-{:08x}",
            ist(now_ms).format("%y%m%d"),
            random_u32()
        ))
    }

    fn order_id(&mut self, now_ms: i64) -> OrderId {
        let mut ids = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let id = ids.order_id(now_ms);
            if !self.1.orders.contains_key(&id) {
                return id;
            }
        }
    }

    fn trade_id(&mut self, now_ms: i64) -> TradeId {
        TradeId(format!(
            "TRADE-{}-{:08x}",
            ist(now_ms).format("%Y%m%d-%H%M%S"),
            random_u32()
        ))
    }
}

/// What `placesmartorder` did.
#[derive(Debug, Clone, PartialEq)]
pub enum SmartOutcome {
    Placed(OrderId),
    /// Target equals the current position and a quantity was given.
    AlreadyMatched,
    /// Target equals the current position and quantity was 0.
    NothingToExit,
}

/// `cancelallorder`'s result.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CancelAll {
    pub cancelled: Vec<OrderId>,
    pub failed: Vec<(OrderId, String)>,
}

/// One leg of a `margin` request.
#[derive(Debug, Clone, PartialEq)]
pub struct MarginLeg {
    pub symbol: String,
    pub exchange: Exchange,
    pub action: Action,
    pub quantity: i64,
    pub product: Product,
    pub pricetype: PriceType,
    pub price: f64,
    pub trigger_price: f64,
}

#[derive(Debug)]
pub struct Engine {
    market: Arc<PaperMarket>,
    ledger: Arc<dyn Ledger>,
    cfg: EngineConfig,
    accounts: Mutex<HashMap<AccountId, Arc<Mutex<Account>>>>,
    watches: StdMutex<HashMap<(Exchange, String), Watch>>,
    ids: StdMutex<IdGen>,
    updates: broadcast::Sender<OrderUpdate>,
    /// Held shared by every state change and exclusively while the option chains are
    /// re-generated, so no order lands on a contract between the in-use scan and the swap.
    chains: RwLock<()>,
    /// The session (its start, epoch ms) the chains were last laid for.
    chains_session: StdMutex<i64>,
    /// Whether this instance runs the tick fills and timed jobs: always alone on its
    /// ledger; on a shared one, only while it holds the leader's lock.
    leading: std::sync::atomic::AtomicBool,
}

impl Engine {
    /// Loads every stored account and puts their resting orders back on the feed.
    pub async fn start(
        market: Arc<PaperMarket>,
        ledger: Arc<dyn Ledger>,
        cfg: EngineConfig,
    ) -> Result<Arc<Self>> {
        let (updates, _) = broadcast::channel(4096);
        let shared = ledger.shared();
        let now = market.clock().now_ms();
        let cfg_boundary = cfg.session_boundary;
        let day = ist_parts(now).0.format("%y%m%d").to_string();
        let issued = ledger
            .order_ids_with_prefix(&day)
            .await
            .map_err(ledger_err)?
            .into_iter()
            .map(|i| i.0)
            .collect();
        let engine = Arc::new(Engine {
            market,
            ledger,
            cfg,
            accounts: Mutex::default(),
            watches: StdMutex::default(),
            ids: StdMutex::new(IdGen { day, issued }),
            updates,
            chains: RwLock::new(()),
            chains_session: StdMutex::new(session_start_ms(now, cfg_boundary)),
            leading: std::sync::atomic::AtomicBool::new(!shared),
        });
        let ids = engine.ledger.accounts().await.map_err(ledger_err)?;
        for id in ids {
            let acc = engine.account(id).await?;
            let acc = acc.lock().await;
            for o in acc.resting() {
                engine.watch(o);
            }
            for g in acc.gtts.values() {
                engine.watch_gtt(g);
            }
        }
        Ok(engine)
    }

    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    pub fn market(&self) -> &Arc<PaperMarket> {
        &self.market
    }

    /// Every order state change, as OpenAlgo's `order_update` event.
    pub fn updates(&self) -> broadcast::Receiver<OrderUpdate> {
        self.updates.subscribe()
    }

    /// Instruments with resting orders (kept on the feed).
    pub fn watched(&self) -> Vec<(Exchange, String, usize)> {
        let w = self.watches.lock().unwrap_or_else(PoisonError::into_inner);
        let mut v: Vec<_> = w
            .iter()
            .map(|((e, s), w)| (*e, s.clone(), w.orders.len()))
            .collect();
        v.sort();
        v
    }

    /// Runs the tick consumer and the job timer until the engine is dropped.
    pub fn spawn(self: &Arc<Self>, job_period: Duration) -> Vec<JoinHandle<()>> {
        let mut rx = self.market.ticks();
        let weak: Weak<Self> = Arc::downgrade(self);
        let ticks = tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(tick) => {
                        let Some(engine) = weak.upgrade() else { return };
                        engine.on_tick(&tick).await;
                    }
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing_lag(n);
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        let weak: Weak<Self> = Arc::downgrade(self);
        let jobs = tokio::spawn(async move {
            let mut every = tokio::time::interval(job_period);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            loop {
                every.tick().await;
                let Some(engine) = weak.upgrade() else { return };
                engine.run_jobs().await;
            }
        });
        vec![ticks, jobs]
    }

    async fn account(&self, id: AccountId) -> Result<Arc<Mutex<Account>>> {
        let mut map = self.accounts.lock().await;
        if let Some(a) = map.get(&id) {
            return Ok(Arc::clone(a));
        }
        let now = self.market.clock().now_ms();
        let since = session_start_ms(now, self.cfg.session_boundary);
        let stored = self.ledger.load(id, since).await.map_err(ledger_err)?;
        let acc = match stored {
            Some(s) => from_stored(id, s),
            None => Account::new(id, &self.cfg, now),
        };
        let acc = Arc::new(Mutex::new(acc));
        map.insert(id, Arc::clone(&acc));
        Ok(acc)
    }

    fn quote(&self, symbol: &str, exchange: Exchange) -> Option<Px> {
        self.market.quote(symbol, exchange).ok().map(Px::from)
    }

    fn contract(&self, symbol: &str, exchange: Exchange) -> Option<Contract> {
        self.market
            .master()
            .get(symbol, exchange)
            .map(|i| Contract {
                kind: i.instrumenttype,
                lot_size: i.lotsize,
                expiry: i.expiry,
            })
    }

    /// Runs `f` on the account in one transaction: housekeeping first, then the command;
    /// the delta is committed before the in-memory state changes or updates go out. On a
    /// shared ledger the whole operation holds the account's lock in the ledger, and the
    /// copy is first brought up to the stored version, so no instance acts on a stale one.
    async fn exec<R>(&self, id: AccountId, f: impl Fn(&Self, &mut Tx<'_>) -> R) -> Result<R> {
        let _chains = self.chains.read().await;
        let acc = self.account(id).await?;
        let mut acc = acc.lock().await;
        let mut attempts = 0;
        loop {
            let held = if self.ledger.shared() {
                let mut tx = self.ledger.begin(id).await.map_err(ledger_err)?;
                if tx.version() != acc.version {
                    let stored = tx.load(self.session_start()).await.map_err(ledger_err)?;
                    self.replace(&mut acc, stored);
                }
                Some(tx)
            } else {
                None
            };
            let (r, delta) = {
                let mut ids = SharedIds(&self.ids, &acc);
                let now = self.market.clock().now_ms();
                let mut tx = Tx::new(&acc, &self.cfg, now, &mut ids);
                rules::housekeeping(&mut tx, &|s, e| self.quote(s, e));
                rules::expire_gtts(&mut tx);
                let r = f(self, &mut tx);
                (r, tx.finish())
            };
            if delta.is_empty(&acc.funds) {
                return Ok(r);
            }
            let committed = match held {
                Some(tx) => tx.commit(&delta).await,
                None => self.ledger.commit(id, acc.version, &delta).await,
            };
            match committed {
                Ok(()) => {
                    acc.version += 1;
                    acc.apply(&delta);
                    self.after_commit(&delta);
                    return Ok(r);
                }
                // Another instance's id, or (unlocked) another writer's commit: nothing
                // was written; compute again from the stored state with new ids.
                Err(LedgerError::IdTaken(_) | LedgerError::Stale) if attempts < 4 => {
                    attempts += 1;
                    self.reload(&mut acc).await?;
                }
                Err(e) => return Err(ledger_err(e)),
            }
        }
    }

    /// Replaces the copy with the stored account (when there is one), and its resting
    /// orders and GTTs on the feed with the stored ones.
    fn replace(&self, acc: &mut Account, stored: Option<StoredAccount>) {
        let Some(stored) = stored else { return };
        let fresh = from_stored(acc.id, stored);
        for o in acc.resting() {
            self.unwatch(o);
        }
        for g in acc.gtts.values() {
            self.unwatch(&gtt_stand_in(g));
        }
        for o in fresh.resting() {
            self.watch(o);
        }
        for g in fresh.gtts.values() {
            self.watch_gtt(g);
        }
        *acc = fresh;
    }

    async fn reload(&self, acc: &mut Account) -> Result<()> {
        let stored = self
            .ledger
            .load(acc.id, self.session_start())
            .await
            .map_err(ledger_err)?;
        self.replace(acc, stored);
        Ok(())
    }

    /// Another instance committed `version` of an account: bring this copy up to it (and
    /// load accounts not seen yet, so their resting orders are watched here too).
    pub async fn sync(&self, id: AccountId, version: i64) -> Result<()> {
        let acc = self.account(id).await?;
        let mut acc = acc.lock().await;
        if acc.version < version {
            self.reload(&mut acc).await?;
        }
        Ok(())
    }

    /// Reloads every stored account (after notifications may have been missed).
    pub async fn sync_all(&self) -> Result<()> {
        for id in self.ledger.accounts().await.map_err(ledger_err)? {
            let acc = self.account(id).await?;
            let mut acc = acc.lock().await;
            self.reload(&mut acc).await?;
        }
        Ok(())
    }

    /// Publishes an order update made by another instance to this one's subscribers.
    pub fn publish_remote(&self, u: OrderUpdate) {
        let _ = self.updates.send(u);
    }

    fn after_commit(&self, delta: &Delta) {
        for g in &delta.gtts {
            self.watch_gtt(g);
        }
        for o in &delta.orders {
            if o.status.is_resting() {
                self.watch(o);
            } else {
                self.unwatch(o);
            }
        }
        for u in &delta.updates {
            // No receiver is fine: nobody is listening.
            let _ = self.updates.send(u.clone());
        }
    }

    fn watch(&self, o: &Order) {
        let mut w = self.watches.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (o.exchange, o.symbol.clone());
        if !w.contains_key(&key) {
            let Ok(sub) = self.market.subscribe(&o.symbol, o.exchange) else {
                return;
            };
            w.insert(
                key.clone(),
                Watch {
                    _sub: sub,
                    orders: HashSet::new(),
                },
            );
        }
        if let Some(entry) = w.get_mut(&key) {
            entry.orders.insert((o.account, o.id.clone()));
        }
    }

    /// An active GTT keeps its instrument on the feed like a resting order (its id, which
    /// can never be an order id, stands in the watch's set); any other is dropped from it.
    fn watch_gtt(&self, g: &Gtt) {
        let stand_in = gtt_stand_in(g);
        if g.status == GttStatus::Active {
            self.watch(&stand_in);
        } else {
            self.unwatch(&stand_in);
        }
    }

    fn unwatch(&self, o: &Order) {
        let mut w = self.watches.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (o.exchange, o.symbol.clone());
        if let Some(entry) = w.get_mut(&key) {
            entry.orders.remove(&(o.account, o.id.clone()));
            if entry.orders.is_empty() {
                w.remove(&key);
            }
        }
    }

    /// Whether this instance runs the fills and timed jobs.
    pub fn leading(&self) -> bool {
        self.leading.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Takes up (after [`Engine::sync_all`]) or gives up the fills and timed jobs. A
    /// second leader for a moment would not fill twice: each fill commits under the
    /// account's lock from the stored version.
    pub fn set_leading(&self, on: bool) {
        self.leading.store(on, std::sync::atomic::Ordering::SeqCst);
    }

    /// A tick: every account with resting orders on the instrument gets a chance to fill.
    pub async fn on_tick(&self, tick: &Tick) {
        if !self.leading() {
            return;
        }
        let accounts: HashSet<AccountId> = {
            let w = self.watches.lock().unwrap_or_else(PoisonError::into_inner);
            match w.get(&(tick.exchange, tick.symbol.clone())) {
                Some(entry) => entry.orders.iter().map(|(a, _)| *a).collect(),
                None => return,
            }
        };
        let px = Px::from(tick);
        for acc in accounts {
            let r = self
                .exec(acc, |e, tx| {
                    rules::on_price(tx, &tick.symbol, tick.exchange, &px);
                    let contract = e.contract(&tick.symbol, tick.exchange);
                    rules::fire_gtts(tx, &tick.symbol, tick.exchange, &px, contract);
                })
                .await;
            if let Err(e) = r {
                tracing_err("tick", &e);
            }
        }
    }

    /// Re-lays the option chains around the spots now, keeping every contract with a
    /// resting order or an open position in any stored account. Returns the master's rows.
    pub async fn refresh_chains(&self) -> Result<usize> {
        let _exclusive = self.chains.write().await;
        let ids = self.ledger.accounts().await.map_err(ledger_err)?;
        let mut keep = HashSet::new();
        for id in ids {
            let acc = self.account(id).await?;
            let acc = acc.lock().await;
            keep.extend(acc.resting().map(|o| (o.exchange, o.symbol.clone())));
            keep.extend(
                acc.positions
                    .values()
                    .filter(|p| p.quantity != 0)
                    .map(|p| (p.key.exchange, p.key.symbol.clone())),
            );
        }
        let rows = self.market.regenerate_chains(&keep);
        let now = self.market.clock().now_ms();
        *self
            .chains_session
            .lock()
            .unwrap_or_else(PoisonError::into_inner) =
            session_start_ms(now, self.cfg.session_boundary);
        Ok(rows)
    }

    /// Time-driven jobs: the chains follow the spot into each new session; then, for every
    /// account, session roll, T+1, expiries, MIS square-off.
    pub async fn run_jobs(&self) {
        if !self.leading() {
            return;
        }
        let now = self.market.clock().now_ms();
        let session = session_start_ms(now, self.cfg.session_boundary);
        let laid = *self
            .chains_session
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if session != laid {
            if let Err(err) = self.refresh_chains().await {
                tracing_err("chains", &err);
            }
        }
        let ids: Vec<AccountId> = self.accounts.lock().await.keys().copied().collect();
        for id in ids {
            let r = self
                .exec(id, |e, tx| rules::square_off(tx, &|s, x| e.quote(s, x)))
                .await;
            if let Err(err) = r {
                tracing_err("jobs", &err);
            }
        }
    }

    pub async fn place(&self, acc: AccountId, req: &OrderRequest) -> Result<OrderId> {
        self.exec(acc, |e, tx| {
            rules::place(
                tx,
                req,
                e.contract(&req.symbol, req.exchange),
                e.quote(&req.symbol, req.exchange),
            )
        })
        .await?
    }

    /// `placesmartorder`: trades towards `position_size` with the request's price type.
    pub async fn smart_order(
        &self,
        acc: AccountId,
        req: &OrderRequest,
        position_size: i64,
    ) -> Result<SmartOutcome> {
        self.exec(acc, |e, tx| {
            let key = PositionKey {
                symbol: req.symbol.clone(),
                exchange: req.exchange,
                product: req.product,
            };
            let current = tx.position(&key).map_or(0, |p| p.quantity);
            match rules::smart_order_leg(position_size, current, req.action, req.quantity) {
                None if req.quantity == 0 => Ok(SmartOutcome::NothingToExit),
                None => Ok(SmartOutcome::AlreadyMatched),
                Some((action, quantity)) => {
                    let leg = OrderRequest {
                        action,
                        quantity,
                        ..req.clone()
                    };
                    rules::place(
                        tx,
                        &leg,
                        e.contract(&req.symbol, req.exchange),
                        e.quote(&req.symbol, req.exchange),
                    )
                    .map(SmartOutcome::Placed)
                }
            }
        })
        .await?
    }

    pub async fn modify(&self, acc: AccountId, id: &OrderId, m: Modification) -> Result<()> {
        self.exec(acc, |e, tx| {
            let quote = tx.order(id).and_then(|o| e.quote(&o.symbol, o.exchange));
            rules::modify(tx, id, m, quote)
        })
        .await?
    }

    pub async fn cancel(&self, acc: AccountId, id: &OrderId) -> Result<()> {
        self.exec(acc, |_, tx| rules::cancel(tx, id)).await?
    }

    /// Cancels every `open` and `trigger pending` order of the account.
    pub async fn cancel_all(&self, acc: AccountId) -> Result<CancelAll> {
        self.exec(acc, |_, tx| {
            let mut out = CancelAll::default();
            for o in tx.resting_orders() {
                match rules::cancel(tx, &o.id) {
                    Ok(()) => out.cancelled.push(o.id),
                    Err(e) => out.failed.push((o.id, e.to_string())),
                }
            }
            out
        })
        .await
    }

    /// Closes every open position at market: (closed, failed).
    pub async fn close_all(&self, acc: AccountId) -> Result<(usize, usize)> {
        self.exec(acc, |e, tx| {
            let (mut ok, mut failed) = (0, 0);
            for p in tx.positions() {
                if p.quantity == 0 {
                    continue;
                }
                let q = e.quote(&p.key.symbol, p.key.exchange);
                match rules::close_position(tx, &p.key, q) {
                    Ok(_) => ok += 1,
                    Err(_) => failed += 1,
                }
            }
            (ok, failed)
        })
        .await
    }

    /// Closes one open position at market (a MARKET order for the opposite side).
    pub async fn close_position(&self, acc: AccountId, key: &PositionKey) -> Result<OrderId> {
        self.exec(acc, |e, tx| {
            let q = e.quote(&key.symbol, key.exchange);
            rules::close_position(tx, key, q)
        })
        .await?
    }

    /// Housekeeping, then a read of the account.
    async fn read<R>(&self, acc: AccountId, f: impl FnOnce(&Account) -> R) -> Result<R> {
        self.exec(acc, |_, _| ()).await?;
        let a = self.account(acc).await?;
        let a = a.lock().await;
        Ok(f(&a))
    }

    pub async fn order_status(&self, acc: AccountId, id: &OrderId) -> Result<OrderStatusView> {
        let since = self.session_start();
        self.read(acc, |a| {
            a.orders
                .get(id)
                .filter(|o| o.created_ms >= since || o.status.is_resting())
                .map(OrderStatusView::from)
        })
        .await?
        .ok_or_else(|| EngineError::OrderNotFound(id.0.clone()))
    }

    fn session_start(&self) -> i64 {
        session_start_ms(self.market.clock().now_ms(), self.cfg.session_boundary)
    }

    /// `placegttorder`: an active GTT, snapshotting the LTP (0 without a quote).
    pub async fn place_gtt(&self, acc: AccountId, req: &GttRequest) -> Result<GttId> {
        self.exec(acc, |e, tx| {
            let ltp = e.quote(&req.symbol, req.exchange).map_or(0.0, |q| q.ltp);
            rules::place_gtt(tx, req, e.contract(&req.symbol, req.exchange), ltp)
        })
        .await?
    }

    /// `modifygttorder`: replaces an active GTT's order and triggers.
    pub async fn modify_gtt(&self, acc: AccountId, id: &GttId, req: &GttRequest) -> Result<()> {
        self.exec(acc, |_, tx| rules::modify_gtt(tx, id, req))
            .await?
    }

    /// `cancelgttorder`.
    pub async fn cancel_gtt(&self, acc: AccountId, id: &GttId) -> Result<()> {
        self.exec(acc, |_, tx| rules::cancel_gtt(tx, id)).await?
    }

    /// `gttorderbook`: the active GTTs, newest first.
    pub async fn gtt_book(&self, acc: AccountId) -> Result<Vec<Gtt>> {
        self.read(acc, |a| {
            let mut v: Vec<Gtt> = a
                .gtts
                .values()
                .filter(|g| g.status == GttStatus::Active)
                .cloned()
                .collect();
            v.sort_by(|a, b| (b.created_ms, &b.id).cmp(&(a.created_ms, &a.id)));
            v
        })
        .await
    }

    /// Every GTT of the account kept in memory (active, or ended this session).
    pub async fn gtts(&self, acc: AccountId) -> Result<Vec<Gtt>> {
        self.read(acc, |a| a.gtts.values().cloned().collect()).await
    }

    /// `orderbook`: the current session's orders (and older ones still resting).
    pub async fn orderbook(&self, acc: AccountId) -> Result<OrderBook> {
        self.read(acc, |a| OrderBook::from_orders(a.orders.values().collect()))
            .await
    }

    /// `tradebook`: the current session's trades, newest first.
    pub async fn tradebook(&self, acc: AccountId) -> Result<Vec<TradeView>> {
        self.read(acc, |a| {
            let mut t: Vec<&Trade> = a.trades.iter().collect();
            t.sort_by_key(|x| std::cmp::Reverse(x.created_ms));
            t.into_iter().map(TradeView::from).collect()
        })
        .await
    }

    fn ltp_of(&self, p: &Position) -> f64 {
        self.quote(&p.key.symbol, p.key.exchange)
            .map(|q| q.ltp)
            .filter(|l| *l > 0.0)
            .unwrap_or(p.ltp)
    }

    /// `positionbook`: open positions, and those closed with realized P&L this session.
    pub async fn positionbook(&self, acc: AccountId) -> Result<PositionBook> {
        let rows = self
            .read(acc, |a| {
                a.positions
                    .values()
                    .filter(|p| p.quantity != 0 || p.today_realized != 0.0)
                    .cloned()
                    .collect::<Vec<_>>()
            })
            .await?;
        Ok(PositionBook::new(
            rows.iter()
                .map(|p| PositionView::new(p, self.ltp_of(p)))
                .collect(),
        ))
    }

    /// `openposition`: the signed quantity (0 when there is none).
    pub async fn open_position(
        &self,
        acc: AccountId,
        symbol: &str,
        exchange: Exchange,
        product: Product,
    ) -> Result<i64> {
        let key = PositionKey {
            symbol: symbol.to_owned(),
            exchange,
            product,
        };
        self.read(acc, |a| a.positions.get(&key).map_or(0, |p| p.quantity))
            .await
    }

    pub async fn holdings(&self, acc: AccountId) -> Result<HoldingsBook> {
        let rows = self
            .read(acc, |a| a.holdings.values().cloned().collect::<Vec<_>>())
            .await?;
        let priced: Vec<(&Holding, f64)> = rows
            .iter()
            .map(|h| {
                let ltp = self
                    .quote(&h.symbol, h.exchange)
                    .map(|q| q.ltp)
                    .unwrap_or(h.ltp);
                (h, ltp)
            })
            .collect();
        Ok(HoldingsBook::new(priced))
    }

    pub async fn funds(&self, acc: AccountId) -> Result<FundsView> {
        let (funds, positions) = self
            .read(acc, |a| {
                (
                    a.funds.clone(),
                    a.positions
                        .values()
                        .filter(|p| p.quantity != 0)
                        .cloned()
                        .collect::<Vec<_>>(),
                )
            })
            .await?;
        let unrealized: f64 = positions
            .iter()
            .map(|p| (self.ltp_of(p) - p.average_price) * p.quantity as f64)
            .sum();
        Ok(FundsView::new(&funds, unrealized))
    }

    /// Raw funds (for invariant checks and the web UI).
    pub async fn raw_funds(&self, acc: AccountId) -> Result<Funds> {
        self.read(acc, |a| a.funds.clone()).await
    }

    /// `margin`: what the legs would block as fresh positions, with the sandbox's leverage.
    pub fn margin(&self, legs: &[MarginLeg]) -> Result<f64> {
        let mut total = 0.0;
        for l in legs {
            let c = self.contract(&l.symbol, l.exchange).ok_or_else(|| {
                EngineError::rejected(format!("Symbol {} not found on {}", l.symbol, l.exchange))
            })?;
            let price = match l.pricetype {
                PriceType::Market => self
                    .quote(&l.symbol, l.exchange)
                    .map(|q| q.ltp)
                    .unwrap_or(0.0),
                PriceType::Limit => l.price,
                PriceType::Sl | PriceType::SlM => l.trigger_price,
            };
            let sell_cnc_equity =
                l.action == Action::Sell && l.product == Product::Cnc && !c.kind.is_derivative();
            if !sell_cnc_equity {
                total +=
                    rules::margin_for(&self.cfg, &c, l.product, l.action, l.quantity, price, 0);
            }
        }
        Ok(round2(total))
    }
}

/// The order that stands in a watch's set for a GTT (its id can never be an order id).
fn gtt_stand_in(g: &Gtt) -> Order {
    Order {
        id: OrderId(g.id.0.clone()),
        account: g.account,
        symbol: g.symbol.clone(),
        exchange: g.exchange,
        action: g.action,
        quantity: g.quantity,
        price: 0.0,
        trigger_price: 0.0,
        pricetype: g.pricetype,
        product: g.product,
        status: OrderStatus::Open,
        filled_quantity: 0,
        average_price: 0.0,
        rejection_reason: String::new(),
        strategy: String::new(),
        margin_blocked: 0.0,
        contract: Contract {
            kind: crate::domain::InstrumentType::Equity,
            lot_size: 1,
            expiry: None,
        },
        created_ms: g.created_ms,
        updated_ms: g.updated_ms,
    }
}

fn ledger_err(e: LedgerError) -> EngineError {
    EngineError::Ledger(e.to_string())
}

fn from_stored(id: AccountId, s: StoredAccount) -> Account {
    Account {
        id,
        version: s.version,
        funds: s.funds,
        orders: s.orders.into_iter().map(|o| (o.id.clone(), o)).collect(),
        trades: s.trades,
        positions: s
            .positions
            .into_iter()
            .map(|p| (p.key.clone(), p))
            .collect(),
        holdings: s
            .holdings
            .into_iter()
            .map(|h| ((h.exchange, h.symbol.clone()), h))
            .collect(),
        gtts: s.gtts.into_iter().map(|g| (g.id.clone(), g)).collect(),
    }
}

fn tracing_lag(n: u64) {
    // The next ticks carry current prices; nothing is lost but a few chances to fill.
    tracing::warn!(skipped = n, "engine: tick consumer lagged");
}

fn tracing_err(what: &str, e: &EngineError) {
    tracing::error!(error = %e, "engine: {what} failed");
}
