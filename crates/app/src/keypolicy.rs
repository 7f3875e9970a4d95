//! A named key's execution policy: scopes, order mode and limits, parsed once when the key
//! is loaded (so the hot path only tests bits and compares numbers), and each refusal as a
//! [`Denial`] whose message names the rule.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use algogate_broker::Exchange;
use algogate_broker::engine::{GttRequest, OrderRequest, PriceType, Product};
use algogate_keys::{Scope, ScopeError, Scopes};
use algogate_store::{OrderMode, StoredPolicy};
use chrono::{DateTime, Utc};

/// Most entries an allowlist may hold (symbols or IP rules): the policy is checked on every
/// request, so it stays small.
pub const MAX_LIST: usize = 64;
/// Longest key name.
pub const MAX_NAME: usize = 64;
/// Longest grace period of a rotation: past a month the old secret is simply a second key.
pub const MAX_GRACE_SECS: u64 = 30 * 24 * 3600;

/// An allowed address or network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRule {
    net: IpAddr,
    prefix: u8,
}

impl IpRule {
    pub fn contains(&self, ip: IpAddr) -> bool {
        // An IPv4 client seen on a dual-stack socket as ::ffff:a.b.c.d is the IPv4 address.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        match (self.net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for IpRule {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Self, PolicyError> {
        let bad = || PolicyError::Ip(s.chars().take(64).collect());
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(bad)?,
        };
        Ok(Self { net, prefix })
    }
}

impl fmt::Display for IpRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max = if self.net.is_ipv4() { 32 } else { 128 };
        if self.prefix == max {
            write!(f, "{}", self.net)
        } else {
            write!(f, "{}/{}", self.net, self.prefix)
        }
    }
}

/// An allowed instrument: `EXCH:SYMBOL`, or `EXCH:*` for every symbol of an exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymbolRule {
    exchange: Exchange,
    /// `None`: any symbol.
    symbol: Option<String>,
}

impl SymbolRule {
    pub fn allows(&self, exchange: Exchange, symbol: &str) -> bool {
        self.exchange == exchange && self.symbol.as_deref().is_none_or(|s| s == symbol)
    }
}

impl FromStr for SymbolRule {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Self, PolicyError> {
        let bad = || PolicyError::Symbol(s.chars().take(80).collect());
        let (ex, sym) = s.split_once(':').ok_or_else(bad)?;
        let exchange = Exchange::from_str(ex).map_err(|_| bad())?;
        let symbol = match sym {
            "*" => None,
            s if algogate_broker::Symbol::parse(s).is_ok() && !s.contains(',') => {
                Some(s.to_owned())
            }
            _ => return Err(bad()),
        };
        Ok(Self { exchange, symbol })
    }
}

impl fmt::Display for SymbolRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            self.exchange.as_str(),
            self.symbol.as_deref().unwrap_or("*")
        )
    }
}

/// An invalid policy input, naming the field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("name: must be 1 to {MAX_NAME} characters of letters, digits, '-', '_' or '.'")]
    Name,
    #[error("scopes: {0}")]
    Scopes(#[from] ScopeError),
    #[error("allow-ip: {0:?} is not an IP address or CIDR")]
    Ip(String),
    #[error("symbols: {0:?} is not EXCHANGE:SYMBOL (or EXCHANGE:*) with a known exchange")]
    Symbol(String),
    #[error("products: {0:?} is not a product (MIS, CNC or NRML)")]
    Product(String),
    #[error("{0}: at most {MAX_LIST} entries")]
    TooMany(&'static str),
    #[error("{0}: must be a positive number")]
    NotPositive(&'static str),
    #[error("expires: {0:?} is not an RFC 3339 timestamp")]
    Expiry(String),
    #[error("expires: the time is already past")]
    Past,
    #[error("grace: at most {MAX_GRACE_SECS} seconds (30 days)")]
    Grace,
    #[error(
        "clear: {0:?} is not a limit (symbols, products, max-qty, max-value, max-orders-per-day, expires or allow-ip)"
    )]
    UnknownLimit(String),
}

