//! The options data services (reference/openalgo-options-gtt-calendar.md §1–§9), answered
//! from the paper market: a contract by offset, the chain around the ATM, Black-76 greeks
//! and the synthetic future. Typed in, typed out; the server shapes OpenAlgo's bodies.

use std::sync::Arc;

use algogate_broker::engine::Engine;
use algogate_broker::instruments::InstrumentMaster;
use algogate_broker::num::py_round;
use algogate_broker::options::black76::{Inputs, IvError};
use algogate_broker::options::{self as opt, Underlying};
use algogate_broker::{Exchange, OptionKind, PaperMarket, QuoteData};
use chrono::NaiveDate;

/// What went wrong, with OpenAlgo's message; the kind picks the status.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptionsError {
    /// 400.
    #[error("{0}")]
    Invalid(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
}

/// `optionsymbol`'s (and the orders') request, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct SymbolRequest {
    pub underlying: String,
    pub exchange: Exchange,
    pub expiry_date: Option<String>,
    pub strike_int: Option<i64>,
    pub offset: String,
    pub kind: OptionKind,
}

/// A contract an offset resolved to.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub symbol: String,
    pub exchange: Exchange,
    pub lotsize: u32,
    pub tick_size: f64,
    pub freeze_qty: u32,
    pub underlying_ltp: f64,
}

/// `optionchain`'s request, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainRequest {
    pub underlying: String,
    pub exchange: Exchange,
    pub expiry_date: String,
    pub strike_count: Option<usize>,
    pub with_greeks: bool,
    pub interest_rate: Option<f64>,
}

/// One side of a chain row.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainLeg {
    pub symbol: String,
    pub label: String,
    pub quote: QuoteData,
    pub bid_qty: u64,
    pub ask_qty: u64,
    pub lotsize: u32,
    pub tick_size: f64,
    pub greeks: Option<LegGreeks>,
}

/// The greeks a chain leg carries (no rho).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LegGreeks {
    pub iv: f64,
    pub delta: f64,
    pub gamma: f64,
    pub theta: f64,
    pub vega: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChainRow {
    pub strike: f64,
    pub ce: Option<ChainLeg>,
    pub pe: Option<ChainLeg>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    pub underlying: String,
    pub underlying_symbol: String,
    pub underlying_exchange: Exchange,
    pub underlying_ltp: f64,
    pub underlying_prev_close: f64,
    pub expiry_date: String,
    pub expiry_ts: Option<i64>,
    pub server_ts: i64,
    pub atm_strike: f64,
    pub with_greeks: bool,
    pub forward_price: Option<f64>,
    pub rows: Vec<ChainRow>,
}

/// One option for the greeks endpoints.
#[derive(Debug, Clone, PartialEq)]
pub struct GreeksRequest {
    pub symbol: String,
    pub exchange: Exchange,
    pub interest_rate: Option<f64>,
    pub forward_price: Option<f64>,
    pub underlying_symbol: Option<String>,
    pub underlying_exchange: Option<String>,
    pub expiry_time: Option<String>,
}

/// What the single-option greeks answer: the model's values, or the theoretical fallback.
#[derive(Debug, Clone, PartialEq)]
pub struct GreeksReport {
    pub symbol: String,
    pub exchange: Exchange,
    pub underlying: String,
    pub strike: f64,
    pub kind: OptionKind,
    pub expiry: NaiveDate,
    pub days_to_expiry: f64,
    pub spot_price: f64,
    pub option_price: f64,
    /// As sent (or 0).
    pub interest_rate: f64,
    pub interest_sent: bool,
    pub iv: f64,
    pub delta: f64,
    pub gamma: f64,
    pub theta: f64,
    pub vega: f64,
    pub rho: f64,
    /// For the theoretical answers: intrinsic, time value and the note.
    pub theoretical: Option<(f64, f64, &'static str)>,
    /// Past its expiry instant: the single endpoint refuses it, the multi one reports it.
    pub expired: bool,
}

/// `syntheticfuture`'s answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Synthetic {
    pub underlying: String,
    pub expiry: String,
    pub atm_strike: f64,
    pub underlying_ltp: f64,
    pub price: f64,
}

