//! The instrument master: every tradable symbol with its contract details, looked up by
//! (symbol, exchange) in O(1), searchable, and loadable from CSV.

mod builtin;
mod chain;
pub mod csv;
pub mod expiry;
mod token;

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use serde::Serialize;

pub use self::builtin::{CHAIN_MARGIN, CHAIN_STRIKES, OFFSET_REACH};
use self::chain::{Chain, ChainSpec, split_option_symbol};
use crate::calendar::Holidays;
use crate::domain::{
    DerivativeKind, DerivativeSymbol, Exchange, ExpiryKind, InstrumentType, OptionKind,
    format_expiry, parse_expiry,
};
use crate::error::BrokerError;

/// OpenAlgo returns at most this many search hits.
pub const SEARCH_LIMIT: usize = 500;

/// One contract, with every field `/symbol` returns plus what the simulator needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Instrument {
    pub id: u32,
    pub symbol: Box<str>,
    pub brsymbol: Box<str>,
    /// The company or index name; for derivatives, the underlying's symbol (`NIFTY`).
    pub name: Arc<str>,
    pub exchange: Exchange,
    pub brexchange: Box<str>,
    pub token: Box<str>,
    pub expiry: Option<NaiveDate>,
    pub strike: f64,
    pub lotsize: u32,
    pub instrumenttype: InstrumentType,
    pub tick_size: f64,
    pub freeze_qty: u32,
    /// The price the simulation centres on (rupees).
    pub ref_price: f64,
    /// Annualised volatility of the simulated price (or implied volatility for options).
    pub vol: f64,
    underlying: Option<u32>,
}

impl Instrument {
    /// `DD-MMM-YY`, or empty when the contract does not expire.
    pub fn expiry_str(&self) -> String {
        self.expiry.map(format_expiry).unwrap_or_default()
    }

    pub fn is_index(&self) -> bool {
        self.instrumenttype == InstrumentType::Index
    }

    /// The option right and strike, for options.
    pub fn option(&self) -> Option<(crate::domain::OptionKind, f64)> {
        match self.instrumenttype {
            InstrumentType::Call => Some((crate::domain::OptionKind::Call, self.strike)),
            InstrumentType::Put => Some((crate::domain::OptionKind::Put, self.strike)),
            _ => None,
        }
    }
}

/// `/symbol`'s `data`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SymbolInfo<'a> {
    pub id: u32,
    #[serde(flatten)]
    pub row: SearchItem<'a>,
}

/// A `/search` hit: `/symbol`'s fields without `id`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchItem<'a> {
    #[serde(flatten)]
    pub row: InstrumentRow<'a>,
    pub freeze_qty: u32,
}

/// A `/instruments` row (JSON object or CSV line).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstrumentRow<'a> {
    pub symbol: &'a str,
    pub brsymbol: &'a str,
    pub name: &'a str,
    pub exchange: Exchange,
    pub brexchange: &'a str,
    pub token: &'a str,
    pub expiry: String,
    pub strike: f64,
    pub lotsize: u32,
    pub instrumenttype: InstrumentType,
    pub tick_size: f64,
}

impl<'a> From<&'a Instrument> for InstrumentRow<'a> {
    fn from(i: &'a Instrument) -> Self {
        InstrumentRow {
            symbol: &i.symbol,
            brsymbol: &i.brsymbol,
            name: &i.name,
            exchange: i.exchange,
            brexchange: &i.brexchange,
            token: &i.token,
            expiry: i.expiry_str(),
            strike: i.strike,
            lotsize: i.lotsize,
            instrumenttype: i.instrumenttype,
            tick_size: i.tick_size,
        }
    }
}

impl<'a> From<&'a Instrument> for SearchItem<'a> {
    fn from(i: &'a Instrument) -> Self {
        SearchItem {
            row: i.into(),
            freeze_qty: i.freeze_qty,
        }
    }
}

impl<'a> From<&'a Instrument> for SymbolInfo<'a> {
    fn from(i: &'a Instrument) -> Self {
        SymbolInfo {
            id: i.id,
            row: i.into(),
        }
    }
}

#[derive(Debug, Default, Clone)]
struct ExpirySets {
    futures: BTreeSet<NaiveDate>,
    options: BTreeSet<NaiveDate>,
}