/// Checks a key name (it appears in lists, logs and the Action Center).
pub fn check_name(name: &str) -> Result<(), PolicyError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    ok.then_some(()).ok_or(PolicyError::Name)
}

/// A named key's policy, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyPolicy {
    pub scopes: Scopes,
    pub order_mode: OrderMode,
    pub symbols: Option<Vec<SymbolRule>>,
    /// `None`: any product.
    pub products: Option<Vec<Product>>,
    pub max_qty: Option<i64>,
    pub max_value: Option<f64>,
    pub max_orders_per_day: Option<i64>,
    pub expires_at: Option<DateTime<Utc>>,
    pub allow_ips: Option<Vec<IpRule>>,
    pub ip_all_requests: bool,
}

impl Default for KeyPolicy {
    fn default() -> Self {
        Self {
            scopes: Scopes::ALL,
            order_mode: OrderMode::Auto,
            symbols: None,
            products: None,
            max_qty: None,
            max_value: None,
            max_orders_per_day: None,
            expires_at: None,
            allow_ips: None,
            ip_all_requests: false,
        }
    }
}

fn list<T: FromStr<Err = PolicyError>>(
    s: Option<&str>,
    field: &'static str,
) -> Result<Option<Vec<T>>, PolicyError> {
    let Some(s) = s else { return Ok(None) };
    let items: Vec<&str> = s
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    if items.len() > MAX_LIST {
        return Err(PolicyError::TooMany(field));
    }
    Ok(Some(
        items
            .into_iter()
            .map(T::from_str)
            .collect::<Result<_, _>>()?,
    ))
}

fn join<T: fmt::Display>(items: &Option<Vec<T>>) -> Option<String> {
    items.as_ref().map(|v| {
        v.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",")
    })
}

/// `MIS,CNC`: upper-cased, duplicates dropped, in the engine's order (so a list reads the
/// same however it was typed). An empty list is no limit.
fn parse_products(s: Option<&str>) -> Result<Option<Vec<Product>>, PolicyError> {
    let Some(s) = s else { return Ok(None) };
    let mut out = Vec::new();
    for p in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let product = Product::from_str(&p.to_ascii_uppercase())
            .map_err(|()| PolicyError::Product(p.chars().take(16).collect()))?;
        if !out.contains(&product) {
            out.push(product);
        }
    }
    out.sort();
    Ok((!out.is_empty()).then_some(out))
}

pub fn parse_expiry(s: &str) -> Result<DateTime<Utc>, PolicyError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| PolicyError::Expiry(s.chars().take(64).collect()))
}

impl KeyPolicy {
    /// Reads a stored policy. Stored policies were validated on the way in; a value that
    /// no longer parses is an error (the key is then refused: fail closed).
    pub fn from_stored(p: &StoredPolicy) -> Result<Self, PolicyError> {
        Ok(Self {
            scopes: p.scopes.parse()?,
            order_mode: p.order_mode.unwrap_or(OrderMode::Auto),
            symbols: list(p.symbols.as_deref(), "symbols")?,
            products: parse_products(p.products.as_deref())?,
            max_qty: p.max_qty,
            max_value: p.max_value,
            max_orders_per_day: p.max_orders_per_day,
            expires_at: p.expires_at.as_deref().map(parse_expiry).transpose()?,
            allow_ips: list(p.allow_ips.as_deref(), "allow-ip")?,
            ip_all_requests: p.ip_all_requests,
        })
    }

    pub fn to_stored(&self) -> StoredPolicy {
        StoredPolicy {
            scopes: self.scopes.to_list(),
            order_mode: Some(self.order_mode),
            symbols: join(&self.symbols),
            products: join(&self.products),
            max_qty: self.max_qty,
            max_value: self.max_value,
            max_orders_per_day: self.max_orders_per_day,
            expires_at: self.expires_at.map(|t| t.to_rfc3339()),
            allow_ips: join(&self.allow_ips),
            ip_all_requests: self.ip_all_requests,
        }
    }

