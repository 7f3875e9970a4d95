//! One connection's protocol state: who it is, what it holds, and the answer to each
//! message. No socket here; replies go to the connection's [`Outbox`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

use algogate_broker::Exchange;
use algogate_keys::{Scope, SecretString};
use axum::extract::ws::Utf8Bytes;

use crate::feed::{Hub, Outbox};
use crate::openalgo::ws::{self as protocol, Instrument, Mode, Request, SubResult, code};
use algogate_app::clock::Clock;
use algogate_app::keyservice::KeyService;
use algogate_app::keyservice::{AuthedUser, KeyChange};

#[derive(Debug)]
struct Authed {
    user: AuthedUser,
    /// Kept (redacted) to re-verify when keys change.
    key: SecretString,
}

/// Why a session must end after a message was handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The key this socket authenticated with no longer verifies.
    KeyRevoked,
}

#[derive(Debug)]
pub struct Session {
    keys: Arc<KeyService>,
    clock: Arc<dyn Clock>,
    /// (instrument, mode) pairs one connection may hold.
    max_subscriptions: usize,
    hub: Arc<Hub>,
    out: Arc<Outbox>,
    authed: Option<Authed>,
    /// (exchange, symbol) → mode mask, as the client spelled the symbol.
    subs: HashMap<(Exchange, String), u8>,
    /// Entries of `subs` counted per mode (the per-connection limit).
    sub_count: usize,
    orders: bool,
    /// The client's address, for a named key's IP allowlist.
    ip: Option<IpAddr>,
}

impl Session {
    pub fn new(
        keys: Arc<KeyService>,
        clock: Arc<dyn Clock>,
        max_subscriptions: usize,
        hub: Arc<Hub>,
        out: Arc<Outbox>,
        ip: Option<IpAddr>,
    ) -> Self {
        Self {
            keys,
            clock,
            max_subscriptions,
            hub,
            out,
            authed: None,
            subs: HashMap::new(),
            sub_count: 0,
            orders: false,
            ip,
        }
    }

    /// A socket whose handshake carried a valid key starts as if it had authenticated
    /// with it (kept for the same re-checks when keys change).
    pub fn authenticated_at_handshake(&mut self, user: AuthedUser, key: SecretString) {
        self.authed = Some(Authed { user, key });
    }

    /// How long (real time) until the socket's key expires or its grace period ends, when
    /// it does: the socket re-checks then, so it closes as a revoked key's would.
    pub fn key_valid_for(&self) -> Option<std::time::Duration> {
        let until = self.authed.as_ref()?.user.named.as_ref()?.valid_until?;
        Some(
            (until - self.clock.now())
                .to_std()
                .unwrap_or(std::time::Duration::ZERO),
        )
    }

    pub fn is_authenticated(&self) -> bool {
        self.authed.is_some()
    }

    fn reply(&self, msg: String) {
        self.out.push(Utf8Bytes::from(msg));
    }

    /// Whether the socket's key may do what needs `scope`; refused with the REST message
    /// in the WebSocket's error form (and audited).
    async fn permitted(&self, scope: Scope) -> bool {
        let Some(a) = &self.authed else {
            return false;
        };
        let Err(denial) = a.user.permit(Some(scope), self.ip) else {
            return true;
        };
        if let Some(name) = a.user.key_name() {
            self.keys
                .audit(a.user.user_id, name, "denied", &denial.to_string())
                .await;
        }
        self.reply(protocol::error(
            code::PERMISSION_DENIED,
            &denial.to_string(),
        ));
        false
    }