const NO_TIME_VALUE: &str = "Deep ITM option with no time value - theoretical Greeks returned";
const IV_IMPOSSIBLE: &str = "IV calculation not possible - theoretical deep ITM Greeks returned";
/// Multi-greeks turns an expired option into this success item.
pub const EXPIRED_NOTE: &str = "Option has expired - Greeks are no longer applicable";

/// The options services over the engine's paper market (the engine knows which contracts
/// are in use when a chain has to follow the spot).
#[derive(Debug, Clone, Copy)]
pub struct Options<'e> {
    market: &'e Arc<PaperMarket>,
    engine: &'e Engine,
}

/// Where an underlying is quoted and its options trade.
#[derive(Debug, Clone)]
struct Venue {
    u: Underlying,
    quote_symbol: String,
    quote_exchange: Exchange,
    options_exchange: Exchange,
}

impl Venue {
    fn of(underlying: &str, exchange: Exchange) -> Result<Self, OptionsError> {
        let u = opt::parse_underlying(underlying);
        if exchange == Exchange::Crypto {
            return Err(OptionsError::NotFound(format!(
                "No perpetual futures found for {} on {exchange}",
                u.base
            )));
        }
        let quote_exchange = opt::quote_exchange(exchange, &u.base);
        Ok(Venue {
            quote_symbol: opt::quote_symbol(&u, quote_exchange),
            options_exchange: opt::options_exchange(quote_exchange),
            quote_exchange,
            u,
        })
    }
}

impl<'e> Options<'e> {
    pub fn new(engine: &'e Engine) -> Self {
        Options {
            market: engine.market(),
            engine,
        }
    }

    /// The underlying's LTP for a multi-leg order, fetched once (`None` if it cannot be).
    pub fn underlying_ltp(&self, underlying: &str, exchange: Exchange) -> Option<f64> {
        let v = Venue::of(underlying, exchange).ok()?;
        self.market
            .quote(&v.quote_symbol, v.quote_exchange)
            .ok()
            .map(|q| q.ltp)
    }

    fn ltp(&self, symbol: &str, exchange: Exchange, sep: &str) -> Result<QuoteData, OptionsError> {
        self.market.quote(symbol, exchange).map_err(|e| {
            OptionsError::Invalid(format!("Failed to fetch LTP for {symbol}{sep} {e}"))
        })
    }

    /// The master, its chain for `base` re-laid first when the spot has left its centre.
    async fn master_for(&self, base: &str, spot: f64) -> Arc<InstrumentMaster> {
        if self.market.chain_is_stale(base, spot)
            && let Err(e) = self.engine.refresh_chains().await
        {
            tracing::error!(error = %e, "cannot re-generate the option chains");
        }
        self.market.master()
    }

    /// `optionsymbol` (§1, §2); `ltp` reuses an underlying price already fetched.
    pub async fn resolve(
        &self,
        req: &SymbolRequest,
        ltp: Option<f64>,
    ) -> Result<Resolved, OptionsError> {
        let v = Venue::of(&req.underlying, req.exchange)?;
        let expiry = req
            .expiry_date
            .as_deref()
            .map(opt::undash_expiry)
            .or_else(|| v.u.embedded_expiry.clone())
            .ok_or_else(|| {
                OptionsError::Invalid(
                    "Expiry date required. Provide via expiry_date parameter or embed in \
                     underlying (e.g., NIFTY28OCT25FUT)."
                        .into(),
                )
            })?;
        let ltp = match ltp {
            Some(l) => l,
            None => self.ltp(&v.quote_symbol, v.quote_exchange, ".")?.ltp,
        };
        let master = self.master_for(&v.u.base, ltp).await;
        // Upper-cased both to find the strikes and to build the symbol (upstream builds it
        // from the expiry as sent, so a lower-case expiry never resolves).
        let code = expiry.to_ascii_uppercase();
        let no_strikes = || {
            OptionsError::NotFound(format!(
                "No strikes found for {} expiring {code}. Please check expiry date or update \
                 master contract.",
                v.u.base
            ))
        };
        let legacy = req.strike_int.is_some();
        let offset = opt::parse_offset(&req.offset, legacy)
            .map_err(|e| OptionsError::Invalid(e.to_string()))?;
        let strike = match req.strike_int {
            Some(step) => opt::legacy_strike(ltp, step, offset, req.kind),
            None => {
                let date = opt::parse_ddmmmyy(&code).ok_or_else(no_strikes)?;
                let strikes =
                    opt::series_strikes(&master, &v.u.base, v.options_exchange, date, req.kind);
                if strikes.is_empty() {
                    return Err(no_strikes());
                }
                opt::offset_strike(&strikes, ltp, offset, req.kind, &req.offset)
                    .map_err(|e| OptionsError::Invalid(e.to_string()))?
            }
        };
        let symbol = opt::option_symbol(&v.u.base, &code, strike, req.kind);
        let inst = master.get(&symbol, v.options_exchange).ok_or_else(|| {
            OptionsError::NotFound(format!(
                "Option symbol {symbol} not found in {}. Symbol may not exist or master \
                 contract needs update.",
                v.options_exchange
            ))
        })?;
        Ok(Resolved {
            symbol,
            exchange: v.options_exchange,
            lotsize: inst.lotsize,
            tick_size: inst.tick_size,
            freeze_qty: inst.freeze_qty,
            underlying_ltp: ltp,
        })
    }