    /// Checks the numbers a caller gave (positive limits, bounded lists, a future expiry).
    pub fn validate(&self, now: DateTime<Utc>) -> Result<(), PolicyError> {
        if self.max_qty.is_some_and(|n| n <= 0) {
            return Err(PolicyError::NotPositive("max-qty"));
        }
        if self.max_value.is_some_and(|v| !(v.is_finite() && v > 0.0)) {
            return Err(PolicyError::NotPositive("max-value"));
        }
        if self.max_orders_per_day.is_some_and(|n| n <= 0) {
            return Err(PolicyError::NotPositive("max-orders-per-day"));
        }
        if self.symbols.as_ref().is_some_and(|v| v.len() > MAX_LIST) {
            return Err(PolicyError::TooMany("symbols"));
        }
        if self.allow_ips.as_ref().is_some_and(|v| v.len() > MAX_LIST) {
            return Err(PolicyError::TooMany("allow-ip"));
        }
        if self.expires_at.is_some_and(|t| t <= now) {
            return Err(PolicyError::Past);
        }
        Ok(())
    }

    /// Parses the list forms the CLI and the web UI take.
    pub fn parse_symbols(s: &str) -> Result<Option<Vec<SymbolRule>>, PolicyError> {
        list(Some(s), "symbols")
    }

    pub fn parse_ips<'a>(
        items: impl IntoIterator<Item = &'a str>,
    ) -> Result<Option<Vec<IpRule>>, PolicyError> {
        let v: Vec<&str> = items.into_iter().collect();
        if v.is_empty() {
            return Ok(None);
        }
        list(Some(&v.join(",")), "allow-ip")
    }

    /// Whether a request needing `need` may come from `ip` (the IP allowlist applies to
    /// order-changing requests only unless `ip_all_requests`). An unknown client address is
    /// refused when a list applies: fail closed.
    pub fn check_ip(&self, need: Option<Scope>, ip: Option<IpAddr>) -> Result<(), Denial> {
        let Some(rules) = &self.allow_ips else {
            return Ok(());
        };
        let changes_orders = matches!(
            need,
            Some(Scope::Place | Scope::Modify | Scope::Cancel | Scope::Close)
        );
        if !(changes_orders || self.ip_all_requests) {
            return Ok(());
        }
        match ip {
            Some(ip) if rules.iter().any(|r| r.contains(ip)) => Ok(()),
            _ => Err(Denial::Ip),
        }
    }

    /// The per-order limits (symbols, product, quantity, value); `ltp` prices MARKET
    /// orders.
    pub fn check_order(&self, o: &OrderRequest, ltp: Option<f64>) -> Result<(), Denial> {
        self.check_instrument(o.exchange, &o.symbol)?;
        self.check_product(o.product)?;
        self.check_size(o.quantity, order_price(o, ltp))
    }

    /// A GTT's symbol, and each leg's size where it fires: a MARKET GTT is valued at its
    /// trigger, a LIMIT one at its price.
    pub fn check_gtt(&self, g: &GttRequest) -> Result<(), Denial> {
        self.check_instrument(g.exchange, &g.symbol)?;
        self.check_product(g.product)?;
        g.legs.iter().try_for_each(|leg| {
            let price = match g.pricetype {
                PriceType::Market => leg.trigger_price,
                _ => leg.price,
            };
            self.check_size(g.quantity, Some(price))
        })
    }

    /// The allowed exchanges and symbols.
    pub fn check_instrument(&self, exchange: Exchange, symbol: &str) -> Result<(), Denial> {
        if let Some(rules) = &self.symbols
            && !rules.iter().any(|r| r.allows(exchange, symbol))
        {
            return Err(Denial::Symbol(format!("{}:{symbol}", exchange.as_str())));
        }
        Ok(())
    }

    /// The allowed products.
    pub fn check_product(&self, product: Product) -> Result<(), Denial> {
        match &self.products {
            Some(allowed) if !allowed.contains(&product) => Err(Denial::Product(product)),
            _ => Ok(()),
        }
    }

    /// Whether any limit applies to an order's instrument, product or size (a modification
    /// is checked only then).
    pub fn limits_orders(&self) -> bool {
        self.symbols.is_some()
            || self.products.is_some()
            || self.max_qty.is_some()
            || self.max_value.is_some()
    }

    /// Quantity and value limits for `quantity` at `price` (`None`: unknown, refused when a
    /// value limit applies).
    pub fn check_size(&self, quantity: i64, price: Option<f64>) -> Result<(), Denial> {
        if let Some(max) = self.max_qty
            && quantity > max
        {
            return Err(Denial::MaxQty(max));
        }
        if let Some(max) = self.max_value {
            let value = price.map(|p| p * quantity as f64);
            if value.is_none_or(|v| !v.is_finite() || v > max) {
                return Err(Denial::MaxValue(max));
            }
        }
        Ok(())
    }

    /// Whether a value limit needs the LTP of a MARKET order.
    pub fn needs_ltp(&self) -> bool {
        self.max_value.is_some()
    }
}

