//! The security settings page (issue 10 item 2, reference §8), administrators only:
//! invalid-key attempts per IP, bans, manual ban and unban, and the (read-only) settings
//! from the configuration.

use std::net::IpAddr;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::account::{object, only};
use super::assets;
use super::error::WebError;
use super::extract::{CsrfSession, CurrentSession};
use crate::state::AppState;
use algogate_app::session::Session;

/// A manual ban without `hours` lasts a day (OpenAlgo's default).
const DEFAULT_HOURS: u32 = 24;
const MAX_HOURS: u32 = 8760;
const MAX_REASON: usize = 200;

pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/security", get(page))
        .route("/security/api/data", get(data))
        .route("/security/api/ban", post(ban))
        .route("/security/api/unban", post(unban))
}

fn admin(s: &Session) -> Result<(), WebError> {
    if s.is_admin {
        Ok(())
    } else {
        Err(WebError::AdminOnly)
    }
}

async fn page(CurrentSession(s): CurrentSession) -> Result<Response, WebError> {
    admin(&s)?;
    Ok(assets::page(assets::SECURITY))
}

/// `{attempts, bans, settings, tls}`; each ban says whether it is still `active`.
async fn data(
    State(st): State<AppState>,
    CurrentSession(s): CurrentSession,
) -> Result<Json<Value>, WebError> {
    admin(&s)?;
    let now = st.clock().now_ms();
    let bans: Vec<Value> = st
        .store()
        .bans()
        .await?
        .into_iter()
        .map(|b| {
            let active = b.expires_at.is_none_or(|e| e > now);
            let mut v = json!(b);
            v["active"] = Value::Bool(active);
            v
        })
        .collect();
    let c = st.security().config();
    Ok(Json(json!({
        "status": "success",
        "attempts": st.security().attempts(now).await?,
        "bans": bans,
        "settings": {
            "auto_ban_enabled": c.auto_ban_enabled,
            "api_threshold": c.api_threshold,
            "api_ban_duration_hours": c.api_ban_duration_hours,
            "repeat_offender_limit": c.repeat_offender_limit,
            "trust_proxy_headers": st.config().trust_proxy_headers,
        },
        "tls": tls_status(&st),
    })))
}

/// HTTPS on this server: off, from files, or ACME with its renewal state (times in
/// milliseconds, like the rest of the page).
fn tls_status(st: &AppState) -> Value {
    let ms = |s: Option<i64>| s.map(|s| s.saturating_mul(1000));
    let Some(tls) = st.tls() else {
        return json!({"mode": "off"});
    };
    let cert = tls.resolver().info();
    let acme = tls.acme().map(|a| {
        let s = a.snapshot();
        json!({
            "domains": s.domains,
            "directory": s.directory,
            "not_after": ms(s.not_after),
            "last_renewal": ms(s.last_renewal),
            "next_renewal": ms(s.next_renewal),
            "last_error": s.last_error,
            "last_error_at": ms(s.last_error_at),
        })
    });
    json!({
        "mode": if acme.is_some() { "acme" } else { "files" },
        "names": cert.as_ref().map(|c| c.dns_names.clone()).unwrap_or_default(),
        "not_after": ms(cert.map(|c| c.not_after)),
        "acme": acme,
    })
}

fn ip_of(m: &serde_json::Map<String, Value>) -> Result<IpAddr, WebError> {
    let raw = m
        .get("ip")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| WebError::BadForm("ip is required".into()))?;
    raw.parse::<IpAddr>()
        .map(|ip| ip.to_canonical())
        .map_err(|_| WebError::BadForm(format!("Not an IP address: {raw}")))
}

/// Hours of a manual ban: `permanent: true` → None; else `hours` 1–8760 (default 24).
fn hours_of(m: &serde_json::Map<String, Value>) -> Result<Option<u32>, WebError> {
    match m.get("permanent") {
        None | Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) => return Ok(None),
        Some(_) => return Err(WebError::BadForm("permanent must be true or false".into())),
    }
    let bad = || {
        WebError::BadForm(format!(
            "hours must be a whole number from 1 to {MAX_HOURS}"
        ))
    };
    let h = match m.get("hours") {
        None | Some(Value::Null) => return Ok(Some(DEFAULT_HOURS)),
        Some(Value::Number(n)) => n.as_u64().ok_or_else(bad)?,
        Some(Value::String(s)) => s.trim().parse::<u64>().map_err(|_| bad())?,
        Some(_) => return Err(bad()),
    };
    u32::try_from(h)
        .ok()
        .filter(|h| (1..=MAX_HOURS).contains(h))
        .map(Some)
        .ok_or_else(bad)
}

async fn ban(
    State(st): State<AppState>,
    CsrfSession(s): CsrfSession,
    body: Bytes,
) -> Result<Json<Value>, WebError> {
    admin(&s)?;
    let m = object(&body)?;
    only(&m, &["ip", "reason", "hours", "permanent"])?;
    let ip = ip_of(&m)?;
    if algogate_app::security::is_loopback(ip) {
        return Err(WebError::BadForm(
            "Loopback addresses are never banned".into(),
        ));
    }
    let hours = hours_of(&m)?;
    let reason = match m.get("reason") {
        None | Some(Value::Null) => "Manual ban",
        Some(Value::String(r)) if r.chars().count() <= MAX_REASON => match r.trim() {
            "" => "Manual ban",
            r => r,
        },
        Some(_) => {
            return Err(WebError::BadForm(format!(
                "reason must be text of at most {MAX_REASON} characters"
            )));
        }
    };
    let now = st.clock().now_ms();
    let row = st.security().ban(ip, reason, hours, "manual", now).await?;
    tracing::info!(%ip, by = %s.username, permanent = row.is_permanent, "IP banned from the web UI");
    Ok(Json(json!({
        "status": "success",
        "message": format!("Banned {ip}"),
        "ban": row,
    })))
}

async fn unban(
    State(st): State<AppState>,
    CsrfSession(s): CsrfSession,
    body: Bytes,
) -> Result<Json<Value>, WebError> {
    admin(&s)?;
    let m = object(&body)?;
    only(&m, &["ip"])?;
    let ip = ip_of(&m)?;
    if !st.security().unban(ip).await? {
        return Err(WebError::Missing(format!("{ip} is not banned")));
    }
    tracing::info!(%ip, by = %s.username, "IP unbanned from the web UI");
    Ok(Json(
        json!({"status": "success", "message": format!("Unbanned {ip}")}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn hours_default_to_a_day_and_stay_in_range() {
        assert_eq!(hours_of(&m(json!({}))).unwrap(), Some(24));
        assert_eq!(hours_of(&m(json!({"hours": "48"}))).unwrap(), Some(48));
        assert_eq!(
            hours_of(&m(json!({"permanent": true, "hours": 3}))).unwrap(),
            None
        );
        for bad in [
            json!({"hours": 0}),
            json!({"hours": 8761}),
            json!({"hours": 1.5}),
            json!({"hours": "x"}),
            json!({"permanent": "yes"}),
        ] {
            assert!(hours_of(&m(bad.clone())).is_err(), "{bad}");
        }
    }
}
