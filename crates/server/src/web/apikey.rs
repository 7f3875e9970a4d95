//! `/apikey` and `/apikey/mode` (SPEC §2.5): always the logged-in user's key; a `user_id`
//! in a body is never read. `/apikey/keys*` and `/apikey/audit`: the user's named keys
//! (create, edit, reveal, rotate, revoke) and their audit log, through the key service.

use std::time::Duration;

use algogate_app::keypolicy::{KeyPolicy, Limit, MAX_LIST, PolicyInput};
use algogate_store::OrderMode;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::account::{object, only};
use super::assets;
use super::error::WebError;
use super::extract::{CsrfSession, CurrentSession};
use crate::state::AppState;

pub const INVALID_MODE: &str = "Invalid mode. Must be \"auto\" or \"semi_auto\"";

/// OpenAlgo answers JSON only to `Accept: application/json`.
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("application/json"))
}

/// `GET /apikey`: `{login_username, has_api_key, api_key, order_mode}` or the page.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    CurrentSession(s): CurrentSession,
) -> Result<Response, WebError> {
    if !wants_json(&headers) {
        return Ok(assets::page(assets::APIKEY));
    }
    let o = state.keys().overview(s.user_id).await?;
    Ok(Json(json!({
        "login_username": s.username,
        "has_api_key": o.api_key.is_some(),
        "api_key": o.api_key.as_ref().map(|k| k.expose()),
        "order_mode": o.order_mode.as_str(),
    }))
    .into_response())
}

/// `POST /apikey`: a new key for the session's user; the old one stops working at once.
pub async fn regenerate(
    State(state): State<AppState>,
    CsrfSession(s): CsrfSession,
) -> Result<Json<Value>, WebError> {
    let (key, key_id) = state.keys().regenerate(s.user_id).await?;
    tracing::info!(user_id = s.user_id.0, "API key regenerated from the web UI");
    Ok(Json(json!({
        "message": "API key updated successfully.",
        "api_key": key.expose(),
        "key_id": key_id,
    })))
}

/// `POST /apikey/mode` `{mode}`.
pub async fn set_mode(
    State(state): State<AppState>,
    CsrfSession(s): CsrfSession,
    body: Bytes,
) -> Result<Json<Value>, WebError> {
    let mode: OrderMode = serde_json::from_slice::<Value>(&body)
        .ok()
        .as_ref()
        .and_then(|v| v.get("mode"))
        .and_then(Value::as_str)
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| WebError::Invalid(INVALID_MODE.into()))?;
    if !state.keys().set_order_mode(s.user_id, mode).await? {
        return Err(WebError::Invalid(
            "No API key found. Generate an API key first.".into(),
        ));
    }
    Ok(Json(json!({
        "message": format!("Order mode updated to {}", mode.as_str()),
        "mode": mode.as_str(),
    })))
}

// ---- named keys ------------------------------------------------------------------------

/// Entries of the audit log the page shows (newest first).
const AUDIT_ENTRIES: i64 = 200;

/// `GET /apikey/keys`: the primary key's state and the named keys with their policies
/// (no secrets).
pub async fn list_keys(
    State(state): State<AppState>,
    CurrentSession(s): CurrentSession,
) -> Result<Json<Value>, WebError> {
    let o = state.keys().overview(s.user_id).await?;
    let keys = state.keys().list_named(s.user_id).await?;
    Ok(Json(json!({
        "status": "success",
        "primary": {"has_api_key": o.api_key.is_some(), "order_mode": o.order_mode.as_str()},
        "keys": keys,
    })))
}

/// A text field: absent, null and blank are `None`; anything but a string is refused.
fn opt_text(m: &Map<String, Value>, k: &str) -> Result<Option<String>, WebError> {
    match m.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(WebError::BadForm(format!("{k}: must be text"))),
    }
}

/// A list given as an array of strings or as one string separated by commas, spaces or
/// new lines.
fn text_list(m: &Map<String, Value>, k: &str) -> Result<Vec<String>, WebError> {
    let bad = || WebError::BadForm(format!("{k}: must be a list of text"));
    let items: Vec<String> = match m.get(k) {
        None | Some(Value::Null) => vec![],
        Some(Value::String(s)) => s
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(str::to_owned)
            .collect(),
        Some(Value::Array(a)) if a.len() <= 4 * MAX_LIST => a
            .iter()
            .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
            .collect::<Result<_, _>>()?,
        Some(Value::Array(_)) => {
            return Err(WebError::BadForm(format!(
                "{k}: at most {MAX_LIST} entries"
            )));
        }
        Some(_) => return Err(bad()),
    };
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

/// A positive whole number given as a number or numeric text (blank: none).
fn opt_count(m: &Map<String, Value>, k: &str) -> Result<Option<i64>, WebError> {
    let bad = || WebError::BadForm(format!("{k}: must be a positive whole number"));
    let n = match m.get(k) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().parse::<i64>().map_err(|_| bad())?,
        Some(Value::Number(n)) => n.as_i64().ok_or_else(bad)?,
        Some(_) => return Err(bad()),
    };
    (n > 0).then_some(Some(n)).ok_or_else(bad)
}