    /// Answers one text frame. Bad input is answered, never fatal.
    pub async fn handle(&mut self, text: &str) {
        let req = match protocol::parse(text) {
            Ok(r) => r,
            Err(msg) => return self.reply(msg),
        };
        if req.needs_auth() && self.authed.is_none() {
            return self.reply(protocol::not_authenticated());
        }
        match req {
            Request::Auth { key } => self.authenticate(key).await,
            Request::Subscribe {
                mode,
                items,
                depth,
                request_id,
            } => {
                if !self.permitted(Scope::Data).await {
                    return;
                }
                let mode = match mode {
                    Ok(m) => m,
                    Err(e) => return self.reply(protocol::error(code::INVALID_MODE, &e)),
                };
                let Some(items) = items else {
                    return self.reply(protocol::error(
                        code::INVALID_PARAMETERS,
                        "At least one symbol must be specified",
                    ));
                };
                let results: Vec<SubResult> = items
                    .into_iter()
                    .map(|i| self.subscribe_one(i, mode, &depth))
                    .collect();
                self.reply(protocol::subscribe_ack(&results, request_id.as_ref()));
                // A first snapshot for each new subscription, after the ack.
                for r in &results {
                    if let SubResult::Ok { instrument, .. } = r {
                        self.send_snapshot(instrument);
                    }
                }
            }
            Request::Unsubscribe { items, request_id } => {
                let Some(items) = items else {
                    return self.reply(protocol::error(
                        code::INVALID_PARAMETERS,
                        "Either symbols or unsubscribe_all is required",
                    ));
                };
                let mut ok = Vec::new();
                let mut failed = Vec::new();
                for it in items {
                    match it.mode {
                        Ok(mode) => {
                            self.unsubscribe_one(&it.instrument, mode.bit());
                            ok.push(it.instrument);
                        }
                        Err(e) => failed.push((it.instrument, e)),
                    }
                }
                self.reply(protocol::unsubscribe_ack(&ok, &failed, request_id.as_ref()));
            }
            Request::UnsubscribeAll { request_id } => {
                let removed = self.unsubscribe_all();
                self.reply(protocol::unsubscribe_ack(
                    &removed,
                    &[],
                    request_id.as_ref(),
                ));
            }
            Request::SubscribeOrders { request_id } => {
                if !self.permitted(Scope::Account).await {
                    return;
                }
                if let Some(a) = &self.authed {
                    self.hub.subscribe_orders(&self.out, a.user.user_id);
                    self.orders = true;
                }
                self.reply(protocol::orders_ack(true, request_id.as_ref()));
            }
            Request::UnsubscribeOrders { request_id } => {
                self.hub.unsubscribe_orders(self.out.id());
                self.orders = false;
                self.reply(protocol::orders_ack(false, request_id.as_ref()));
            }
            Request::GetBrokerInfo => {
                if let Some(a) = &self.authed {
                    self.reply(protocol::broker_info(&a.user.username));
                }
            }
            Request::GetSupportedBrokers => self.reply(protocol::supported_brokers()),
            Request::Ping { timestamp, ping_id } => self.reply(protocol::pong(
                self.clock.now_ms(),
                timestamp.as_ref(),
                ping_id.as_ref(),
            )),
            Request::Unknown(action) => self.reply(protocol::invalid_action(&action)),
        }
    }

    async fn authenticate(&mut self, key: Option<String>) {
        let Some(key) = key.map(SecretString::new) else {
            return self.reply(protocol::error(
                code::AUTHENTICATION_ERROR,
                "API key is required",
            ));
        };
        match self.keys.verify(key.expose()).await {
            Ok(Some(user)) => {
                let msg = protocol::auth_success(&user.username);
                if let Some(prev) = &self.authed
                    && prev.user.user_id != user.user_id
                    && self.orders
                {
                    // Order updates follow the socket's current user.
                    self.hub.subscribe_orders(&self.out, user.user_id);
                }
                self.authed = Some(Authed { user, key });
                self.reply(msg);
            }
            Ok(None) => self.reply(protocol::error(
                code::AUTHENTICATION_ERROR,
                "Invalid API key",
            )),
            Err(e) => {
                tracing::error!(error = %e, "WebSocket authentication failed");
                self.reply(protocol::error(
                    code::SERVER_ERROR,
                    "Authentication could not be completed",
                ));
            }
        }
    }

    /// After a key change: whether this socket's key still verifies. Other users'
    /// changes are ignored without any work.
    pub async fn recheck(&mut self, change: Option<KeyChange>) -> Result<(), End> {
        let Some(a) = &self.authed else {
            return Ok(());
        };
        if let Some(KeyChange::User(u)) = change
            && u != a.user.user_id
        {
            return Ok(());
        }
        match self.keys.verify(a.key.expose()).await {
            Ok(Some(user)) => {
                self.refresh(user);
                Ok(())
            }
            Ok(None) => {
                self.reply(protocol::error(
                    code::AUTHENTICATION_ERROR,
                    "API key is no longer valid (it was regenerated); connect again with the new key",
                ));
                Err(End::KeyRevoked)
            }
            // A transient failure is not a revocation; the next change re-checks.
            Err(e) => {
                tracing::warn!(error = %e, "cannot re-verify a WebSocket key");
                Ok(())
            }
        }
    }