    /// `optionchain` (§5).
    pub async fn chain(&self, req: &ChainRequest) -> Result<Chain, OptionsError> {
        let v = Venue::of(&req.underlying, req.exchange)?;
        let expiry =
            v.u.embedded_expiry
                .clone()
                .unwrap_or_else(|| opt::undash_expiry(&req.expiry_date));
        let quote = self.ltp(&v.quote_symbol, v.quote_exchange, ":")?;
        let master = self.master_for(&v.u.base, quote.ltp).await;
        let code = expiry.to_ascii_uppercase();
        let no_strikes = || {
            OptionsError::NotFound(format!(
                "No strikes found for {} expiring {code}. Please check expiry date or update \
                 master contract.",
                v.u.base
            ))
        };
        let date = opt::parse_ddmmmyy(&code).ok_or_else(no_strikes)?;
        let strikes = opt::series_strikes(
            &master,
            &v.u.base,
            v.options_exchange,
            date,
            OptionKind::Call,
        );
        let atm = opt::atm_index(&strikes, quote.ltp).ok_or_else(no_strikes)?;
        let (from, to) = match req.strike_count {
            Some(k) => (atm.saturating_sub(k), (atm + k + 1).min(strikes.len())),
            None => (0, strikes.len()),
        };
        let now_ms = self.market.clock().now_ms();
        let cutoff = opt::expiry_cutoff(v.options_exchange);
        let expiry_ts = Some(algogate_broker::time::ist_epoch(date, cutoff.0, cutoff.1));
        let mut rows = Vec::with_capacity(to - from);
        let mut any = false;
        for (i, &strike) in strikes.iter().enumerate().take(to).skip(from) {
            let leg = |kind: OptionKind| {
                let symbol = opt::option_symbol(&v.u.base, &code, strike, kind);
                let inst = master.get(&symbol, v.options_exchange)?;
                let steps = i as i64 - atm as i64;
                let label = match (steps, kind) {
                    (0, _) => "ATM".to_owned(),
                    (s, OptionKind::Call) if s < 0 => format!("ITM{}", -s),
                    (s, OptionKind::Put) if s < 0 => format!("OTM{}", -s),
                    (s, OptionKind::Call) => format!("OTM{s}"),
                    (s, OptionKind::Put) => format!("ITM{s}"),
                };
                let depth = self.market.depth(&symbol, v.options_exchange).ok();
                let quote = self.market.quote(&symbol, v.options_exchange).ok()?;
                Some(ChainLeg {
                    label,
                    quote,
                    bid_qty: depth.as_ref().map_or(0, |d| d.bids[0].quantity),
                    ask_qty: depth.as_ref().map_or(0, |d| d.asks[0].quantity),
                    lotsize: inst.lotsize,
                    tick_size: inst.tick_size,
                    greeks: None,
                    symbol,
                })
            };
            let (ce, pe) = (leg(OptionKind::Call), leg(OptionKind::Put));
            any |= ce.is_some() || pe.is_some();
            rows.push(ChainRow { strike, ce, pe });
        }
        if !any {
            return Err(OptionsError::NotFound(
                "No valid option symbols found for the given parameters".into(),
            ));
        }
        let atm_strike = strikes[atm];
        let mut forward_price = None;
        if req.with_greeks {
            let atm_row = rows.iter().find(|r| r.strike == atm_strike);
            let leg_ltp = |l: &Option<ChainLeg>| l.as_ref().map_or(0.0, |l| l.quote.ltp);
            let forward = match atm_row {
                Some(r) if leg_ltp(&r.ce) > 0.0 && leg_ltp(&r.pe) > 0.0 => {
                    py_round(atm_strike + leg_ltp(&r.ce) - leg_ltp(&r.pe), 4)
                }
                _ => quote.ltp,
            };
            forward_price = Some(forward);
            if let Some((_, t)) = opt::time_to_expiry(date, cutoff, now_ms) {
                let r = req.interest_rate.unwrap_or(0.0) / 100.0;
                for row in &mut rows {
                    for (leg, kind) in [
                        (&mut row.ce, OptionKind::Call),
                        (&mut row.pe, OptionKind::Put),
                    ] {
                        if let Some(leg) = leg {
                            leg.greeks =
                                chain_greeks(kind, forward, row.strike, t, r, leg.quote.ltp);
                        }
                    }
                }
            }
        }
        Ok(Chain {
            underlying: v.u.base.clone(),
            underlying_symbol: v.quote_symbol.clone(),
            underlying_exchange: v.quote_exchange,
            underlying_ltp: quote.ltp,
            underlying_prev_close: quote.prev_close,
            expiry_date: expiry,
            expiry_ts,
            server_ts: now_ms / 1000,
            atm_strike,
            with_greeks: req.with_greeks,
            forward_price,
            rows,
        })
    }