/// Where a generated option chain is centred and its strike interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainCentre {
    pub spot: f64,
    pub step: f64,
}

/// One option series: its underlying, exchange, expiry and right.
type SeriesKey = (Exchange, Box<str>, NaiveDate, OptionKind);

/// The whole master, immutable once built. Rebuild (cheap) to roll expiries or add rows.
///
/// Rows are numbered (`id - 1`) with the stored rows first, then the generated series'
/// rows ([`chain`]), which are laid out when first looked up.
#[derive(Debug, Clone)]
pub struct InstrumentMaster {
    items: Vec<Instrument>,
    by_exchange: HashMap<Exchange, HashMap<Box<str>, u32>>,
    chains: Vec<Chain>,
    chain_at: HashMap<(Exchange, Box<str>), u32>,
    /// One per generated row: the row once something looked it up.
    laid: Vec<OnceLock<Box<Instrument>>>,
    /// Generated rows a stored row of the same symbol replaces.
    shadowed: HashSet<u32>,
    expiries: HashMap<(Exchange, Box<str>), ExpirySets>,
    /// Each option series' strikes, ascending, with the contract's position.
    series: HashMap<SeriesKey, Vec<(f64, u32)>>,
    centres: HashMap<Box<str>, ChainCentre>,
}

impl InstrumentMaster {
    /// The master shipped with the binary, with F&O series generated for `today` (IST)
    /// around each underlying's reference price.
    pub fn builtin(today: NaiveDate, holidays: &Holidays) -> Self {
        Self::builtin_around(today, holidays, &|_, _| None)
    }

    /// The builtin master with each chain centred on `spot(underlying, its exchange)`
    /// (the reference price where that is `None`).
    pub fn builtin_around(
        today: NaiveDate,
        holidays: &Holidays,
        spot: &dyn Fn(&str, Exchange) -> Option<f64>,
    ) -> Self {
        let mut b = MasterBuilder::default();
        builtin::populate(&mut b, today, holidays, spot);
        b.build()
    }

    /// Only the builtin indices and equities (no derivatives): enough to price the spots
    /// that the chains are then generated around.
    pub fn builtin_spots() -> Self {
        let mut b = MasterBuilder::default();
        builtin::populate_spots(&mut b);
        b.build()
    }

    /// `self` plus the contracts of `old` named in `keep` that `self` lacks (contracts with
    /// open orders or positions outlive a re-generated chain).
    /// By value: a master is tens of megabytes, and the usual case (nothing to carry over)
    /// then costs no copy.
    pub fn keeping<'a>(
        self,
        old: &InstrumentMaster,
        keep: impl IntoIterator<Item = (Exchange, &'a str)>,
    ) -> Self {
        let missing: Vec<&Instrument> = keep
            .into_iter()
            .filter(|(ex, sym)| self.get(sym, *ex).is_none())
            .filter_map(|(ex, sym)| old.get(sym, ex))
            .collect();
        if missing.is_empty() {
            return self;
        }
        let mut b = MasterBuilder {
            centres: self.centres,
            chains: self.chains,
            ..MasterBuilder::default()
        };
        for i in self.items.into_iter().chain(missing.into_iter().cloned()) {
            b.upsert(i);
        }
        b.build()
    }

    /// Where the generated chain of `underlying` is centred, if one was generated.
    pub fn chain_centre(&self, underlying: &str) -> Option<ChainCentre> {
        self.centres.get(underlying).copied()
    }

    /// The strikes of one option series, ascending, with their contracts' positions.
    pub fn strikes(
        &self,
        underlying: &str,
        exchange: Exchange,
        expiry: NaiveDate,
        kind: OptionKind,
    ) -> impl Iterator<Item = (f64, u32)> {
        let key = (exchange, Box::<str>::from(underlying), expiry, kind);
        self.series.get(&key).into_iter().flatten().copied()
    }

    /// A master made only of the rows in `text` (the `/instruments` CSV format).
    pub fn from_csv(text: &str) -> Result<Self, BrokerError> {
        let mut b = MasterBuilder::default();
        b.add_csv(text)?;
        Ok(b.build())
    }

