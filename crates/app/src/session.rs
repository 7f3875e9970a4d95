//! Web UI sessions: creation at login, lookup with idle, absolute and daily expiry, and
//! the per-session CSRF token.
//!
//! The browser holds a random 256-bit id; the database holds only its SHA-256, so a copy
//! of the database opens no session. The CSRF token is a second digest of the id (under a
//! different label), so it needs no storage and cannot be derived from the stored digest.

use std::sync::Arc;
use std::time::Duration;

use algogate_keys::SecretString;
use algogate_store::{Store, StoreError, UserId};
use chrono::NaiveTime;
use sha2::{Digest, Sha256};

use crate::clock::{Clock, next_session_boundary};

/// Don't write `last_seen` more often than this (or half the idle timeout, if shorter).
const TOUCH_EVERY_SECS: i64 = 60;

#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub idle: Duration,
    pub max_age: Duration,
    /// OpenAlgo's daily boundary (IST); every session ends there.
    pub daily_boundary: NaiveTime,
}

/// A live session.
#[derive(Debug, Clone)]
pub struct Session {
    pub user_id: UserId,
    pub username: String,
    pub is_admin: bool,
    /// Unix seconds.
    pub expires_at: i64,
    id_hash: String,
    csrf: SecretString,
}

impl Session {
    /// The token state-changing requests of this session must carry in `X-CSRFToken`.
    pub fn csrf_token(&self) -> &SecretString {
        &self.csrf
    }

    /// Constant-time check of a presented CSRF token.
    pub fn csrf_matches(&self, presented: &str) -> bool {
        algogate_keys::ct_eq(self.csrf.expose().as_bytes(), presented.as_bytes())
    }
}

/// A new session: the id for the cookie (shown once) and the session itself.
#[derive(Debug)]
pub struct NewSession {
    pub id: SecretString,
    pub session: Session,
}

#[derive(Debug)]
pub struct SessionService {
    store: Store,
    clock: Arc<dyn Clock>,
    cfg: SessionConfig,
}

fn digest(label: &str, id: &str) -> String {
    let mut h = Sha256::new();
    h.update(label.as_bytes());
    h.update([0]);
    h.update(id.as_bytes());
    hex::encode(h.finalize())
}

fn id_hash(id: &str) -> String {
    digest("algogate-session", id)
}

fn csrf_of(id: &str) -> SecretString {
    SecretString::new(digest("algogate-csrf", id))
}

/// Session ids are 64 lowercase hex characters; anything else is not looked up.
fn well_formed(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl SessionService {
    pub fn new(store: Store, clock: Arc<dyn Clock>, cfg: SessionConfig) -> Self {
        Self { store, clock, cfg }
    }

    fn now(&self) -> i64 {
        self.clock.now().timestamp()
    }

    fn idle_secs(&self) -> i64 {
        i64::try_from(self.cfg.idle.as_secs()).unwrap_or(i64::MAX)
    }

    /// Starts a session for `user` (always a new id: login renews it).
    pub async fn create(
        &self,
        user: UserId,
        username: &str,
        is_admin: bool,
    ) -> Result<NewSession, StoreError> {
        let now_dt = self.clock.now();
        let now = now_dt.timestamp();
        let boundary = next_session_boundary(now_dt, self.cfg.daily_boundary).timestamp();
        let max = i64::try_from(self.cfg.max_age.as_secs()).unwrap_or(i64::MAX);
        let expires_at = boundary.min(now.saturating_add(max));
        // Old rows of anyone go here rather than on a timer.
        self.store
            .purge_sessions(now, now.saturating_sub(self.idle_secs()))
            .await?;
        let id = algogate_keys::random_hex(32);
        let hash = id_hash(id.expose());
        self.store
            .insert_session(&hash, user, now, expires_at)
            .await?;
        Ok(NewSession {
            session: Session {
                user_id: user,
                username: username.to_string(),
                is_admin,
                expires_at,
                csrf: csrf_of(id.expose()),
                id_hash: hash,
            },
            id,
        })
    }

    /// The live session for a cookie value; `None` when unknown or expired (an expired
    /// row is deleted on the way).
    pub async fn lookup(&self, id: &str) -> Result<Option<Session>, StoreError> {
        if !well_formed(id) {
            return Ok(None);
        }
        let hash = id_hash(id);
        let Some(row) = self.store.session(&hash).await? else {
            return Ok(None);
        };
        let now = self.now();
        if now >= row.expires_at || now.saturating_sub(row.last_seen) >= self.idle_secs() {
            self.store.delete_session(&hash).await?;
            return Ok(None);
        }
        if now - row.last_seen >= TOUCH_EVERY_SECS.min(self.idle_secs() / 2) {
            self.store.touch_session(&hash, now).await?;
        }
        Ok(Some(Session {
            user_id: row.user(),
            username: row.username,
            is_admin: row.is_admin,
            expires_at: row.expires_at,
            csrf: csrf_of(id),
            id_hash: hash,
        }))
    }

    /// Ends a session (logout, or the old one at a new login).
    pub async fn end(&self, session: &Session) -> Result<(), StoreError> {
        self.store.delete_session(&session.id_hash).await?;
        Ok(())
    }

    pub fn expires_in(&self, session: &Session) -> i64 {
        (session.expires_at - self.now()).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_differ_by_label_and_ids_are_shape_checked() {
        let id = "a".repeat(64);
        assert_ne!(id_hash(&id), csrf_of(&id).expose());
        assert_eq!(id_hash(&id).len(), 64);
        assert!(well_formed(&id));
        assert!(!well_formed("A".repeat(64).as_str()));
        assert!(!well_formed("abc"));
        assert!(!format!("{:?}", csrf_of(&id)).contains(csrf_of(&id).expose()));
    }
}