    /// `syntheticfuture` (§9): ATM + CE − PE.
    pub async fn synthetic(
        &self,
        underlying: &str,
        exchange: Exchange,
        expiry_date: &str,
    ) -> Result<Synthetic, OptionsError> {
        let leg = |kind| SymbolRequest {
            underlying: underlying.to_owned(),
            exchange,
            expiry_date: Some(expiry_date.to_owned()),
            strike_int: None,
            offset: "ATM".into(),
            kind,
        };
        let ce = self.resolve(&leg(OptionKind::Call), None).await?;
        let pe = self
            .resolve(&leg(OptionKind::Put), Some(ce.underlying_ltp))
            .await?;
        let strike = self
            .market
            .master()
            .get(&ce.symbol, ce.exchange)
            .map(|i| i.strike)
            .ok_or_else(|| {
                OptionsError::NotFound(format!(
                    "Failed to parse strike from option symbol: {}",
                    ce.symbol
                ))
            })?;
        let price = |r: &Resolved, side: &str| {
            self.market
                .quote(&r.symbol, r.exchange)
                .map(|q| q.ltp)
                .map_err(|_| {
                    OptionsError::NotFound(format!(
                        "Could not fetch LTP for {side} option: {}",
                        r.symbol
                    ))
                })
        };
        let (c, p) = (price(&ce, "Call")?, price(&pe, "Put")?);
        Ok(Synthetic {
            underlying: underlying.to_owned(),
            expiry: opt::undash_expiry(expiry_date),
            atm_strike: strike,
            underlying_ltp: ce.underlying_ltp,
            price: py_round(strike + c - p, 2),
        })
    }