    /// This master plus the rows in `text`; a row with an existing (symbol, exchange) replaces it.
    pub fn extended_with_csv(&self, text: &str) -> Result<Self, BrokerError> {
        let mut b = MasterBuilder {
            chains: self.chains.clone(),
            ..MasterBuilder::default()
        };
        for i in &self.items {
            b.upsert(i.clone());
        }
        b.add_csv(text)?;
        Ok(b.build())
    }

    pub fn len(&self) -> usize {
        self.items.len() + self.laid.len() - self.shadowed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// O(1) lookup by exact symbol and exchange.
    pub fn get(&self, symbol: &str, exchange: Exchange) -> Option<&Instrument> {
        if let Some(idx) = self.by_exchange.get(&exchange).and_then(|m| m.get(symbol)) {
            return self.items.get(*idx as usize);
        }
        self.generated_row(symbol, exchange).map(|g| self.lay(g))
    }

    /// The generated row named `symbol` (stored rows are looked up first).
    fn generated_row(&self, symbol: &str, exchange: Exchange) -> Option<u32> {
        let (prefix, rest) = split_option_symbol(symbol)?;
        let c = &self.chains[*self.chain_at.get(&(exchange, Box::from(prefix)))? as usize];
        c.row_of(rest).map(|r| c.first + r)
    }

    /// The series generated row `g` belongs to.
    fn chain_of(&self, g: u32) -> &Chain {
        let at = self.chains.partition_point(|c| c.first <= g) - 1;
        &self.chains[at]
    }

    fn generate(&self, g: u32) -> Instrument {
        let c = self.chain_of(g);
        c.instrument(g - c.first, self.items.len() as u32 + g + 1)
    }

    /// Generated row `g`, kept from its first use on.
    fn lay(&self, g: u32) -> &Instrument {
        self.laid[g as usize].get_or_init(|| Box::new(self.generate(g)))
    }

    /// Row `idx` without keeping a generated row that nothing had used.
    fn row(&self, idx: u32) -> Option<Cow<'_, Instrument>> {
        if let Some(i) = self.items.get(idx as usize) {
            return Some(Cow::Borrowed(i));
        }
        let g = idx - self.items.len() as u32;
        let slot = self.laid.get(g as usize)?;
        if self.shadowed.contains(&g) {
            return None;
        }
        Some(match slot.get() {
            Some(i) => Cow::Borrowed(&**i),
            None => Cow::Owned(self.generate(g)),
        })
    }

    /// Lookup from raw request strings, with the quotes/depth/history error messages.
    pub fn resolve(&self, symbol: &str, exchange: &str) -> Result<&Instrument, BrokerError> {
        let ex = Exchange::parse_lenient(exchange)?;
        self.get(symbol, ex)
            .ok_or_else(|| BrokerError::not_found(symbol, exchange))
    }