    /// The key still verifies, perhaps with a changed policy: what it may no longer hold
    /// is dropped.
    fn refresh(&mut self, user: AuthedUser) {
        if user.permit(Some(Scope::Data), self.ip).is_err() {
            self.unsubscribe_all();
        }
        if self.orders && user.permit(Some(Scope::Account), self.ip).is_err() {
            self.hub.unsubscribe_orders(self.out.id());
            self.orders = false;
        }
        if let Some(a) = &mut self.authed {
            a.user = user;
        }
    }

    fn subscribe_one(&mut self, i: Instrument, mode: Mode, depth: &serde_json::Value) -> SubResult {
        let fail = |i: Instrument, message: String| SubResult::Failed {
            instrument: i,
            message,
        };
        let not_found =
            |i: &Instrument| format!("Symbol {} not found for exchange {}", i.symbol, i.exchange);
        let Ok(exchange) = Exchange::from_str(&i.exchange) else {
            let m = not_found(&i);
            return fail(i, m);
        };
        let depth = match protocol::depth_used(depth) {
            Ok(d) => d,
            Err(m) => return fail(i, m),
        };
        let key = (exchange, i.symbol.clone());
        let held = self.subs.get(&key).copied().unwrap_or(0);
        if held & mode.bit() == 0 {
            let limit = self.max_subscriptions;
            if self.sub_count >= limit {
                return fail(
                    i,
                    format!(
                        "Subscription limit reached: at most {limit} subscriptions per connection"
                    ),
                );
            }
            if let Err(e) = self.hub.subscribe(&self.out, exchange, &i.symbol, mode) {
                let m = match e {
                    algogate_broker::BrokerError::SymbolNotFound { .. } => not_found(&i),
                    other => other.to_string(),
                };
                return fail(i, m);
            }
            self.subs.insert(key, held | mode.bit());
            self.sub_count += 1;
        }
        SubResult::Ok {
            instrument: i,
            mode,
            depth,
        }
    }

    fn send_snapshot(&self, i: &Instrument) {
        let Ok(exchange) = Exchange::from_str(&i.exchange) else {
            return;
        };
        let Some(mode) = self
            .subs
            .get(&(exchange, i.symbol.clone()))
            .and_then(|m| Mode::highest(*m))
        else {
            return;
        };
        if let Ok(tick) = self.hub.market().tick(&i.symbol, exchange) {
            self.out
                .push(Utf8Bytes::from(protocol::market_data(&tick, mode)));
        }
    }

    fn unsubscribe_one(&mut self, i: &Instrument, mask: u8) {
        let Ok(exchange) = Exchange::from_str(&i.exchange) else {
            return;
        };
        let key = (exchange, i.symbol.clone());
        let Some(held) = self.subs.get(&key).copied() else {
            return;
        };
        let removed = held & mask;
        if removed == 0 {
            return;
        }
        self.hub
            .unsubscribe(self.out.id(), exchange, &i.symbol, removed);
        self.sub_count -= removed.count_ones() as usize;
        if held & !mask == 0 {
            self.subs.remove(&key);
        } else {
            self.subs.insert(key, held & !mask);
        }
    }

    /// Drops every subscription; returns one entry per (instrument, mode) removed.
    fn unsubscribe_all(&mut self) -> Vec<Instrument> {
        let mut removed = Vec::new();
        let mut subs: Vec<_> = self.subs.drain().collect();
        subs.sort();
        for ((exchange, symbol), mask) in subs {
            self.hub.unsubscribe(self.out.id(), exchange, &symbol, mask);
            for _ in 0..mask.count_ones() {
                removed.push(Instrument {
                    symbol: symbol.clone(),
                    exchange: exchange.as_str().to_owned(),
                });
            }
        }
        self.sub_count = 0;
        removed
    }

    /// Disconnect cleanup: every subscription and the order stream.
    pub fn close(&mut self) {
        self.unsubscribe_all();
        if self.orders {
            self.hub.unsubscribe_orders(self.out.id());
            self.orders = false;
        }
    }
}
