//! Chart preferences (OpenAlgo's `/api/v1/chart`): per-user key/value settings a charting
//! front end keeps, read whole and merged key by key. The limits bound what one request
//! and one user can store.

use std::sync::Arc;

use algogate_store::{PrefQuota, QuotaExceeded, Store, StoreError, UserId};

use crate::clock::Clock;

/// OpenAlgo's per-request limits.
pub const MAX_KEYS_PER_REQUEST: usize = 50;
pub const MAX_KEY_CHARS: usize = 50;
pub const MAX_VALUE_CHARS: usize = 1_048_576;
/// Ours, per user in total (OpenAlgo has none, so repeated requests grow without bound).
pub const MAX_KEYS_PER_USER: usize = 200;
pub const MAX_CHARS_PER_USER: usize = 8 * 1_048_576;

/// A preference key: at most [`MAX_KEY_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefKey(String);

impl PrefKey {
    pub fn new(key: &str) -> Option<Self> {
        (key.chars().count() <= MAX_KEY_CHARS).then(|| Self(key.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The keys one request sets: 1 to [`MAX_KEYS_PER_REQUEST`] of them, each value text
/// (`None` for null) of at most [`MAX_VALUE_CHARS`] characters as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefUpdate(Vec<(PrefKey, Option<String>)>);

impl PrefUpdate {
    /// `None` when `prefs` is empty or over the per-request count (the caller words why).
    pub fn new(prefs: Vec<(PrefKey, Option<String>)>) -> Option<Self> {
        (!prefs.is_empty() && prefs.len() <= MAX_KEYS_PER_REQUEST).then_some(Self(prefs))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("Too many preference keys stored (max {MAX_KEYS_PER_USER} per user)")]
    TooManyStored,
    #[error("Preferences too large (max {MAX_CHARS_PER_USER} characters per user)")]
    TooLargeStored,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, Clone)]
pub struct ChartPrefs {
    store: Store,
    clock: Arc<dyn Clock>,
}

impl ChartPrefs {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    pub async fn get(&self, user: UserId) -> Result<Vec<(String, Option<String>)>, ChartError> {
        Ok(self.store.chart_prefs(user).await?)
    }

    /// Sets every key of `update` at once, or none (over the user's totals).
    pub async fn update(&self, user: UserId, update: PrefUpdate) -> Result<(), ChartError> {
        let rows: Vec<(String, Option<String>)> =
            update.0.into_iter().map(|(k, v)| (k.0, v)).collect();
        let quota = PrefQuota {
            max_keys: MAX_KEYS_PER_USER as i64,
            max_chars: MAX_CHARS_PER_USER as i64,
        };
        match self
            .store
            .set_chart_prefs(user, &rows, quota, self.clock.now_ms())
            .await?
        {
            None => Ok(()),
            Some(QuotaExceeded::Keys) => Err(ChartError::TooManyStored),
            Some(QuotaExceeded::Chars) => Err(ChartError::TooLargeStored),
        }
    }
}