/// A positive amount given as a number or numeric text (blank: none).
fn opt_amount(m: &Map<String, Value>, k: &str) -> Result<Option<f64>, WebError> {
    let bad = || WebError::BadForm(format!("{k}: must be a positive number"));
    let v = match m.get(k) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().parse::<f64>().map_err(|_| bad())?,
        Some(Value::Number(n)) => n.as_f64().ok_or_else(bad)?,
        Some(_) => return Err(bad()),
    };
    (v.is_finite() && v > 0.0)
        .then_some(Some(v))
        .ok_or_else(bad)
}

/// The fields of the create and edit forms (`name` is read by create only: on an edit the
/// path names the key).
const FORM_FIELDS: [&str; 11] = [
    "name",
    "scopes",
    "mode",
    "expires",
    "allow_ips",
    "ip_all_requests",
    "symbols",
    "products",
    "max_qty",
    "max_value",
    "max_orders_per_day",
];

/// A key's policy as the create and edit forms send it: `{scopes: [..], mode, expires,
/// allow_ips, ip_all_requests, symbols, products, max_qty, max_value, max_orders_per_day}`. A field
/// left out keeps the base policy's value; a blank or null one removes that limit (as
/// Stripe's updates read an empty string), so an edit changes only what it names.
struct PolicyForm {
    input: PolicyInput,
    /// `None`: the key's current mode (on create: the user's).
    mode: Option<OrderMode>,
}

impl PolicyForm {
    fn read(m: &Map<String, Value>) -> Result<Self, WebError> {
        only(m, &FORM_FIELDS)?;
        let scopes = text_list(m, "scopes")?;
        if m.contains_key("scopes") && scopes.is_empty() {
            return Err(WebError::BadForm(
                "scopes: at least one scope is required".into(),
            ));
        }
        let mode = match opt_text(m, "mode")? {
            None => None,
            Some(v) => Some(v.parse::<OrderMode>().map_err(|()| {
                WebError::BadForm("mode: must be \"auto\" or \"semi_auto\"".into())
            })?),
        };
        let ip_all_requests = match m.get("ip_all_requests") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                return Err(WebError::BadForm(
                    "ip_all_requests: must be true or false".into(),
                ));
            }
        };
        let symbols = text_list(m, "symbols")?;
        let products = text_list(m, "products")?;
        let allow_ips = text_list(m, "allow_ips")?;
        let expires = opt_text(m, "expires")?;
        let max_qty = opt_count(m, "max_qty")?;
        let max_value = opt_amount(m, "max_value")?;
        let max_orders_per_day = opt_count(m, "max_orders_per_day")?;
        let clear = [
            ("symbols", symbols.is_empty(), Limit::Symbols),
            ("products", products.is_empty(), Limit::Products),
            ("allow_ips", allow_ips.is_empty(), Limit::AllowIp),
            ("expires", expires.is_none(), Limit::Expires),
            ("max_qty", max_qty.is_none(), Limit::MaxQty),
            ("max_value", max_value.is_none(), Limit::MaxValue),
            (
                "max_orders_per_day",
                max_orders_per_day.is_none(),
                Limit::MaxOrdersPerDay,
            ),
        ]
        .into_iter()
        .filter(|(k, none, _)| *none && m.contains_key(*k))
        .map(|(_, _, l)| l)
        .collect();
        let input = PolicyInput {
            scopes: (!scopes.is_empty()).then(|| scopes.join(",")),
            expires,
            allow_ips,
            ip_all_requests,
            symbols: Some(symbols.join(",")).filter(|s| !s.is_empty()),
            products: Some(products.join(",")).filter(|s| !s.is_empty()),
            max_qty,
            max_value,
            max_orders_per_day,
            clear,
        };
        Ok(Self { input, mode })
    }

    /// `base` with the form's changes; a bad value is a 400 naming its field.
    fn apply(&self, base: KeyPolicy) -> Result<KeyPolicy, WebError> {
        self.input
            .apply(base)
            .map_err(|e| WebError::BadForm(e.to_string()))
    }
}

/// The create form: the policy fields and a required `name`; the rest as the defaults.
fn create_form(m: &Map<String, Value>) -> Result<(String, KeyPolicy, Option<OrderMode>), WebError> {
    let form = PolicyForm::read(m)?;
    let name = opt_text(m, "name")?.ok_or_else(|| WebError::BadForm("name: is required".into()))?;
    Ok((name, form.apply(KeyPolicy::default())?, form.mode))
}