    /// Lookup for `/symbol`, whose miss is a 404 with its own wording.
    pub fn symbol_info(&self, symbol: &str, exchange: &str) -> Result<SymbolInfo<'_>, BrokerError> {
        Exchange::parse_lenient(exchange)
            .ok()
            .and_then(|ex| self.get(symbol, ex))
            .map(SymbolInfo::from)
            .ok_or_else(|| BrokerError::SymbolInfoNotFound {
                symbol: symbol.to_owned(),
                exchange: exchange.to_owned(),
            })
    }

    pub fn by_index(&self, idx: u32) -> Option<&Instrument> {
        if let Some(i) = self.items.get(idx as usize) {
            return Some(i);
        }
        let g = idx - self.items.len() as u32;
        ((g as usize) < self.laid.len() && !self.shadowed.contains(&g)).then(|| self.lay(g))
    }

    /// Position of an instrument in this master (its `id - 1`).
    pub fn index_of(&self, inst: &Instrument) -> u32 {
        inst.id - 1
    }

    /// The instrument a derivative is priced from.
    pub fn underlying(&self, inst: &Instrument) -> Option<&Instrument> {
        inst.underlying.and_then(|u| self.by_index(u))
    }

    /// All instruments, or one exchange's, in master order. Generated rows nothing has
    /// used are made for the iteration and not kept.
    pub fn iter(&self, exchange: Option<Exchange>) -> impl Iterator<Item = Cow<'_, Instrument>> {
        let wanted = move |e: Exchange| exchange.is_none_or(|x| x == e);
        let base = self.items.len() as u32;
        self.items
            .iter()
            .filter(move |i| wanted(i.exchange))
            .map(Cow::Borrowed)
            .chain(
                self.chains
                    .iter()
                    .filter(move |c| wanted(c.exchange))
                    .flat_map(move |c| {
                        (c.first..c.first + c.rows()).filter_map(move |g| self.row(base + g))
                    }),
            )
    }

    /// `/instruments` rows.
    pub fn rows(&self, exchange: Option<Exchange>) -> Rows<'_> {
        Rows(self.iter(exchange).collect())
    }

    /// `/instruments?format=csv`: the same rows with a header; loadable by [`Self::from_csv`].
    pub fn to_csv(&self, exchange: Option<Exchange>) -> String {
        let mut out = String::from(CSV_HEADER);
        out.push('\n');
        for i in self.iter(exchange) {
            out.push_str(&csv_line(&i));
            out.push('\n');
        }
        out
    }

    /// Ranked search: exact symbol, then symbol prefix, then symbols containing every word of
    /// the query, then names containing them. Case-insensitive; at most [`SEARCH_LIMIT`] hits.
    pub fn search(
        &self,
        query: &str,
        exchange: Option<Exchange>,
    ) -> Result<Vec<Cow<'_, Instrument>>, BrokerError> {
        let whole = query.trim().to_ascii_uppercase();
        if whole.is_empty() {
            return Err(BrokerError::EmptyQuery);
        }
        let terms: Vec<&str> = whole.split_whitespace().collect();
        let wanted = |e: Exchange| exchange.is_none_or(|x| x == e);
        let mut hits: Vec<(SearchKey, u32)> = Vec::new();
        let mut consider = |v: &RowView<'_>, idx: u32| {
            if let Some(r) = rank(v, &whole, &terms) {
                hits.push((search_key(r, v), idx));
            }
        };
        for (n, i) in self.items.iter().enumerate() {
            if wanted(i.exchange) {
                consider(&RowView::of(i), n as u32);
            }
        }
        // Generated rows are ranked from their symbols alone; only hits are made.
        let base = self.items.len() as u32;
        let mut symbol = String::new();
        for c in self.chains.iter().filter(|c| wanted(c.exchange)) {
            for row in 0..c.rows() {
                if self.shadowed.contains(&(c.first + row)) {
                    continue;
                }
                symbol.clear();
                c.write_symbol(row, &mut symbol);
                let v = RowView {
                    symbol: &symbol,
                    name: &c.name,
                    exchange: c.exchange,
                    expiry: Some(c.expiry),
                    strike: c.strike(row),
                    instrumenttype: Chain::itype(row),
                };
                consider(&v, base + c.first + row);
            }
        }
        if hits.len() > SEARCH_LIMIT {
            hits.select_nth_unstable_by(SEARCH_LIMIT, |a, b| cmp_key(&a.0, &b.0));
            hits.truncate(SEARCH_LIMIT);
        }
        hits.sort_unstable_by(|a, b| cmp_key(&a.0, &b.0));
        Ok(hits
            .into_iter()
            .filter_map(|(_, idx)| self.row(idx))
            .collect())
    }

    /// Expiry dates of an underlying's futures or options on an F&O exchange, sorted by date.
    pub fn expiries(
        &self,
        underlying: &str,
        exchange: Exchange,
        kind: ExpiryKind,
    ) -> Result<Vec<NaiveDate>, BrokerError> {
        if !exchange.is_fno() {
            return Err(BrokerError::NotAnFnoExchange(exchange.to_string()));
        }
        let key = (
            exchange,
            Box::<str>::from(underlying.trim().to_ascii_uppercase()),
        );
        let sets = self.expiries.get(&key);
        let dates = sets.map(|s| match kind {
            ExpiryKind::Futures => &s.futures,
            ExpiryKind::Options => &s.options,
        });
        Ok(dates
            .map(|d| d.iter().copied().collect())
            .unwrap_or_default())
    }
}