/// A limit a policy update can remove, named as the CLI's flags and the web form name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Symbols,
    Products,
    MaxQty,
    MaxValue,
    MaxOrdersPerDay,
    Expires,
    AllowIp,
}

impl Limit {
    pub const ALL: [Self; 7] = [
        Self::Symbols,
        Self::Products,
        Self::MaxQty,
        Self::MaxValue,
        Self::MaxOrdersPerDay,
        Self::Expires,
        Self::AllowIp,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Symbols => "symbols",
            Self::Products => "products",
            Self::MaxQty => "max-qty",
            Self::MaxValue => "max-value",
            Self::MaxOrdersPerDay => "max-orders-per-day",
            Self::Expires => "expires",
            Self::AllowIp => "allow-ip",
        }
    }
}

impl FromStr for Limit {
    type Err = PolicyError;
    fn from_str(s: &str) -> Result<Self, PolicyError> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == s || l.as_str().replace('-', "_") == s)
            .ok_or_else(|| PolicyError::UnknownLimit(s.chars().take(40).collect()))
    }
}

/// A policy as a person typed it (the CLI's flags, the web form's fields), parsed here
/// once for both. `None` (or an empty list) leaves the base policy's value as it is.
#[derive(Debug, Clone, Default)]
pub struct PolicyInput {
    /// Comma-separated scope names.
    pub scopes: Option<String>,
    /// RFC 3339.
    pub expires: Option<String>,
    /// Addresses or CIDRs; replaces the list when not empty.
    pub allow_ips: Vec<String>,
    pub ip_all_requests: Option<bool>,
    /// Comma-separated `EXCH:SYMBOL`.
    pub symbols: Option<String>,
    /// Comma-separated products.
    pub products: Option<String>,
    pub max_qty: Option<i64>,
    pub max_value: Option<f64>,
    pub max_orders_per_day: Option<i64>,
    /// Limits to remove (applied before the values given).
    pub clear: Vec<Limit>,
}

impl PolicyInput {
    /// `base` with this input's changes; each bad value is an error naming its field.
    /// (Numbers and the expiry's future are checked by [`KeyPolicy::validate`].)
    pub fn apply(&self, mut p: KeyPolicy) -> Result<KeyPolicy, PolicyError> {
        for l in &self.clear {
            match l {
                Limit::Symbols => p.symbols = None,
                Limit::Products => p.products = None,
                Limit::MaxQty => p.max_qty = None,
                Limit::MaxValue => p.max_value = None,
                Limit::MaxOrdersPerDay => p.max_orders_per_day = None,
                Limit::Expires => p.expires_at = None,
                Limit::AllowIp => {
                    p.allow_ips = None;
                    p.ip_all_requests = false;
                }
            }
        }
        if let Some(s) = &self.scopes {
            p.scopes = s.parse()?;
        }
        if let Some(s) = &self.symbols {
            p.symbols = KeyPolicy::parse_symbols(s)?.filter(|v| !v.is_empty());
        }
        if let Some(s) = &self.products {
            p.products = parse_products(Some(s))?;
        }
        if let Some(t) = &self.expires {
            p.expires_at = Some(parse_expiry(t.trim())?);
        }
        if let Some(ips) = KeyPolicy::parse_ips(self.allow_ips.iter().map(String::as_str))? {
            p.allow_ips = Some(ips).filter(|v| !v.is_empty());
        }
        if let Some(b) = self.ip_all_requests {
            p.ip_all_requests = b;
        }
        p.max_qty = self.max_qty.or(p.max_qty);
        p.max_value = self.max_value.or(p.max_value);
        p.max_orders_per_day = self.max_orders_per_day.or(p.max_orders_per_day);
        Ok(p)
    }
}