/// `POST /apikey/keys`: creates a named key; the answer carries its secret.
pub async fn create_key(
    State(state): State<AppState>,
    CsrfSession(s): CsrfSession,
    body: Bytes,
) -> Result<Json<Value>, WebError> {
    let (name, policy, mode) = create_form(&object(&body)?)?;
    let (key, _) = state
        .keys()
        .create_named(s.user_id, &name, policy, mode)
        .await?;
    tracing::info!(user_id = s.user_id.0, key = %name, "named API key created from the web UI");
    Ok(Json(json!({
        "status": "success",
        "message": format!("Created key {name:?}"),
        "name": name,
        "api_key": key.expose(),
    })))
}

/// `PATCH /apikey/keys/{name}`: changes the key's policy (the fields of the create form;
/// those left out stay as they are, blank ones are removed; a `name` in the body is
/// ignored). It applies from the key's very next request.
pub async fn update_key(
    State(state): State<AppState>,
    CsrfSession(s): CsrfSession,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, WebError> {
    let form = PolicyForm::read(&object(&body)?)?;
    let policy = form.apply(state.keys().named_policy(s.user_id, &name).await?)?;
    state
        .keys()
        .update_named(s.user_id, &name, policy, form.mode)
        .await?;
    tracing::info!(user_id = s.user_id.0, key = %name, "named API key updated from the web UI");
    Ok(Json(json!({
        "status": "success",
        "message": format!("Updated key {name:?}"),
        "name": name,
    })))
}

/// `GET /apikey/keys/{name}/secret`: the key's current secret, for reveal and copy.
pub async fn key_secret(
    State(state): State<AppState>,
    CurrentSession(s): CurrentSession,
    Path(name): Path<String>,
) -> Result<Json<Value>, WebError> {
    let key = state.keys().reveal_named_key(s.user_id, &name).await?;
    Ok(Json(
        json!({"status": "success", "name": name, "api_key": key.expose()}),
    ))
}

/// `POST /apikey/keys/{name}/rotate` `{grace_seconds}`: a new secret, working at once; the
/// old one works for the grace period (0 or absent: it stops now).
pub async fn rotate_key(
    State(state): State<AppState>,
    CsrfSession(s): CsrfSession,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, WebError> {
    let m = object(&body)?;
    only(&m, &["grace_seconds"])?;
    let grace = match m.get("grace_seconds") {
        None | Some(Value::Null) => 0,
        Some(v) => v
            .as_u64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .ok_or_else(|| {
                WebError::BadForm(
                    "grace_seconds: must be a whole number of seconds, 0 or more".into(),
                )
            })?,
    };
    let key = state
        .keys()
        .rotate_named(s.user_id, &name, Duration::from_secs(grace))
        .await?;
    tracing::info!(user_id = s.user_id.0, key = %name, grace, "named API key rotated from the web UI");
    Ok(Json(json!({
        "status": "success",
        "message": if grace == 0 {
            format!("Rotated {name:?}; the previous secret no longer works")
        } else {
            format!("Rotated {name:?}; the previous secret works for {grace} more seconds")
        },
        "name": name,
        "api_key": key.expose(),
    })))
}

/// `DELETE /apikey/keys/{name}`: revokes the key; it fails on its next request.
pub async fn revoke_key(
    State(state): State<AppState>,
    CsrfSession(s): CsrfSession,
    Path(name): Path<String>,
) -> Result<Json<Value>, WebError> {
    state.keys().revoke_named(s.user_id, &name).await?;
    tracing::info!(user_id = s.user_id.0, key = %name, "named API key revoked from the web UI");
    Ok(Json(
        json!({"status": "success", "message": format!("Revoked key {name:?}")}),
    ))
}

/// `GET /apikey/audit`: the user's key audit log, newest first.
pub async fn audit(
    State(state): State<AppState>,
    CurrentSession(s): CurrentSession,
) -> Result<Json<Value>, WebError> {
    let entries = state.keys().audit_log(s.user_id, AUDIT_ENTRIES).await?;
    Ok(Json(json!({"status": "success", "entries": entries})))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(v: Value) -> Result<(String, KeyPolicy, Option<OrderMode>), String> {
        create_form(v.as_object().unwrap()).map_err(|e| e.to_string())
    }

    #[test]
    fn the_create_form_reads_lists_and_numbers_as_the_page_sends_them() {
        let (name, p, mode) = form(json!({"name": " bot ", "scopes": ["data", "place"],
            "mode": "semi_auto", "allow_ips": "10.0.0.0/8, 192.0.2.1\n", "symbols": "NSE:SBIN",
            "max_qty": "5", "max_value": 1000.5, "max_orders_per_day": 3, "expires": "",
            "ip_all_requests": true}))
        .unwrap();
        assert_eq!(name, "bot");
        assert_eq!(p.scopes.to_list(), "data,place");
        assert_eq!(mode, Some(OrderMode::SemiAuto));
        assert_eq!(p.allow_ips.as_ref().map(Vec::len), Some(2));
        assert!(p.ip_all_requests);
        assert_eq!(
            (p.max_qty, p.max_value, p.max_orders_per_day),
            (Some(5), Some(1000.5), Some(3))
        );
        assert_eq!(p.expires_at, None);
        let (_, p, mode) = form(json!({"name": "all"})).unwrap();
        assert_eq!((p.scopes, mode), (algogate_keys::Scopes::ALL, None));
    }

    /// The edit form over `base`: (policy, mode) or the message.
    fn edit(base: &KeyPolicy, v: Value) -> Result<(KeyPolicy, Option<OrderMode>), String> {
        let f = PolicyForm::read(v.as_object().unwrap()).map_err(|e| e.to_string())?;
        Ok((f.apply(base.clone()).map_err(|e| e.to_string())?, f.mode))
    }

    #[test]
    fn an_edit_changes_what_it_names_and_removes_what_it_blanks() {
        let (_, base, _) = form(json!({"name": "k", "scopes": "data", "symbols": "NSE:SBIN",
            "max_qty": 5, "max_value": 900, "max_orders_per_day": 2,
            "expires": "2999-01-01T00:00:00Z", "allow_ips": "10.0.0.0/8",
            "ip_all_requests": true}))
        .unwrap();
        // Nothing named: nothing changes (the name in a body is not read).
        assert_eq!(
            edit(&base, json!({"name": "other"})).unwrap(),
            (base.clone(), None)
        );
        let (p, mode) = edit(
            &base,
            json!({"max_qty": "50", "scopes": ["data", "place"],
            "mode": "semi_auto"}),
        )
        .unwrap();
        assert_eq!(
            (p.max_qty, p.scopes.to_list()),
            (Some(50), "data,place".into())
        );
        assert_eq!(mode, Some(OrderMode::SemiAuto));
        assert_eq!(
            (
                p.max_value,
                p.max_orders_per_day,
                &p.symbols,
                p.ip_all_requests
            ),
            (base.max_value, base.max_orders_per_day, &base.symbols, true)
        );
        // Blank, null or an empty list removes the limit.
        let (p, _) = edit(
            &base,
            json!({"symbols": [], "max_qty": "", "max_value": null,
            "max_orders_per_day": " ", "expires": "", "allow_ips": ""}),
        )
        .unwrap();
        assert_eq!(
            p,
            KeyPolicy {
                scopes: base.scopes,
                ..KeyPolicy::default()
            }
        );
        // A bad field is named as on create.
        assert!(
            edit(&base, json!({"max_qty": -1}))
                .unwrap_err()
                .starts_with("max_qty:")
        );
        assert!(
            edit(&base, json!({"scopes": ""}))
                .unwrap_err()
                .starts_with("scopes:")
        );
    }

    #[test]
    fn bad_fields_are_named_with_the_reason() {
        for (body, want) in [
            (json!({}), "name: is required"),
            (json!({"name": "x", "scopes": []}), "scopes: at least one"),
            (
                json!({"name": "x", "scopes": ["trade"]}),
                "scopes: unknown scope",
            ),
            (
                json!({"name": "x", "scopes": [1]}),
                "scopes: must be a list",
            ),
            (json!({"name": "x", "mode": "manual"}), "mode: must be"),
            (
                json!({"name": "x", "max_qty": 0}),
                "max_qty: must be a positive whole number",
            ),
            (
                json!({"name": "x", "max_qty": 1.5}),
                "max_qty: must be a positive whole number",
            ),
            (
                json!({"name": "x", "max_value": "lots"}),
                "max_value: must be a positive number",
            ),
            (
                json!({"name": "x", "max_orders_per_day": -1}),
                "max_orders_per_day: must be",
            ),
            (
                json!({"name": "x", "allow_ips": ["10.0.0.0/99"]}),
                "allow-ip:",
            ),
            (json!({"name": "x", "symbols": "SBIN"}), "symbols:"),
            (json!({"name": "x", "expires": "soon"}), "expires:"),
            (
                json!({"name": "x", "ip_all_requests": "yes"}),
                "ip_all_requests: must be true or false",
            ),
            (json!({"name": "x", "colour": 1}), "Unknown field: colour"),
        ] {
            let got = form(body.clone()).unwrap_err();
            assert!(got.contains(want), "{body}: {got}");
        }
    }
}