type SearchKey = (u8, bool, Exchange, Option<NaiveDate>, u64, u8, Box<str>);

/// What search ranks and orders a row by.
struct RowView<'a> {
    symbol: &'a str,
    name: &'a str,
    exchange: Exchange,
    expiry: Option<NaiveDate>,
    strike: f64,
    instrumenttype: InstrumentType,
}

impl<'a> RowView<'a> {
    fn of(i: &'a Instrument) -> Self {
        RowView {
            symbol: &i.symbol,
            name: &i.name,
            exchange: i.exchange,
            expiry: i.expiry,
            strike: i.strike,
            instrumenttype: i.instrumenttype,
        }
    }
}

fn search_key(rank: u8, i: &RowView<'_>) -> SearchKey {
    // Strikes compare as integers of paise so the key is totally ordered.
    let strike = (i.strike.max(0.0) * 100.0).round() as u64;
    (
        rank,
        i.expiry.is_some(),
        i.exchange,
        i.expiry,
        strike,
        i.instrumenttype as u8,
        i.symbol.into(),
    )
}

fn cmp_key(a: &SearchKey, b: &SearchKey) -> std::cmp::Ordering {
    a.cmp(b)
}

fn rank(i: &RowView<'_>, whole: &str, terms: &[&str]) -> Option<u8> {
    let sym = i.symbol;
    if sym.eq_ignore_ascii_case(whole) {
        Some(0)
    } else if starts_with_ci(sym, whole) {
        Some(1)
    } else if terms.iter().all(|t| contains_ci(sym, t)) {
        Some(2)
    } else if terms
        .iter()
        .all(|t| contains_ci(sym, t) || contains_ci(i.name, t))
    {
        Some(3)
    } else {
        None
    }
}

fn starts_with_ci(hay: &str, upper_needle: &str) -> bool {
    hay.len() >= upper_needle.len()
        && hay.as_bytes()[..upper_needle.len()].eq_ignore_ascii_case(upper_needle.as_bytes())
}

fn contains_ci(hay: &str, upper_needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), upper_needle.as_bytes());
    n.is_empty() || h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

const CSV_HEADER: &str =
    "symbol,brsymbol,name,exchange,brexchange,token,expiry,strike,lotsize,instrumenttype,tick_size";

fn csv_line(i: &Instrument) -> String {
    use csv::field;
    format!(
        "{},{},{},{},{},{},{},{},{},{},{}",
        field(&i.symbol),
        field(&i.brsymbol),
        field(&i.name),
        i.exchange,
        field(&i.brexchange),
        field(&i.token),
        i.expiry_str(),
        i.strike,
        i.lotsize,
        i.instrumenttype,
        i.tick_size
    )
}

/// `/instruments`' `data`: the rows, generated ones made for the response.
#[derive(Debug)]
pub struct Rows<'a>(Vec<Cow<'a, Instrument>>);

impl Rows<'_> {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for Rows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|i| InstrumentRow::from(&**i)))
    }
}

/// Collects rows (later rows replace earlier ones with the same key) and generated
/// series, then indexes them.
#[derive(Debug, Default)]
pub(crate) struct MasterBuilder {
    items: Vec<Instrument>,
    index: HashMap<(Exchange, Box<str>), usize>,
    centres: HashMap<Box<str>, ChainCentre>,
    chains: Vec<Chain>,
}

impl MasterBuilder {
    /// A generated option series (both rights at every strike).
    pub(crate) fn chain(&mut self, spec: ChainSpec) {
        self.chains.extend(Chain::new(spec));
    }

    pub(crate) fn centre(&mut self, underlying: &str, spot: f64, step: f64) {
        self.centres
            .insert(underlying.into(), ChainCentre { spot, step });
    }

    pub(crate) fn upsert(&mut self, inst: Instrument) {
        let key = (inst.exchange, inst.symbol.clone());
        match self.index.get(&key) {
            Some(&at) => self.items[at] = inst,
            None => {
                self.index.insert(key, self.items.len());
                self.items.push(inst);
            }
        }
    }