    /// The forward for one option (§6.1): the request's, the synthetic future, or the
    /// underlying's LTP.
    async fn forward(
        &self,
        req: &GreeksRequest,
        parsed: &opt::OptionSymbol,
    ) -> Result<f64, OptionsError> {
        if let Some(f) = req.forward_price.filter(|f| *f > 0.0) {
            return Ok(f);
        }
        let under_ex = match &req.underlying_exchange {
            Some(e) => Exchange::parse_lenient(e).ok(),
            None => Some(opt::greeks_underlying_exchange(&parsed.base, req.exchange)),
        };
        let same_base = req
            .underlying_symbol
            .as_deref()
            .is_none_or(|u| u == parsed.base);
        if same_base && let Some(ex) = under_ex {
            let code = algogate_broker::domain::format_ddmmmyy(parsed.expiry);
            if let Ok(s) = self.synthetic(&parsed.base, ex, &code).await {
                return Ok(s.price);
            }
        }
        let spot = req.underlying_symbol.as_deref().unwrap_or(&parsed.base);
        let ex_name = req
            .underlying_exchange
            .clone()
            .unwrap_or_else(|| under_ex.map_or_else(String::new, |e| e.to_string()));
        let quote = under_ex
            .ok_or_else(|| {
                OptionsError::Invalid(format!(
                    "Failed to fetch underlying price: Symbol '{spot}' not found for exchange '{ex_name}'"
                ))
            })
            .and_then(|ex| {
                self.market.quote(spot, ex).map_err(|e| {
                    OptionsError::Invalid(format!("Failed to fetch underlying price: {e}"))
                })
            })?;
        if quote.ltp > 0.0 {
            Ok(quote.ltp)
        } else {
            Err(OptionsError::NotFound(
                "Underlying LTP not available".into(),
            ))
        }
    }

    /// `optiongreeks` (§7) and one item of `multioptiongreeks` (§8); an expired option is
    /// a report marked `expired` (with zero greeks).
    pub async fn greeks(&self, req: &GreeksRequest) -> Result<GreeksReport, OptionsError> {
        let parsed = opt::parse_option_symbol(&req.symbol).map_err(|reason| {
            OptionsError::Invalid(format!(
                "Failed to get option Greeks: Failed to parse option symbol {}: {reason}",
                req.symbol
            ))
        })?;
        let cutoff = match &req.expiry_time {
            Some(t) => parse_expiry_time(t)
                .map_err(|m| OptionsError::Invalid(format!("Failed to get option Greeks: {m}")))?,
            None => opt::expiry_cutoff(req.exchange),
        };
        let forward = self.forward(req, &parsed).await?;
        let premium = self
            .market
            .quote(&req.symbol, req.exchange)
            .map_err(|e| OptionsError::Invalid(format!("Failed to fetch option price: {e}")))?
            .ltp;
        if premium <= 0.0 {
            return Err(OptionsError::NotFound("Option LTP not available".into()));
        }
        let now_ms = self.market.clock().now_ms();
        compute(req, &parsed, cutoff, forward, premium, now_ms)
    }
}

/// `HH:MM` with OpenAlgo's three messages.
fn parse_expiry_time(t: &str) -> Result<(u32, u32), String> {
    let parts: Vec<&str> = t.split(':').collect();
    if parts.len() != 2 {
        return Err(format!(
            "Invalid expiry_time format: {t}. Use HH:MM format (e.g., '15:30', '19:00')"
        ));
    }
    let num = |s: &str| {
        s.trim().parse::<i64>().map_err(|_| {
            format!(
                "Failed to parse expiry_time '{t}': invalid literal for int() with base 10: '{s}'"
            )
        })
    };
    let (h, m) = (num(parts[0])?, num(parts[1])?);
    if !(0..=23).contains(&h) || !(0..=59).contains(&m) {
        return Err(format!(
            "Invalid expiry_time values: {t}. Hour must be 0-23, minute must be 0-59"
        ));
    }
    Ok((h as u32, m as u32))
}