/// The price an order's value is measured at: its limit price, the trigger for SL-M,
/// the LTP for MARKET.
pub fn order_price(o: &OrderRequest, ltp: Option<f64>) -> Option<f64> {
    match o.pricetype {
        PriceType::Market => ltp,
        PriceType::SlM => Some(o.trigger_price),
        _ => Some(o.price),
    }
}

/// A request the key's policy refuses (a 403 whose message names the rule).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Denial {
    #[error("This API key lacks the '{0}' scope")]
    Scope(Scope),
    #[error("This API key does not allow requests from this IP address (IP allowlist)")]
    Ip,
    #[error("This API key is not allowed to trade {0} (allowed symbols limit)")]
    Symbol(String),
    #[error("This API key is not allowed to trade product {0} (allowed products limit)")]
    Product(Product),
    #[error("Order quantity exceeds this API key's maximum quantity per order of {0}")]
    MaxQty(i64),
    #[error("Order value exceeds this API key's maximum order value of {0}")]
    MaxValue(f64),
    #[error("This API key has reached its maximum of {0} orders per day")]
    MaxOrders(i64),
}

impl Denial {
    /// The rule's short name, for the audit log.
    pub fn rule(&self) -> &'static str {
        match self {
            Self::Scope(_) => "scope",
            Self::Ip => "ip_allowlist",
            Self::Symbol(_) => "symbols",
            Self::Product(_) => "products",
            Self::MaxQty(_) => "max_qty",
            Self::MaxValue(_) => "max_value",
            Self::MaxOrders(_) => "max_orders_per_day",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_rules_match_addresses_and_networks() {
        let r: IpRule = "10.1.0.0/16".parse().unwrap();
        assert!(r.contains("10.1.2.3".parse().unwrap()));
        assert!(r.contains("::ffff:10.1.2.3".parse().unwrap()));
        assert!(!r.contains("10.2.0.1".parse().unwrap()));
        let one: IpRule = "203.0.113.7".parse().unwrap();
        assert!(one.contains("203.0.113.7".parse().unwrap()));
        assert!(!one.contains("203.0.113.8".parse().unwrap()));
        let any: IpRule = "0.0.0.0/0".parse().unwrap();
        assert!(any.contains("1.2.3.4".parse().unwrap()));
        let v6: IpRule = "2001:db8::/32".parse().unwrap();
        assert!(v6.contains("2001:db8::1".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
        for bad in ["10.0.0.0/33", "nope", "10.0.0.0/", "::/129", "1.2.3.4/-1"] {
            assert!(bad.parse::<IpRule>().is_err(), "{bad}");
        }
        assert_eq!(r.to_string(), "10.1.0.0/16");
        assert_eq!(one.to_string(), "203.0.113.7");
    }

    #[test]
    fn symbol_rules_and_round_trip() {
        let p = KeyPolicy {
            symbols: KeyPolicy::parse_symbols("NSE:SBIN, NFO:*").unwrap(),
            allow_ips: KeyPolicy::parse_ips(["127.0.0.1", "10.0.0.0/8"]).unwrap(),
            ..KeyPolicy::default()
        };
        let rules = p.symbols.as_ref().unwrap();
        assert!(rules.iter().any(|r| r.allows(Exchange::Nse, "SBIN")));
        assert!(rules.iter().any(|r| r.allows(Exchange::Nfo, "ANY")));
        assert!(!rules.iter().any(|r| r.allows(Exchange::Nse, "TCS")));
        assert_eq!(KeyPolicy::from_stored(&p.to_stored()).unwrap(), p);
        assert!(KeyPolicy::parse_symbols("SBIN").is_err());
        assert!(KeyPolicy::parse_symbols("XYZ:SBIN").is_err());
        let many = vec!["NSE:A"; MAX_LIST + 1].join(",");
        assert_eq!(
            KeyPolicy::parse_symbols(&many),
            Err(PolicyError::TooMany("symbols"))
        );
    }

    #[test]
    fn ip_list_applies_to_order_changes_unless_switched_on() {
        let mut p = KeyPolicy {
            allow_ips: KeyPolicy::parse_ips(["10.0.0.0/8"]).unwrap(),
            ..KeyPolicy::default()
        };
        let outside = Some("192.0.2.1".parse().unwrap());
        let inside = Some("10.9.9.9".parse().unwrap());
        assert_eq!(p.check_ip(Some(Scope::Data), outside), Ok(()));
        assert_eq!(p.check_ip(Some(Scope::Place), outside), Err(Denial::Ip));
        assert_eq!(p.check_ip(Some(Scope::Cancel), None), Err(Denial::Ip));
        assert_eq!(p.check_ip(Some(Scope::Place), inside), Ok(()));
        p.ip_all_requests = true;
        assert_eq!(p.check_ip(Some(Scope::Data), outside), Err(Denial::Ip));
        assert_eq!(p.check_ip(None, outside), Err(Denial::Ip));
    }

    #[test]
    fn an_input_changes_only_what_it_gives() {
        let base = PolicyInput {
            scopes: Some("data,place".into()),
            symbols: Some("NSE:SBIN".into()),
            max_qty: Some(5),
            allow_ips: vec!["10.0.0.0/8".into()],
            ip_all_requests: Some(true),
            ..PolicyInput::default()
        }
        .apply(KeyPolicy::default())
        .unwrap();
        assert_eq!(base.scopes.to_list(), "data,place");
        let changed = PolicyInput {
            max_value: Some(1000.0),
            clear: vec!["symbols".parse().unwrap(), "allow_ip".parse().unwrap()],
            ..PolicyInput::default()
        }
        .apply(base.clone())
        .unwrap();
        assert_eq!(changed.max_qty, Some(5));
        assert_eq!(changed.max_value, Some(1000.0));
        assert_eq!(changed.symbols, None);
        assert_eq!(changed.allow_ips, None);
        assert!(!changed.ip_all_requests);
        assert_eq!(changed.scopes, base.scopes);
        assert!(matches!(
            "colour".parse::<Limit>(),
            Err(PolicyError::UnknownLimit(_))
        ));
        let bad = |i: PolicyInput| i.apply(KeyPolicy::default()).unwrap_err().to_string();
        assert!(
            bad(PolicyInput {
                scopes: Some("trade".into()),
                ..PolicyInput::default()
            })
            .starts_with("scopes:")
        );
        assert!(
            bad(PolicyInput {
                expires: Some("soon".into()),
                ..PolicyInput::default()
            })
            .starts_with("expires:")
        );
        assert!(
            bad(PolicyInput {
                allow_ips: vec!["x".into()],
                ..PolicyInput::default()
            })
            .starts_with("allow-ip:")
        );
    }

    #[test]
    fn size_limits() {
        let p = KeyPolicy {
            max_qty: Some(10),
            max_value: Some(1000.0),
            ..KeyPolicy::default()
        };
        assert_eq!(p.check_size(10, Some(100.0)), Ok(()));
        assert_eq!(p.check_size(11, Some(1.0)), Err(Denial::MaxQty(10)));
        assert_eq!(p.check_size(5, Some(200.01)), Err(Denial::MaxValue(1000.0)));
        assert_eq!(p.check_size(5, None), Err(Denial::MaxValue(1000.0)));
        assert!(
            KeyPolicy {
                max_qty: Some(0),
                ..KeyPolicy::default()
            }
            .validate(Utc::now())
            .is_err()
        );
    }
}