    fn add_csv(&mut self, text: &str) -> Result<(), BrokerError> {
        let mut lines = csv::data_lines(text);
        let (hline, header) = lines.next().ok_or(BrokerError::InstrumentCsv {
            line: 1,
            reason: "the file has no header".into(),
        })?;
        let cols = Columns::from_header(hline, header)?;
        for (n, line) in lines {
            let fields = csv::split_line(line).ok_or_else(|| BrokerError::InstrumentCsv {
                line: n,
                reason: "unterminated quote".into(),
            })?;
            let inst = cols
                .instrument(&fields)
                .map_err(|reason| BrokerError::InstrumentCsv { line: n, reason })?;
            self.upsert(inst);
        }
        Ok(())
    }

    pub(crate) fn build(self) -> InstrumentMaster {
        let mut items = self.items;
        for (n, i) in items.iter_mut().enumerate() {
            i.id = n as u32 + 1;
        }
        let mut by_exchange: HashMap<Exchange, HashMap<Box<str>, u32>> = HashMap::new();
        for (n, i) in items.iter().enumerate() {
            by_exchange
                .entry(i.exchange)
                .or_default()
                .insert(i.symbol.clone(), n as u32);
        }
        let links: Vec<Option<u32>> = items
            .iter()
            .map(|i| {
                i.instrumenttype
                    .is_derivative()
                    .then(|| find_underlying(&by_exchange, i.exchange, &i.name))
                    .flatten()
            })
            .collect();
        let mut chains = self.chains;
        let mut chain_at = HashMap::new();
        let mut generated = 0u32;
        for (n, c) in chains.iter_mut().enumerate() {
            c.first = generated;
            generated += c.rows();
            c.underlying = find_underlying(&by_exchange, c.exchange, &c.name);
            chain_at.insert((c.exchange, c.prefix.clone()), n as u32);
        }
        let mut expiries: HashMap<(Exchange, Box<str>), ExpirySets> = HashMap::new();
        let mut series: HashMap<SeriesKey, Vec<(f64, u32)>> = HashMap::new();
        for (n, (i, link)) in items.iter_mut().zip(links).enumerate() {
            i.underlying = link;
            if let (Some((kind, strike)), Some(d)) = (i.option(), i.expiry) {
                series
                    .entry((i.exchange, i.name.to_ascii_uppercase().into(), d, kind))
                    .or_default()
                    .push((strike, n as u32));
            }
            if let Some(d) = i.expiry {
                let sets = expiries
                    .entry((i.exchange, i.name.to_ascii_uppercase().into()))
                    .or_default();
                let set = if i.instrumenttype.is_option() {
                    &mut sets.options
                } else {
                    &mut sets.futures
                };
                set.insert(d);
            }
        }
        let mut master = InstrumentMaster {
            laid: (0..generated).map(|_| OnceLock::new()).collect(),
            items,
            by_exchange,
            chains,
            chain_at,
            shadowed: HashSet::new(),
            expiries,
            series: HashMap::new(),
            centres: self.centres,
        };
        // A stored row replaces the generated one of the same symbol.
        let shadowed: HashSet<u32> = master
            .items
            .iter()
            .filter(|i| i.instrumenttype.is_option())
            .filter_map(|i| master.generated_row(&i.symbol, i.exchange))
            .collect();
        let base = master.items.len() as u32;
        for c in &master.chains {
            let name: Box<str> = c.name.to_ascii_uppercase().into();
            master
                .expiries
                .entry((c.exchange, name.clone()))
                .or_default()
                .options
                .insert(c.expiry);
            for row in (0..c.rows()).filter(|r| !shadowed.contains(&(c.first + r))) {
                series
                    .entry((c.exchange, name.clone(), c.expiry, Chain::kind(row)))
                    .or_default()
                    .push((c.strike(row), base + c.first + row));
            }
        }
        for strikes in series.values_mut() {
            strikes.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        master.series = series;
        master.shadowed = shadowed;
        master
    }
}

/// A derivative's underlying lives on its exchange's index segment or cash segment.
fn find_underlying(
    by_exchange: &HashMap<Exchange, HashMap<Box<str>, u32>>,
    exchange: Exchange,
    name: &str,
) -> Option<u32> {
    let homes: &[Exchange] = match exchange {
        Exchange::Nfo => &[Exchange::NseIndex, Exchange::Nse],
        Exchange::Bfo => &[Exchange::BseIndex, Exchange::Bse],
        Exchange::Mcx => &[Exchange::McxIndex],
        _ => &[],
    };
    homes
        .iter()
        .find_map(|e| by_exchange.get(e)?.get(name).copied())
}

/// Column positions of a master CSV, found by header name so OpenAlgo exports load too.
#[derive(Debug)]
struct Columns {
    at: HashMap<String, usize>,
}

impl Columns {
    fn from_header(line: usize, header: &str) -> Result<Self, BrokerError> {
        let names = csv::split_line(header).unwrap_or_default();
        let at: HashMap<String, usize> = names
            .iter()
            .enumerate()
            .map(|(n, h)| (h.trim().to_ascii_lowercase(), n))
            .collect();
        for required in ["symbol", "exchange"] {
            if !at.contains_key(required) {
                return Err(BrokerError::InstrumentCsv {
                    line,
                    reason: format!("missing column '{required}'"),
                });
            }
        }
        Ok(Columns { at })
    }