/// The model, its degenerate cases and OpenAlgo's rounding (§6.2–§6.5).
fn compute(
    req: &GreeksRequest,
    p: &opt::OptionSymbol,
    cutoff: (u32, u32),
    forward: f64,
    premium: f64,
    now_ms: i64,
) -> Result<GreeksReport, OptionsError> {
    let remaining = opt::time_to_expiry(p.expiry, cutoff, now_ms);
    let (days, t) = remaining.unwrap_or((0.0, 0.0));
    if forward <= 0.0 || premium <= 0.0 {
        return Err(OptionsError::Invalid(
            "Spot price and option price must be positive".into(),
        ));
    }
    if p.strike <= 0.0 {
        return Err(OptionsError::Invalid(
            "Strike price must be positive".into(),
        ));
    }
    let rate = req.interest_rate.unwrap_or(0.0);
    let inputs = Inputs {
        kind: p.kind,
        forward,
        strike: p.strike,
        t,
        r: rate / 100.0,
    };
    let intrinsic = match p.kind {
        OptionKind::Call => (forward - p.strike).max(0.0),
        OptionKind::Put => (p.strike - forward).max(0.0),
    };
    let time_value = premium - intrinsic;
    let mut report = GreeksReport {
        symbol: req.symbol.clone(),
        exchange: req.exchange,
        underlying: p.base.clone(),
        strike: py_round(p.strike, 2),
        kind: p.kind,
        expiry: p.expiry,
        days_to_expiry: py_round(days, 4),
        spot_price: py_round(forward, 2),
        option_price: py_round(premium, 2),
        interest_rate: py_round(rate, 2),
        interest_sent: req.interest_rate.is_some(),
        iv: 0.0,
        delta: 0.0,
        gamma: 0.0,
        theta: 0.0,
        vega: 0.0,
        rho: 0.0,
        theoretical: None,
        expired: remaining.is_none(),
    };
    if report.expired {
        report.theoretical = Some((
            py_round(intrinsic, 2),
            py_round(time_value.max(0.0), 2),
            EXPIRED_NOTE,
        ));
        return Ok(report);
    }
    let theoretical = |mut r: GreeksReport, note: &'static str| {
        r.delta = match p.kind {
            OptionKind::Call => 1.0,
            OptionKind::Put => -1.0,
        };
        r.theoretical = Some((
            py_round(intrinsic, 2),
            py_round(time_value.max(0.0), 2),
            note,
        ));
        r
    };
    if time_value <= 0.0 || (intrinsic > 0.0 && time_value < 0.01) {
        return Ok(theoretical(report, NO_TIME_VALUE));
    }
    let vol = match inputs.implied_vol(premium) {
        Ok(v) => v,
        Err(IvError::AboveMaximum) => {
            return Err(OptionsError::Invalid(format!(
                "Failed to calculate Implied Volatility: {}",
                IvError::AboveMaximum
            )));
        }
        Err(_) => return Ok(theoretical(report, IV_IMPOSSIBLE)),
    };
    let g = inputs.greeks(vol);
    report.iv = py_round(vol * 100.0, 2);
    report.delta = py_round(g.delta, 4);
    report.gamma = py_round(g.gamma, 6);
    report.theta = py_round(g.theta, 4);
    report.vega = py_round(g.vega, 4);
    report.rho = py_round(g.rho, 6);
    Ok(report)
}

/// A chain leg's greeks (§6.3 chain rules); `None` for an unpriced leg.
fn chain_greeks(
    kind: OptionKind,
    forward: f64,
    strike: f64,
    t: f64,
    r: f64,
    premium: f64,
) -> Option<LegGreeks> {
    if premium <= 0.0 {
        return None;
    }
    let intrinsic = match kind {
        OptionKind::Call => (forward - strike).max(0.0),
        OptionKind::Put => (strike - forward).max(0.0),
    };
    let time_value = premium - intrinsic;
    let flat = LegGreeks {
        iv: 0.0,
        delta: match kind {
            _ if intrinsic <= 0.0 => 0.0,
            OptionKind::Call => 1.0,
            OptionKind::Put => -1.0,
        },
        gamma: 0.0,
        theta: 0.0,
        vega: 0.0,
    };
    if time_value <= 0.0 || (intrinsic > 0.0 && time_value < 0.01) {
        return Some(flat);
    }
    let inputs = Inputs {
        kind,
        forward,
        strike,
        t,
        r,
    };
    match inputs.implied_vol(premium) {
        Ok(vol) if vol > 0.0 => {
            let g = inputs.greeks(vol);
            Some(LegGreeks {
                iv: py_round(vol * 100.0, 2),
                delta: py_round(g.delta, 4),
                gamma: py_round(g.gamma, 6),
                theta: py_round(g.theta, 4),
                vega: py_round(g.vega, 4),
            })
        }
        _ => Some(flat),
    }
}
