//! Logging in and the first-run setup, as domain operations the web handlers call.
//!
//! Login: an attempt reserved with the throttle, then exactly one Argon2 verification whether or not the user
//! exists (a dummy one for unknown users), one generic failure, and a new session id.

use std::net::IpAddr;

use algogate_keys::Password;
use algogate_store::{Store, StoreError, UserId};

use crate::accounts::{self, AccountError, NewAccount};
use crate::keyservice::{KeyError, KeyService};
use crate::session::{NewSession, SessionService};
use crate::setup::SetupGate;
use crate::throttle::{LoginThrottle, ThrottleError};

/// The one message for an unknown user and a wrong password alike.
pub const LOGIN_FAILED: &str = "Invalid username or password.";

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("{LOGIN_FAILED}")]
    Invalid,
    #[error("Too many failed login attempts. Try again in {0} s.")]
    Throttled(u64),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
}

/// What logging in needs.
#[derive(Debug, Clone, Copy)]
pub struct Login<'a> {
    pub store: &'a Store,
    pub keys: &'a KeyService,
    pub sessions: &'a SessionService,
    pub throttle: &'a LoginThrottle,
}

/// Verifies the credentials and starts a new session.
pub async fn login(
    deps: Login<'_>,
    ip: IpAddr,
    username: &str,
    password: Password,
) -> Result<NewSession, LoginError> {
    // Reserved before the password is checked, so concurrent attempts cannot overrun it.
    let attempt = deps
        .throttle
        .reserve(ip, username)
        .await
        .map_err(|e| match e {
            ThrottleError::Wait(s) => LoginError::Throttled(s),
            ThrottleError::Store(e) => LoginError::Store(e),
        })?;
    let user = if username.len() <= 256 {
        deps.store.user_by_username(username).await?
    } else {
        None
    };
    let ok = match &user {
        Some(u) => {
            let hash = u.password_hash.clone();
            let verdict = deps
                .keys
                .on_argon2_pool(move |c| c.hasher.verify(&hash, password.expose()))
                .await?;
            verdict.unwrap_or_else(|e| {
                tracing::warn!(user_id = u.id, error = %e, "stored password hash is unusable");
                false
            })
        }
        None => {
            deps.keys
                .on_argon2_pool(move |c| c.hasher.dummy_verify(password.expose()))
                .await?;
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        attempt.failed().await;
        tracing::info!(%ip, "failed login");
        return Err(LoginError::Invalid);
    };
    attempt.succeeded().await;
    let session = deps
        .sessions
        .create(user.user_id(), &user.username, user.is_admin)
        .await?;
    tracing::info!(user_id = user.id, "login");
    Ok(session)
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// Setup is over (a user exists): the route is gone.
    #[error("not found")]
    Closed,
    #[error("This setup link is not valid or was already used.")]
    BadToken,
    #[error("The passwords do not match.")]
    Mismatch,
    #[error(transparent)]
    Account(#[from] AccountError),
}

#[derive(Debug)]
pub struct SetupForm<'a> {
    pub token: &'a str,
    pub username: &'a str,
    pub password: Password,
    pub confirm: Password,
}

/// Creates the admin with the one-time token. Input is checked before the token is spent,
/// so a weak password does not burn the link; the token is then consumed atomically, so of
/// two racing requests only one creates a user.
pub async fn run_setup(
    gate: &SetupGate,
    store: &Store,
    keys: &KeyService,
    form: SetupForm<'_>,
) -> Result<UserId, SetupError> {
    if !gate.is_open() {
        return Err(SetupError::Closed);
    }
    if !gate.check(form.token) {
        return Err(SetupError::BadToken);
    }
    accounts::validate_username(form.username)?;
    accounts::check_password(form.password.expose(), form.username)?;
    if !algogate_keys::ct_eq(
        form.password.expose().as_bytes(),
        form.confirm.expose().as_bytes(),
    ) {
        return Err(SetupError::Mismatch);
    }
    if !gate.consume(form.token) {
        return Err(SetupError::BadToken);
    }
    let account = NewAccount {
        username: form.username,
        email: None,
        is_admin: true,
        password: form.password,
    };
    match accounts::create_user(store, keys, account).await {
        Ok(id) => {
            tracing::info!(user_id = id.0, "admin created through the setup page");
            Ok(id)
        }
        Err(e) => {
            tracing::error!(error = %e, "setup failed after its token was used; restart the server for a new link, or run `algogate user create`");
            Err(e.into())
        }
    }
}