    fn get<'a>(&self, f: &'a [String], name: &str) -> &'a str {
        self.at
            .get(name)
            .and_then(|&n| f.get(n))
            .map_or("", |s| s.trim())
    }

    fn num<T: std::str::FromStr>(&self, f: &[String], name: &str, default: T) -> Result<T, String> {
        let s = self.get(f, name);
        if s.is_empty() {
            return Ok(default);
        }
        s.parse().map_err(|_| format!("bad {name} '{s}'"))
    }

    fn instrument(&self, f: &[String]) -> Result<Instrument, String> {
        let symbol = self.get(f, "symbol");
        if crate::domain::Symbol::parse(symbol).is_err() {
            return Err(format!("bad symbol '{symbol}'"));
        }
        let exchange: Exchange = self
            .get(f, "exchange")
            .parse()
            .map_err(|e| BrokerError::from(e).to_string())?;
        let itype_raw = self.get(f, "instrumenttype");
        let derived = DerivativeSymbol::parse(symbol);
        let instrumenttype = match InstrumentType::parse_with_symbol(itype_raw, symbol) {
            Some(InstrumentType::Equity) if exchange.is_index() => InstrumentType::Index,
            Some(t) => t,
            None => return Err(format!("unknown instrumenttype '{itype_raw}'")),
        };
        let expiry = match self.get(f, "expiry") {
            "" => derived.as_ref().map(|d| d.expiry),
            s => Some(parse_expiry(s).ok_or_else(|| format!("bad expiry '{s}'"))?),
        };
        let strike = match derived.as_ref().map(|d| d.kind) {
            Some(DerivativeKind::Option { strike, .. }) => self.num(f, "strike", strike)?,
            _ => self.num(f, "strike", 0.0)?,
        };
        let name = match self.get(f, "name") {
            "" => derived.map_or_else(|| symbol.to_owned(), |d| d.underlying),
            n => n.to_owned(),
        };
        let tick_size: f64 = self.num(f, "tick_size", 0.05)?;
        if !(tick_size > 0.0 && tick_size.is_finite()) {
            return Err(format!("bad tick_size '{tick_size}'"));
        }
        let ref_price: f64 = self.num(f, "price", 0.0)?;
        let or = |name: &str, dflt: &str| match self.get(f, name) {
            "" => dflt.to_owned(),
            s => s.to_owned(),
        };
        Ok(Instrument {
            id: 0,
            brsymbol: or("brsymbol", symbol).into(),
            brexchange: or("brexchange", exchange.as_str()).into(),
            token: or("token", &token::token_for(exchange, symbol)).into(),
            symbol: symbol.into(),
            name: name.into(),
            exchange,
            expiry,
            strike,
            lotsize: self.num(f, "lotsize", 1)?,
            instrumenttype,
            tick_size,
            freeze_qty: self.num(f, "freeze_qty", 1)?,
            ref_price: if ref_price > 0.0 {
                ref_price
            } else {
                builtin::guess_price(symbol)
            },
            vol: self.num(f, "vol", builtin::default_vol(instrumenttype))?,
            underlying: None,
        })
    }
}

#[cfg(test)]
mod tests;
