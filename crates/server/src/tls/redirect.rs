//! The optional plain-HTTP listener: every request is a 308 to the same path on HTTPS.
//!
//! The target's host is never taken from the client as is: a Host header naming one of
//! the served names (the ACME domains or the certificate's DNS names) is kept, anything
//! else gets the first served name (or the HTTPS listener's address). So a hostile Host
//! header cannot turn this into an open redirect.

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request, Response, StatusCode, header};

use super::Tls;

/// The router of the redirect listener. `https_addr` is the HTTPS listener's address.
pub fn router(tls: Tls, https_addr: SocketAddr) -> Router {
    Router::new().fallback(move |req: Request<Body>| {
        let tls = tls.clone();
        async move { redirect(&tls.names(), https_addr, req.headers(), req.uri()) }
    })
}

fn redirect(
    names: &[String],
    https_addr: SocketAddr,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
) -> Response<Body> {
    let asked = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| host_only(h).to_ascii_lowercase());
    let host = match asked {
        Some(h) if names.contains(&h) => h,
        _ => names.first().cloned().unwrap_or_else(|| match https_addr {
            SocketAddr::V4(a) => a.ip().to_string(),
            SocketAddr::V6(a) => format!("[{}]", a.ip()),
        }),
    };
    let port = match https_addr.port() {
        443 => String::new(),
        p => format!(":{p}"),
    };
    // Only the path and query travel: with the host fixed, `//evil` stays a path.
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let path = if path.starts_with('/') { path } else { "/" };
    let target = format!("https://{host}{port}{path}");
    // Names, addresses and a parsed URI's path are all valid header text.
    let Ok(location) = HeaderValue::from_str(&target) else {
        let mut res = Response::new(Body::from("Bad request.\n"));
        *res.status_mut() = StatusCode::BAD_REQUEST;
        return res;
    };
    let mut res = Response::new(Body::from("Use HTTPS.\n"));
    *res.status_mut() = StatusCode::PERMANENT_REDIRECT;
    let h = res.headers_mut();
    h.insert(header::LOCATION, location);
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

/// `host[:port]` or `[v6]:port` → the host part.
fn host_only(h: &str) -> &str {
    if let Some(rest) = h.strip_prefix('[') {
        return rest.split(']').next().unwrap_or("");
    }
    h.rsplit_once(':').map_or(h, |(host, _)| host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(names: &[&str], addr: &str, host: Option<&str>, path: &str) -> String {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut headers = HeaderMap::new();
        if let Some(h) = host {
            headers.insert(header::HOST, HeaderValue::from_str(h).unwrap());
        }
        let uri: axum::http::Uri = path.parse().unwrap();
        let res = redirect(&names, addr.parse().unwrap(), &headers, &uri);
        assert_eq!(res.status(), StatusCode::PERMANENT_REDIRECT);
        res.headers()[header::LOCATION].to_str().unwrap().to_owned()
    }

    #[test]
    fn a_served_name_is_kept_anything_else_is_not() {
        let names = ["gw.example", "alt.example"];
        assert_eq!(
            target(
                &names,
                "0.0.0.0:443",
                Some("ALT.example:80"),
                "/api/v1/ping?x=1"
            ),
            "https://alt.example/api/v1/ping?x=1"
        );
        assert_eq!(
            target(&names, "0.0.0.0:443", Some("evil.example"), "/login"),
            "https://gw.example/login"
        );
        assert_eq!(
            target(&names, "0.0.0.0:443", None, "//evil.example/x"),
            "https://gw.example//evil.example/x"
        );
        assert_eq!(
            target(&names, "0.0.0.0:8443", Some("gw.example"), "/"),
            "https://gw.example:8443/"
        );
        assert_eq!(
            target(&[], "127.0.0.1:8443", Some("evil.example"), "/a"),
            "https://127.0.0.1:8443/a"
        );
        assert_eq!(
            target(&[], "[::1]:443", Some("[::1]:80"), "/a"),
            "https://[::1]/a"
        );
    }
}
